/** Milliseconds per hour and per day: the units the renewal policy, the scan and the fleet simulation count in. */
export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
