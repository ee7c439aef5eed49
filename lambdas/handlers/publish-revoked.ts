import { CertificateRevokedSchema } from '../../domain/contracts/events';
import { parseContract } from '../../domain/contracts/parse';
import { REVOCATION_REASONS } from '../../domain/contracts/revocation';
import { DETAIL_TYPES, type CertificateRevokedEvent, type RevocationMark } from '../../domain/ports';
import type { StepDeps } from '../deps';
import type { RevokedCertificate } from '../state';
import { lambdaHandler } from '../runtime/lambda';

/** "Certificate Revoked": the version, and the reason and time the store keeps for it. */
export async function publishRevoked(
  input: { readonly revoked: RevokedCertificate; readonly mark: RevocationMark; readonly reissue: boolean; readonly executionId: string },
  deps: StepDeps<{ events: 'revoked' }>,
): Promise<CertificateRevokedEvent> {
  const { revoked, mark } = input;
  // Parsed, not cast: the state is JSON, and the detail is a published contract.
  const event = parseContract(
    CertificateRevokedSchema,
    {
      certificateId: revoked.certificateId,
      version: revoked.version,
      serialNumber: revoked.serialNumber,
      fingerprintSha256: revoked.fingerprintSha256,
      notAfter: revoked.notAfter,
      reason: mark.reason,
      reasonCode: REVOCATION_REASONS[mark.reason],
      revokedAt: mark.revokedAt,
      alreadyRevoked: revoked.alreadyRevoked,
      reissue: input.reissue,
      executionId: input.executionId,
    },
    (message) => new TypeError(`${DETAIL_TYPES.revoked} detail: ${message}`),
    { root: 'detail' },
  );
  await deps.events.revoked(event);
  return event;
}

export const handler = lambdaHandler(publishRevoked);
