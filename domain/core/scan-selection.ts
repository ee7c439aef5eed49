/**
 * Which due certificates one scan starts: most urgent first, within what is left of the CA's
 * order budget; the rest waits for the next scan. Pure and deterministic.
 */
import { evaluateRenewal, type DeclaredCertificate, type StoreState, type Verdict } from './renewal-policy';

/** One declared certificate with what the store knows about it. */
export interface InventoryEntry extends StoreState {
  readonly certificate: DeclaredCertificate;
}

export interface Candidate {
  readonly id: string;
  readonly verdict: Verdict;
}

export interface OrderBudget {
  readonly windowHours: number;
  readonly maxOrders: number;
  /** New orders already placed in the last `windowHours` (every execution, manual ones too). */
  readonly ordersInWindow: number;
}

export interface SelectionInput {
  readonly candidates: readonly Candidate[];
  readonly budget: OrderBudget;
  /** At most this many executions per scan, whatever the budget leaves. */
  readonly maxPerScan?: number;
  /**
   * Share of this scan's orders that retries after a failure may take while first attempts
   * wait (default ½): a zone whose DNS is broken must not starve every other renewal.
   */
  readonly maxRetryShare?: number;
}

export interface Selection {
  /** Certificate ids to renew, most urgent first. */
  readonly selected: string[];
  readonly deferred: { readonly id: string; readonly reason: string }[];
}

/** Join the declared certificates with the store's state, keyed by certificate id. */
export function inventoryEntries(declared: readonly DeclaredCertificate[], state: ReadonlyMap<string, StoreState>): InventoryEntry[] {
  const seen = new Set<string>();
  return declared.map((certificate) => {
    if (seen.has(certificate.id)) throw new Error(`certificate id '${certificate.id}' is declared twice`);
    seen.add(certificate.id);
    return { certificate, ...state.get(certificate.id) };
  });
}

export function evaluateInventory(entries: readonly InventoryEntry[], now: Date, scanIntervalHours?: number): Candidate[] {
  return entries.map(({ certificate, current, lastFailure, ari, revoked }) => ({
    id: certificate.id,
    verdict: evaluateRenewal({ certificate, current, lastFailure, ari, revoked, now, scanIntervalHours }),
  }));
}

const byUrgency = (a: Candidate, b: Candidate) => a.verdict.urgency - b.verdict.urgency || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function checkCount(name: string, value: number): void {
  if (!(value >= 0)) throw new RangeError(`${name} must be a number ≥ 0, got ${value}`);
}

export function selectForRenewal({ candidates, budget, maxPerScan = Infinity, maxRetryShare = 0.5 }: SelectionInput): Selection {
  checkCount('budget.maxOrders', budget.maxOrders);
  checkCount('budget.ordersInWindow', budget.ordersInWindow);
  checkCount('maxPerScan', maxPerScan);
  if (!(maxRetryShare >= 0 && maxRetryShare <= 1)) throw new RangeError(`maxRetryShare must be within [0, 1], got ${maxRetryShare}`);

  const due = candidates.filter((candidate) => candidate.verdict.due).sort(byUrgency);
  const left = Math.max(0, budget.maxOrders - budget.ordersInWindow);
  const capacity = Math.min(left, maxPerScan);
  const retryCap = Math.ceil(capacity * maxRetryShare);

  const chosen = new Set<Candidate>();
  const heldRetries = new Set<Candidate>();
  let retries = 0;
  for (const candidate of due) {
    if (chosen.size === capacity) break;
    if (candidate.verdict.retry && retries === retryCap) heldRetries.add(candidate);
    else {
      chosen.add(candidate);
      if (candidate.verdict.retry) retries += 1;
    }
  }
  // Not enough first attempts to fill the scan: held retries take the rest.
  for (const candidate of heldRetries) {
    if (chosen.size === capacity) break;
    chosen.add(candidate);
  }

  const full =
    capacity < left
      ? `scan limit of ${maxPerScan} renewals reached`
      : `order budget used: ${budget.ordersInWindow + capacity} of ${budget.maxOrders} orders in ${budget.windowHours} h`;
  const retryFull = `retries after failure limited to ${retryCap} of this scan's ${capacity} orders`;
  const selected: string[] = [];
  const deferred: Selection['deferred'] = [];
  for (const candidate of due) {
    if (chosen.has(candidate)) selected.push(candidate.id);
    else deferred.push({ id: candidate.id, reason: heldRetries.has(candidate) ? retryFull : full });
  }
  return { selected, deferred };
}
