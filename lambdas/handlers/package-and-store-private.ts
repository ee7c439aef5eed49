import { PrivateCaRejected, PrivateCaUnavailable } from '../../domain/core/errors';
import { anchorsForDirectory } from '../../domain/core/trust-anchors';
import { rotationTrust } from '../../domain/core/root-rotation';
import type { StepDeps } from '../deps';
import { storeIssuedChain } from '../issued/store-issued';
import type { CertificateSummary, StateFields } from '../state';
import { lambdaHandler } from '../runtime/lambda';

/**
 * The private path's PackageAndStore: read the issued chain back from the CA by its reference, then
 * verify, package and promote it against the private CA's trust anchors (lambdas/issued/store-issued.ts),
 * exactly as the ACME path does. No ACME account. During a root rotation the anchors are those of its
 * phase, from the record (ADR 0013), not the configured ones.
 */
export async function packageAndStorePrivate(
  input: StateFields<'request' | 'privateIssuance'>,
  deps: StepDeps<{ issuer: 'fetch'; store: 'readPendingKey' | 'readSecret' | 'currentKeystorePassword' | 'promote'; rotations: 'rotation' }>,
): Promise<CertificateSummary> {
  const { request, privateIssuance } = input;
  const ca = deps.settings.privateCa;
  if (!ca) throw new PrivateCaRejected('no private CA is configured (config privateCa)');
  const issued = await deps.issuer.fetch(privateIssuance.certificateRef);
  // CheckPrivateCertificate saw it issued: not yet again is the CA catching up (retried).
  if (!issued) throw new PrivateCaUnavailable(`${privateIssuance.certificateRef} is not issued yet`);
  // A root rotation under way: the roots of its phase (one list: the chain is checked against it, the truststore built from it).
  const trusted = rotationTrust(await deps.rotations.rotation(ca.certificateAuthorityArn)).trusted?.map((root) => root.pem);
  return storeIssuedChain(
    {
      request,
      chain: issued.chain,
      pending: privateIssuance.pending,
      trustAnchors: trusted ?? anchorsForDirectory(deps.settings.trustAnchors, ca.certificateAuthorityArn),
      logFields: { issuer: 'privateCa', certificateRef: privateIssuance.certificateRef },
      recordAnchors: true,
    },
    deps,
  );
}

export const handler = lambdaHandler(packageAndStorePrivate);
