import { validateRevocationRequest, type RevocationRequest } from '../../domain/core/revocation';
import type { NoPorts, StepDeps } from '../deps';
import { lambdaHandler } from '../runtime/lambda';

/** First state of RevokeCertificate: reject bad input before any store or ACME call. */
export async function validateRevocation(input: { readonly request: unknown }, deps: StepDeps<NoPorts>): Promise<RevocationRequest> {
  const revocation = validateRevocationRequest(input.request, deps.settings);
  deps.log.info('revocation request valid', { reason: revocation.reason, version: revocation.version, reissue: revocation.reissue });
  return revocation;
}

export const handler = lambdaHandler(validateRevocation);
