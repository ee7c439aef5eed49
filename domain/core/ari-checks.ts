/**
 * When the scan may ask a CA's renewalInfo again (RFC 9773 §4.3): not before the Retry-After the
 * CA sent with its last answer. Until then the stored answer (its window) decides, with no request.
 * Pure: the clock and the header's value (already parsed to milliseconds) are arguments.
 */
import { HOUR_MS } from './durations';
import type { RenewalWindow } from './ari';

const MINUTE_MS = 60_000;

/**
 * Limits on the time between two checks of one certificate. RFC 9773 §4.3 asks clients to set
 * reasonable limits and gives these as its example: under a minute counts as a minute, over a day
 * as a day (a CA's incident must reach us within a day whatever it sent before). Without a usable
 * Retry-After we wait 6 h, what Let's Encrypt and Pebble send: every second scan at the default 3 h.
 */
export const ARI_RECHECK = { minMs: MINUTE_MS, maxMs: 24 * HOUR_MS, defaultMs: 6 * HOUR_MS } as const;

/** The last usable answer for a certificate, as the store keeps it (ISO timestamps). */
export interface AriRecord {
  /** The certificate it is about (RFC 9773 CertID): an answer about an older certificate is not reused. */
  readonly certId: string;
  readonly start: string;
  readonly end: string;
  readonly explanationUrl?: string;
  /** When the scan asked (the scan's clock). */
  readonly checkedAt: string;
  /** The scan asks again at or after this (checkedAt + Retry-After, clamped). */
  readonly nextCheckAt: string;
}

/** The wait before the next check: the CA's Retry-After clamped to ARI_RECHECK, or its default. */
export function recheckDelayMs(retryAfterMs: number | undefined): number {
  if (retryAfterMs === undefined || !Number.isFinite(retryAfterMs)) return ARI_RECHECK.defaultMs;
  return Math.min(ARI_RECHECK.maxMs, Math.max(ARI_RECHECK.minMs, retryAfterMs));
}

/**
 * The record of an answer received during the scan that started at `checkedAt`. Measured from the
 * scan's start, not the response (seconds later): scans run on a fixed schedule, so a Retry-After
 * of two scan intervals lets exactly every second scan ask, instead of every third.
 */
export function ariRecord(certId: string, window: RenewalWindow, checkedAt: Date, retryAfterMs: number | undefined): AriRecord {
  return {
    certId,
    start: window.start.toISOString(),
    end: window.end.toISOString(),
    ...(window.explanationUrl ? { explanationUrl: window.explanationUrl } : {}),
    checkedAt: checkedAt.toISOString(),
    nextCheckAt: new Date(checkedAt.getTime() + recheckDelayMs(retryAfterMs)).toISOString(),
  };
}

export interface ReuseContext {
  /** The current certificate's CertID. */
  readonly certId: string;
  readonly now: Date;
  /** When the current certificate was revoked, if it was: a CA answers "renew now" from then on. */
  readonly revokedAt?: string;
}

/**
 * The stored window when it may stand in for a request: same certificate, before its next check,
 * and not older than the certificate's revocation (which changes the CA's answer). Otherwise
 * undefined: ask the CA.
 */
export function reusableWindow(record: AriRecord | undefined, { certId, now, revokedAt }: ReuseContext): RenewalWindow | undefined {
  if (!record || record.certId !== certId) return undefined;
  const [start, end, checkedAt, nextCheckAt] = [record.start, record.end, record.checkedAt, record.nextCheckAt].map(Date.parse) as [number, number, number, number];
  if (![start, end, checkedAt, nextCheckAt].every(Number.isFinite) || end <= start) return undefined;
  if (now.getTime() >= nextCheckAt) return undefined;
  // A record written "in the future" (a clock that jumped back) is not trusted past a day.
  if (nextCheckAt - now.getTime() > ARI_RECHECK.maxMs) return undefined;
  if (revokedAt !== undefined && !(Date.parse(revokedAt) < checkedAt)) return undefined;
  return { start: new Date(start), end: new Date(end), ...(record.explanationUrl ? { explanationUrl: record.explanationUrl } : {}) };
}
