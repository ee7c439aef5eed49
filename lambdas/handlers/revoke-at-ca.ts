import { existingAccountClient } from '../acme/account';
import { acmeCall } from '../acme/client';
import { AcmeRequestRejected, NothingToRevoke } from '../../domain/core/errors';
import { ALREADY_REVOKED, reissueInput, type RevocationRequest } from '../../domain/core/revocation';
import type { StepDeps } from '../deps';
import type { RevokedCertificate } from '../state';
import { lambdaHandler } from '../runtime/lambda';

/**
 * Revoke a stored version at its CA (RFC 8555 §7.6), signed with the account that issued it, with the
 * request's reason code (RFC 5280 §5.3.1). Safe to repeat: a CA that revoked it already answers
 * `alreadyRevoked`, which is this step's success too. Reads the version's leaf (public); nothing is
 * written, so a failure here leaves the store as it was.
 */
export async function revokeAtCa(
  input: { readonly revocation: RevocationRequest; readonly executionId: string },
  deps: StepDeps<{ store: 'account' | 'issuedCertificate' }>,
): Promise<RevokedCertificate> {
  const { certificateId, version, directoryUrl, reason, reasonCode } = input.revocation;
  const issued = await deps.store.issuedCertificate(certificateId, version);
  if (!issued) throw new NothingToRevoke(version === undefined ? `'${certificateId}' has no current certificate in the store` : `'${certificateId}' has no version '${version}' in the store`);
  const client = await existingAccountClient(directoryUrl, deps);
  let alreadyRevoked = false;
  try {
    await acmeCall('revoke certificate', () => client.revokeCertificate(issued.certificatePem, { reason: reasonCode }));
  } catch (error) {
    if (!(error instanceof AcmeRequestRejected) || error.problemType !== ALREADY_REVOKED) throw error;
    alreadyRevoked = true;
  }
  const { serialNumber, fingerprintSha256, notAfter } = issued.metadata;
  deps.log.info(alreadyRevoked ? 'certificate was revoked already' : 'certificate revoked', { version: issued.version, serialNumber, reason });
  return {
    certificateId,
    version: issued.version,
    serialNumber,
    fingerprintSha256,
    notAfter,
    reason,
    reasonCode,
    alreadyRevoked,
    reissueInput: reissueInput(certificateId, issued.metadata, directoryUrl, deps.settings.certificates),
  };
}

export const handler = lambdaHandler(revokeAtCa);
