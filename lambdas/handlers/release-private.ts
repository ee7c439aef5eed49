import { leftoversOf } from '../../domain/core/lease';
import { privateIssuanceKey } from '../../domain/core/private-ca';
import type { PendingKey } from '../../domain/ports';
import type { StepDeps } from '../deps';
import type { RenewalState } from '../state';
import { lambdaHandler } from '../runtime/lambda';

type ReleaseDeps = StepDeps<{ store: 'discardPending' | 'pendingFor' | 'heldLease' | 'releaseLease' }>;

/**
 * The pending keys of the private executions this one took the lease over from (stopped: no cleanup
 * of theirs ran). Before the lease is given back, so a failure here leaves them on the lease for the
 * next holder. IssuePrivate takes over only from holders that left no TXT value.
 */
async function discardLeftovers(certificateId: string, executionId: string, deps: ReleaseDeps): Promise<number> {
  const leftovers = leftoversOf(await deps.store.heldLease(certificateId), executionId);
  for (const leftover of leftovers) await deps.store.discardPending(deps.store.pendingFor(certificateId, leftover.orderUrl));
  if (leftovers.length > 0) deps.log.info('cleaned up after the executions whose lease this one took over', { keys: leftovers.map((leftover) => leftover.orderUrl) });
  return leftovers.length;
}

/** The private path's success cleanup: forget the pending key (the stored version holds it now), what stopped holders left, and give the lease back. */
export async function releasePrivate(
  input: { readonly certificateId: string; readonly executionId: string; readonly pending: PendingKey },
  deps: ReleaseDeps,
): Promise<{ released: true }> {
  await deps.store.discardPending(input.pending);
  await discardLeftovers(input.certificateId, input.executionId, deps);
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
  deps: ReleaseDeps,
): Promise<{ discardedPending: boolean }> {
  const { request, privateIssuance } = input.state;
  const pending = privateIssuance?.pending ?? (request ? deps.store.pendingFor(request.certificateId, privateIssuanceKey(input.executionId)) : undefined);
  if (pending) await deps.store.discardPending(pending);
  if (request) {
    await discardLeftovers(request.certificateId, input.executionId, deps);
    await deps.store.releaseLease(request.certificateId, input.executionId);
  }
  deps.log.info('cleaned up after failure', { discardedPending: Boolean(pending) });
  return { discardedPending: Boolean(pending) };
}

export const handler = lambdaHandler(releasePrivate);
export const failureHandler = lambdaHandler(cleanupPrivateAfterFailure);
