/**
 * When a private CA's identity is renewed: at a random point between 50 % and 80 % of its lifetime,
 * drawn per certificate and serial (every new certificate draws anew, so identities issued together
 * drift apart), whatever the lifetime. Short-lived identities (1–7 days) are cheap to reissue and
 * have no ARI: a wide window spreads a fleet's renewals, and 20 % of the lifetime is left for retries.
 * Pure; the ACME lifetimes keep their own rule (renewal-policy.ts lifetimeFraction).
 */
import { jitterFraction } from './ari';

export const PRIVATE_RENEWAL_WINDOW = { earliest: 0.5, latest: 0.8 } as const;
/** Scans a certificate gets between the latest renewal point and its expiry (first attempt, then retries): scan-schedule.ts. */
export const PRIVATE_ATTEMPTS_BEFORE_EXPIRY = 4;

/** The fraction of the lifetime at which this certificate (seed: id and serial) is renewed. */
export function privateRenewalFraction(seed: string): number {
  const { earliest, latest } = PRIVATE_RENEWAL_WINDOW;
  return earliest + jitterFraction(seed) * (latest - earliest);
}
