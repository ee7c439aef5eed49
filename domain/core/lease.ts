/**
 * The renewal lease's rules, for both stores (the file store, Secrets Manager): who may take a
 * certificate's lease, and what the new lease document carries. Pure: the clock and the holder's
 * liveness (ExecutionStatus, asked by CreateOrder) are inputs.
 */
import type { z } from 'zod';
import type { RenewalLeaseSchema } from '../contracts/store-documents';
import type { LeaseOrder, RenewalLease } from '../ports';

/**
 * - free:    no lease (never taken, or released);
 * - mine:    `holder` holds it already (a retried step, or CreateOrder noting its order);
 * - expired: another holder's, past its expiry (its execution outlived no timeout: it was killed);
 * - gone:    another holder's, not expired, but that holder is known to be over (`takeOverFrom`);
 * - held:    another holder's, which may still run: RenewalInProgress.
 */
export type LeaseVerdict = 'free' | 'mine' | 'expired' | 'gone' | 'held';

export function leaseVerdict(held: Pick<RenewalLease, 'holder' | 'expiresAt'> | undefined, holder: string, now: Date, takeOverFrom?: string): LeaseVerdict {
  if (!held) return 'free';
  if (held.holder === holder) return 'mine';
  if (held.expiresAt.getTime() <= now.getTime()) return 'expired';
  return held.holder === takeOverFrom ? 'gone' : 'held';
}

/**
 * The lease to write for `wanted` over `held`: a holder keeps what it noted (its order, its
 * leftovers); a taker inherits what the previous holder left out (its order, and its own
 * leftovers), which the taker's cleanup removes before it releases the lease.
 */
export function nextLease(held: RenewalLease | undefined, wanted: RenewalLease, verdict: Exclude<LeaseVerdict, 'held'>): RenewalLease {
  const order = wanted.order ?? (verdict === 'mine' ? held?.order : undefined);
  const inherited: LeaseOrder[] = verdict === 'mine' ? [...(held?.leftovers ?? [])] : verdict === 'free' ? [] : [...(held?.leftovers ?? []), ...(held?.order ? [held.order] : [])];
  return {
    certificateId: wanted.certificateId,
    holder: wanted.holder,
    expiresAt: wanted.expiresAt,
    ...(order ? { order } : {}),
    ...(inherited.length > 0 ? { leftovers: inherited } : {}),
  };
}

/** A lease as stored (domain/contracts/store-documents.ts RenewalLeaseSchema). */
export type LeaseRecord = z.output<typeof RenewalLeaseSchema>;

const orderRecord = (order: LeaseOrder) => ({ orderUrl: order.orderUrl, records: order.records.map(({ name, value }) => ({ name, value })) });

/** The lease as its JSON document stores it (the file store's file; the `lease` of the Secrets Manager document). */
export function leaseRecord(lease: RenewalLease): LeaseRecord {
  return {
    holder: lease.holder,
    expiresAt: lease.expiresAt.toISOString(),
    ...(lease.order ? { order: orderRecord(lease.order) } : {}),
    ...(lease.leftovers?.length ? { leftovers: lease.leftovers.map(orderRecord) } : {}),
  };
}

/** The lease from its stored record. */
export function leaseOf(certificateId: string, record: LeaseRecord): RenewalLease {
  return {
    certificateId,
    holder: record.holder,
    expiresAt: new Date(record.expiresAt),
    ...(record.order ? { order: record.order } : {}),
    ...(record.leftovers?.length ? { leftovers: record.leftovers } : {}),
  };
}

/** What a holder's cleanup removes besides its own order: the orders of the holders it took over from. */
export function leftoversOf(lease: RenewalLease | undefined, holder: string): readonly LeaseOrder[] {
  return lease?.holder === holder ? (lease.leftovers ?? []) : [];
}
