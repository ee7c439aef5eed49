import { RenewalInProgress } from '../../domain/core/errors';
import type { RenewalLease } from '../../domain/ports';
import type { StepDeps } from '../deps';

type LeaseDeps = StepDeps<{ store: 'acquireLease'; executions: 'isGone' }>;

/**
 * The certificate's renewal lease for this execution (CreateOrder, IssuePrivate). Held by another
 * execution: RenewalInProgress, unless that one is over (stopped on AWS, where no Catch runs; its
 * process gone locally), which leaves a lease nobody gives back: taken over at once, with what it
 * left out (the taker's cleanup removes it). `refuseTakeover` may name why this step cannot clean up
 * what the holder left (then RenewalInProgress, and the lease waits for a step that can, or expiry).
 */
export async function takeLease(lease: RenewalLease, deps: LeaseDeps, refuseTakeover?: () => Promise<string | undefined>): Promise<void> {
  const now = deps.now();
  try {
    await deps.store.acquireLease(lease, now);
    return;
  } catch (error) {
    if (!(error instanceof RenewalInProgress) || error.holder === undefined || !(await deps.executions.isGone(error.holder))) throw error;
    const refused = await refuseTakeover?.();
    if (refused) throw new RenewalInProgress(`${error.message}; its execution is over, but ${refused}`, error.holder);
    deps.log.warn('taking over the renewal lease of an execution that is over', { certificateId: lease.certificateId, previousHolder: error.holder });
    await deps.store.acquireLease(lease, now, { takeOverFrom: error.holder });
  }
}
