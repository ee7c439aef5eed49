import { privateIssuanceKey } from '../../domain/core/private-ca';
import type { PendingKey } from '../../domain/ports';
import type { StepDeps } from '../deps';
import type { RenewalState } from '../state';
import { lambdaHandler } from '../runtime/lambda';

/** The private path's success cleanup: forget the pending key (the stored version holds it now) and give the lease back. */
export async function releasePrivate(
  input: { readonly certificateId: string; readonly executionId: string; readonly pending: PendingKey },
  deps: StepDeps<{ store: 'discardPending' | 'releaseLease' }>,
): Promise<{ released: true }> {
  await deps.store.discardPending(input.pending);
  await deps.store.releaseLease(input.certificateId, input.executionId);
  deps.log.info('private issuance released', { pendingId: input.pending.pendingId });
  return { released: true };
}

/**
 * The private path's failure cleanup: forget the pending key (IssuePrivate may have stored it and
 * failed before its result reached the state) and give the lease back. The current certificate is
 * never touched, so it stays current. No DNS rights, as no record was written.
 */
export async function cleanupPrivateAfterFailure(
  input: { readonly state: Partial<RenewalState>; readonly executionId: string },
  deps: StepDeps<{ store: 'discardPending' | 'pendingFor' | 'releaseLease' }>,
): Promise<{ discardedPending: boolean }> {
  const { request, privateIssuance } = input.state;
  const pending = privateIssuance?.pending ?? (request ? deps.store.pendingFor(request.certificateId, privateIssuanceKey(input.executionId)) : undefined);
  if (pending) await deps.store.discardPending(pending);
  if (request) await deps.store.releaseLease(request.certificateId, input.executionId);
  deps.log.info('cleaned up after failure', { discardedPending: Boolean(pending) });
  return { discardedPending: Boolean(pending) };
}

export const handler = lambdaHandler(releasePrivate);
export const failureHandler = lambdaHandler(cleanupPrivateAfterFailure);
