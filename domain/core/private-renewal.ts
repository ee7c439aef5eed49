/**
 * When a private CA's identity is renewed: at a random point between 50 % and 80 % of its lifetime,
 * drawn per certificate and serial (every new certificate draws anew, so identities issued together
 * drift apart), whatever the lifetime. Short-lived identities (1–7 days) are cheap to reissue and
 * have no ARI: a wide window spreads a fleet's renewals, and 20 % of the lifetime is left for retries.
 * Pure; the ACME lifetimes keep their own rule (renewal-policy.ts lifetimeFraction).
 */
import { jitterFraction } from './ari';
import { DAY_MS, HOUR_MS } from './durations';

const PRIVATE_RENEWAL_WINDOW = { earliest: 0.5, latest: 0.8 } as const;
/** Scans a certificate gets between the latest renewal point and its expiry (first attempt, then retries). */
const PRIVATE_ATTEMPTS_BEFORE_EXPIRY = 4;

/** The fraction of the lifetime at which this certificate (seed: id and serial) is renewed. */
export function privateRenewalFraction(seed: string): number {
  const { earliest, latest } = PRIVATE_RENEWAL_WINDOW;
  return earliest + jitterFraction(seed) * (latest - earliest);
}

/** The longest scan interval (hours) that still gives a `lifetimeDays` identity its attempts between 80 % and expiry. */
export function maxScanIntervalHours(lifetimeDays: number): number {
  const left = Math.round((1 - PRIVATE_RENEWAL_WINDOW.latest) * 1e9) / 1e9; // 0.2, not 0.19999999999999996
  return (left * lifetimeDays * DAY_MS) / PRIVATE_ATTEMPTS_BEFORE_EXPIRY / HOUR_MS;
}

/** Why scans every `scanIntervalHours` are too coarse for `lifetimeDays` identities, or undefined. */
export function scanIntervalProblem(lifetimeDays: number, scanIntervalHours: number): string | undefined {
  const max = maxScanIntervalHours(lifetimeDays);
  if (scanIntervalHours <= max) return undefined;
  return `a scan every ${scanIntervalHours} h is too coarse for ${lifetimeDays}-day identities renewed at 50–80 % of their lifetime (${PRIVATE_ATTEMPTS_BEFORE_EXPIRY} scans before expiry need schedule.scanIntervalHours ≤ ${Math.floor(max * 10) / 10})`;
}
