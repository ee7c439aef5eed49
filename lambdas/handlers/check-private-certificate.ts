import type { StepDeps } from '../deps';
import type { PrivateIssuanceState } from '../state';
import { lambdaHandler } from '../runtime/lambda';

/** One poll after IssuePrivate: has the private CA issued it? (AWS: GetCertificate, RequestInProgressException until then.) */
export async function checkPrivateCertificate(
  input: { readonly privateIssuance: PrivateIssuanceState },
  deps: StepDeps<{ issuer: 'fetch' }>,
): Promise<PrivateIssuanceState> {
  const issued = await deps.issuer.fetch(input.privateIssuance.certificateRef);
  return { ...input.privateIssuance, done: issued !== undefined, attempts: input.privateIssuance.attempts + 1 };
}

export const handler = lambdaHandler(checkPrivateCertificate);
