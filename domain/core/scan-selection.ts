/**
 * Which due certificates one scan starts: most urgent first, within what is left of each issuer's
 * order budget; the rest waits for the next scan. Pure and deterministic.
 *
 * The order budget is the ACME account's (Let's Encrypt: 300 new orders per 3 h). A private CA's
 * issuance counts against none: AWS Private CA throttles IssueCertificate per second
 * (ThrottlingException, retried by the step), it counts no issuances per window, and the scan's
 * Map concurrency already bounds the rate. Private renewals therefore go whatever the ACME budget
 * leaves; only the scan limit (maxPerScan) holds them back.
 */
import { evaluateRenewal, type DeclaredCertificate, type StoreState, type Verdict } from './renewal-policy';

/** One declared certificate with what the store knows about it. */
export interface InventoryEntry extends StoreState {
  readonly certificate: DeclaredCertificate;
}

export interface Candidate {
  readonly id: string;
  readonly verdict: Verdict;
  /** Issued by the private CA; absent: an ACME order. */
  readonly issuer?: 'privateCa';
}

/** The order budget an issuance counts against: the ACME account's, or none (a private CA). The one place that says so. */
export const countsAgainstOrderBudget = (issuer: 'privateCa' | undefined): boolean => issuer !== 'privateCa';

/**
 * Name prefix of the RenewCertificate executions that issue privately (a scan's private renewals,
 * a CLI run naming `issuer: privateCa`): the AWS order ledger (domain/adapters/aws/sfn-order-ledger.ts)
 * leaves them out of the ACME count. A private run without the name (issuer left to the
 * declaration, a revocation's reissue) is counted, which errs on the safe side.
 */
export const PRIVATE_EXECUTION_PREFIX = 'privateCa-';

/** The ACME account's order budget (per directory/account). */
export interface OrderBudget {
  readonly windowHours: number;
  readonly maxOrders: number;
  /** New ACME orders already placed in the last `windowHours` (every ACME execution, manual ones too; private issuances not). */
  readonly ordersInWindow: number;
}

export interface SelectionInput {
  readonly candidates: readonly Candidate[];
  /** The ACME account's; private candidates do not count against it. */
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
    ...(certificate.issuer === 'privateCa' ? { issuer: 'privateCa' as const } : {}),
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
  // Per budget: the ACME account's, and the unbudgeted private issuances; the scan limit over both.
  const lane = (budgeted: boolean) => {
    const capacity = Math.min(budgeted ? left : Infinity, maxPerScan);
    const retryCap = capacity === Infinity ? Infinity : Math.ceil(capacity * maxRetryShare); // nothing to starve without a limit
    return { budgeted, capacity, retryCap, chosen: 0, retries: 0 };
  };
  const lanes = { acme: lane(true), private: lane(false) };
  const laneOf = (candidate: Candidate) => (countsAgainstOrderBudget(candidate.issuer) ? lanes.acme : lanes.private);

  const chosen = new Set<Candidate>();
  const heldRetries = new Set<Candidate>();
  const take = (candidate: Candidate) => {
    const own = laneOf(candidate);
    chosen.add(candidate);
    own.chosen += 1;
    if (candidate.verdict.retry) own.retries += 1;
  };
  const hasRoom = (candidate: Candidate) => chosen.size < maxPerScan && laneOf(candidate).chosen < laneOf(candidate).capacity;
  for (const candidate of due) {
    if (!hasRoom(candidate)) continue;
    if (candidate.verdict.retry && laneOf(candidate).retries === laneOf(candidate).retryCap) heldRetries.add(candidate);
    else take(candidate);
  }
  // Not enough first attempts to fill the scan: held retries take the rest.
  for (const candidate of heldRetries) if (hasRoom(candidate)) take(candidate);

  type Lane = (typeof lanes)['acme'];
  const full = (own: Lane) =>
    own.budgeted && own.chosen >= left
      ? `order budget used: ${budget.ordersInWindow + own.chosen} of ${budget.maxOrders} orders in ${budget.windowHours} h`
      : `scan limit of ${maxPerScan} renewals reached`;
  const retryFull = (own: Lane) => `retries after failure limited to ${own.retryCap} of this scan's ${own.capacity} orders`;
  const selected: string[] = [];
  const deferred: Selection['deferred'] = [];
  for (const candidate of due) {
    if (chosen.has(candidate)) selected.push(candidate.id);
    else deferred.push({ id: candidate.id, reason: heldRetries.has(candidate) ? retryFull(laneOf(candidate)) : full(laneOf(candidate)) });
  }
  return { selected, deferred };
}
