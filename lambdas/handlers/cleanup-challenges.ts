import { leftoversOf } from '../../domain/core/lease';
import type { PendingKey } from '../../domain/ports';
import type { StepDeps } from '../deps';
import type { OrderRef, RenewalState } from '../state';
import { lambdaHandler } from '../runtime/lambda';

type CleanupDeps = StepDeps<{ dns: 'cleanup'; store: 'discardPending' | 'pendingFor' | 'heldLease' }>;

/**
 * What the executions this one took the lease over from left out (they were stopped, or their
 * process died: no cleanup of theirs ran): their TXT values and pending keys. Before the lease is
 * given back, so a failure here leaves them on the lease for the next holder.
 */
async function cleanupLeftovers(certificateId: string, executionId: string, deps: CleanupDeps): Promise<number> {
  const leftovers = leftoversOf(await deps.store.heldLease(certificateId), executionId);
  for (const leftover of leftovers) {
    await deps.dns.cleanup(leftover.records);
    await deps.store.discardPending(deps.store.pendingFor(certificateId, leftover.orderUrl));
  }
  if (leftovers.length > 0) deps.log.info('cleaned up after the executions whose lease this one took over', { orders: leftovers.map((leftover) => leftover.orderUrl) });
  return leftovers.length;
}

/**
 * Success path: remove our TXT values (only ours; already gone is fine), forget the pending key (the
 * stored version holds it now), clean up what a stopped execution left (its lease's leftovers) and
 * give the renewal lease back.
 */
export async function cleanupChallenges(
  input: Pick<OrderRef, 'records'> & { readonly certificateId: string; readonly executionId: string; readonly pending: PendingKey },
  deps: StepDeps<{ dns: 'cleanup'; store: 'discardPending' | 'pendingFor' | 'heldLease' | 'releaseLease' }>,
): Promise<{ removed: number }> {
  await deps.dns.cleanup(input.records);
  await deps.store.discardPending(input.pending);
  await cleanupLeftovers(input.certificateId, input.executionId, deps);
  await deps.store.releaseLease(input.certificateId, input.executionId);
  deps.log.info('challenge records removed', { records: input.records.map((record) => record.name) });
  return { removed: input.records.length };
}

/**
 * Failure path: whatever the execution got to, remove its TXT values, forget its pending key and
 * give its renewal lease back (if it holds it: not when another execution's lease stopped it). The
 * current certificate is never touched, so it stays current.
 */
export async function cleanupAfterFailure(
  input: { readonly state: Partial<RenewalState>; readonly executionId: string },
  deps: StepDeps<{ dns: 'cleanup'; store: 'discardPending' | 'pendingFor' | 'heldLease' | 'releaseLease' }>,
): Promise<{ removed: number; discardedPending: boolean }> {
  const { order, request, issuance } = input.state;
  const records = order?.records ?? [];
  if (records.length > 0) await deps.dns.cleanup(records);
  // FinalizeOrder may have stored the key and then failed, before its result reached the state.
  const pending = issuance?.pending ?? (order && request ? deps.store.pendingFor(request.certificateId, order.orderUrl) : undefined);
  if (pending) await deps.store.discardPending(pending);
  // CreateOrder may have taken the lease and then failed, before the order reached the state.
  if (request) {
    await cleanupLeftovers(request.certificateId, input.executionId, deps);
    await deps.store.releaseLease(request.certificateId, input.executionId);
  }
  deps.log.info('cleaned up after failure', { records: records.map((record) => record.name), discardedPending: Boolean(pending) });
  return { removed: records.length, discardedPending: Boolean(pending) };
}

export const handler = lambdaHandler(cleanupChallenges);
export const failureHandler = lambdaHandler(cleanupAfterFailure);
