import type { RevocationMark } from '../../domain/ports';
import type { StepDeps } from '../deps';
import type { RevokedCertificate } from '../state';
import { lambdaHandler } from '../runtime/lambda';

/** Mark the revoked version in the store, beside it (its material is never rewritten). Idempotent: a first mark stays. */
export async function markRevoked(input: { readonly revoked: RevokedCertificate }, deps: StepDeps<{ store: 'markRevoked' }>): Promise<RevocationMark> {
  const { certificateId, version, reason } = input.revoked;
  const mark = await deps.store.markRevoked(certificateId, version, { reason, revokedAt: deps.now().toISOString() });
  deps.log.info('version marked revoked', { version, reason: mark.reason, revokedAt: mark.revokedAt });
  return mark;
}

export const handler = lambdaHandler(markRevoked);
