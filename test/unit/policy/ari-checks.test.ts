/** RFC 9773 §4.3: no renewalInfo request before the CA's Retry-After; the stored window decides meanwhile. */
import { describe, expect, it } from 'vitest';
import { ARI_RECHECK, ariRecord, recheckDelayMs, reusableWindow } from '../../../domain/core/ari-checks';
import { retryAfterMs } from '../../../lambdas/acme/renewal-info';

const HOUR = 3_600_000;
const T0 = new Date('2026-12-06T12:00:00.000Z');
const at = (hours: number) => new Date(T0.getTime() + hours * HOUR);
const WINDOW = { start: at(24 * 40), end: at(24 * 42) };
const CERT = 'aki.serial01';

describe('recheckDelayMs: the Retry-After, within RFC 9773 §4.3 limits', () => {
  it('keeps a reasonable value: Let’s Encrypt’s and Pebble’s 6 h', () => {
    expect(recheckDelayMs(6 * HOUR)).toBe(6 * HOUR);
  });
  it('treats under a minute as a minute, over a day as a day', () => {
    expect(recheckDelayMs(0)).toBe(60_000);
    expect(recheckDelayMs(59_000)).toBe(60_000);
    expect(recheckDelayMs(30 * 24 * HOUR)).toBe(24 * HOUR);
  });
  it('falls back to 6 h without a usable header', () => {
    expect(recheckDelayMs(undefined)).toBe(ARI_RECHECK.defaultMs);
    expect(recheckDelayMs(Number.NaN)).toBe(6 * HOUR);
  });
});

describe('retryAfterMs: the header, parsed', () => {
  it('reads delta-seconds and an HTTP-date (RFC 9110 §10.2.3)', () => {
    expect(retryAfterMs('21600', T0)).toBe(6 * HOUR);
    expect(retryAfterMs(' 120 ', T0)).toBe(120_000);
    expect(retryAfterMs('Sun, 06 Dec 2026 15:00:00 GMT', T0)).toBe(3 * HOUR);
    expect(retryAfterMs('Sun, 06 Dec 2026 11:00:00 GMT', T0)).toBe(0); // already past: ask at the minimum
  });
  it('gives nothing for a missing or unreadable value', () => {
    for (const value of [undefined, '', 'soon', '-5', '1.5', ['21600']]) expect(retryAfterMs(value, T0), String(value)).toBeUndefined();
  });
});

describe('ariRecord and reusableWindow', () => {
  const record = ariRecord(CERT, { ...WINDOW, explanationUrl: 'https://ca.test/why' }, T0, 6 * HOUR);

  it('records the window and the next check, from the scan’s start', () => {
    expect(record).toEqual({
      certId: CERT,
      start: WINDOW.start.toISOString(),
      end: WINDOW.end.toISOString(),
      explanationUrl: 'https://ca.test/why',
      checkedAt: T0.toISOString(),
      nextCheckAt: at(6).toISOString(),
    });
    expect(ariRecord(CERT, WINDOW, T0, undefined).nextCheckAt).toBe(at(6).toISOString());
    expect(ariRecord(CERT, WINDOW, T0, 90 * 24 * HOUR).nextCheckAt).toBe(at(24).toISOString());
  });

  it('reuses the stored window until the next check, not at or after it', () => {
    expect(reusableWindow(record, { certId: CERT, now: at(3) })).toEqual({ ...WINDOW, explanationUrl: 'https://ca.test/why' });
    expect(reusableWindow(record, { certId: CERT, now: at(5.99) })).toBeDefined();
    expect(reusableWindow(record, { certId: CERT, now: at(6) })).toBeUndefined();
    expect(reusableWindow(record, { certId: CERT, now: at(9) })).toBeUndefined();
  });

  it('asks again for another certificate (the renewed one), after a revocation, or without a record', () => {
    expect(reusableWindow(record, { certId: 'aki.serial02', now: at(1) })).toBeUndefined();
    expect(reusableWindow(record, { certId: CERT, now: at(1), revokedAt: at(0.5).toISOString() })).toBeUndefined();
    expect(reusableWindow(record, { certId: CERT, now: at(1), revokedAt: at(-1).toISOString() })).toBeDefined(); // revoked before the answer: it knew
    expect(reusableWindow(undefined, { certId: CERT, now: at(1) })).toBeUndefined();
  });

  it('does not trust a malformed record or one whose next check is more than a day away (a clock that went back)', () => {
    expect(reusableWindow({ ...record, end: record.start }, { certId: CERT, now: at(1) })).toBeUndefined();
    expect(reusableWindow({ ...record, nextCheckAt: 'tomorrow' }, { certId: CERT, now: at(1) })).toBeUndefined();
    expect(reusableWindow(record, { certId: CERT, now: at(-19) })).toBeUndefined();
    expect(reusableWindow(record, { certId: CERT, now: at(-17) })).toBeDefined();
  });
});
