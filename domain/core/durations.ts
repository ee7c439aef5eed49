/** Milliseconds per hour and per day: the units the renewal policy, the scan and the fleet simulation count in. */
export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/**
 * The RenewCertificate execution's timeout (infra/certflow-stack.ts): no execution runs longer, so a
 * renewal lease taken for this long outlives its holder only when the holder was killed.
 */
export const RENEWAL_TIMEOUT_MS = 2 * HOUR_MS;
