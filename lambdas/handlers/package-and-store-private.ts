import { PrivateCaRejected, PrivateCaUnavailable } from '../../domain/core/errors';
import { anchorsForDirectory } from '../../domain/core/trust-anchors';
import type { StepDeps } from '../deps';
import { storeIssuedChain } from '../issued/store-issued';
import type { CertificateSummary, StateFields } from '../state';
import { lambdaHandler } from '../runtime/lambda';

/**
 * The private path's PackageAndStore: read the issued chain back from the CA by its reference, then
 * verify, package and promote it against the private CA's trust anchors (lambdas/issued/store-issued.ts),
 * exactly as the ACME path does. No ACME account.
 */
export async function packageAndStorePrivate(
  input: StateFields<'request' | 'privateIssuance'>,
  deps: StepDeps<{ issuer: 'fetch'; store: 'readPendingKey' | 'readSecret' | 'currentKeystorePassword' | 'promote' }>,
): Promise<CertificateSummary> {
  const { request, privateIssuance } = input;
  const ca = deps.settings.privateCa;
  if (!ca) throw new PrivateCaRejected('no private CA is configured (config privateCa)');
  const issued = await deps.issuer.fetch(privateIssuance.certificateRef);
  // CheckPrivateCertificate saw it issued: not yet again is the CA catching up (retried).
  if (!issued) throw new PrivateCaUnavailable(`${privateIssuance.certificateRef} is not issued yet`);
  return storeIssuedChain(
    {
      request,
      chain: issued.chain,
      pending: privateIssuance.pending,
      trustAnchors: anchorsForDirectory(deps.settings.trustAnchors, ca.certificateAuthorityArn),
      logFields: { issuer: 'privateCa', certificateRef: privateIssuance.certificateRef },
      recordAnchors: true,
    },
    deps,
  );
}

export const handler = lambdaHandler(packageAndStorePrivate);
