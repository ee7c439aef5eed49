import { describe, expect, it } from 'vitest';
import type { CertificateMetadata } from '../../../domain/core/certificate';
import type { KeyType } from '../../../domain/core/key-types';
import {
  ATTEMPTS_BEFORE_FLOOR,
  evaluateRenewal,
  FLOOR_FRACTION,
  renewalFractions,
  type PolicyInput,
  type StoreState,
} from '../../../domain/core/renewal-policy';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = new Date('2026-06-01T00:00:00Z');

/** A stored certificate issued `ageDays` before NOW. */
function stored(ageDays: number, { lifetimeDays = 90, names = ['example.com'], keyType = 'ec-p256' as KeyType, serial = '0a0b0c' } = {}) {
  const notBefore = NOW.getTime() - ageDays * DAY;
  const metadata: CertificateMetadata = {
    names,
    serialNumber: serial,
    notBefore: new Date(notBefore).toISOString(),
    notAfter: new Date(notBefore + lifetimeDays * DAY).toISOString(),
    fingerprintSha256: 'ab'.repeat(32),
    keyType,
    issuer: 'CN=Test CA',
  };
  return { metadata };
}

function input(state: StoreState, certificate: Partial<PolicyInput['certificate']> = {}, now = NOW): PolicyInput {
  return { certificate: { id: 'broker-eu1', names: ['example.com'], keyType: 'ec-p256', ...certificate }, ...state, now };
}

/** The fraction of the lifetime the lifetime rule renews this certificate at. */
function renewalFraction(verdict: { renewAt?: string }, metadata: CertificateMetadata): number {
  const notBefore = Date.parse(metadata.notBefore);
  return (Date.parse(verdict.renewAt!) - notBefore) / (Date.parse(metadata.notAfter) - notBefore);
}

describe('revoked certificates', () => {
  const CERT = stored(10, { serial: '0a0b0c' });
  it.each([
    ['revoked (keyCompromise), no ARI: due now', { current: CERT, revoked: { reason: 'keyCompromise', revokedAt: '2026-05-31T00:00:00.000Z' } }, true, /^revoked \(keyCompromise\) at 2026-05-31T00:00:00\.000Z$/],
    ['retired (cessationOfOperation): never due, whatever else', { current: CERT, revoked: { reason: 'cessationOfOperation', revokedAt: '2026-05-31T00:00:00.000Z' } }, false, /^retired: revoked \(cessationOfOperation\) at 2026-05-31T00:00:00\.000Z; certflow renew broker-eu1 brings it back$/],
  ])('%s', (_case, state: StoreState, due, reason) => {
    const verdict = evaluateRenewal(input(state, { names: state.revoked?.reason === 'cessationOfOperation' ? ['changed.example.com'] : ['example.com'] }));
    expect(verdict.due).toBe(due);
    expect(verdict.reason).toMatch(reason);
  });
});

describe('the policy chain, first verdict wins', () => {
  it.each([
    ['missing', input({}), /^no certificate issued yet$/],
    ['unreadable', input({ current: { unreadable: 'PEM does not parse' } }), /^stored certificate unreadable: PEM does not parse$/],
    [
      'metadata with inverted dates',
      input({ current: { metadata: { ...stored(1).metadata, notAfter: '2020-01-01T00:00:00.000Z' } } }),
      /^stored metadata has no valid validity period/,
    ],
    ['a name added', input({ current: stored(1) }, { names: ['example.com', 'www.example.com'] }), /^names changed: \+www\.example\.com$/],
    [
      'a name removed (declared names normalized)',
      input({ current: stored(1, { names: ['example.com', 'old.example.com'] }) }, { names: ['Example.COM.'] }),
      /^names changed: -old\.example\.com$/,
    ],
    [
      'names changed beats key type changed',
      input({ current: stored(1, { keyType: 'rsa-2048' }) }, { names: ['a.example.com'] }),
      /^names changed: \+a\.example\.com, -example\.com$/,
    ],
    ['key type changed', input({ current: stored(1, { keyType: 'rsa-2048' }) }), /^key type changed: rsa-2048 → ec-p256$/],
  ])('%s → due now', (_name, policyInput, reason) => {
    const verdict = evaluateRenewal(policyInput);
    expect(verdict).toMatchObject({ due: true, urgency: 0 });
    expect(verdict.reason).toMatch(reason);
    expect(verdict.renewAt).toBeUndefined();
  });

  it('same names in another order and case are not a change', () => {
    const verdict = evaluateRenewal(input({ current: stored(1, { names: ['b.example.com', 'a.example.com'] }) }, { names: ['A.example.com', 'b.example.com.'] }));
    expect(verdict.due).toBe(false);
    expect(verdict.reason).toMatch(/^no ARI window; renew at \d+\.\d% of lifetime: due at /);
  });

  it('a configuration change on a certificate already below the floor keeps its negative urgency', () => {
    const verdict = evaluateRenewal(input({ current: stored(80, { keyType: 'rsa-2048' }) }));
    expect(verdict.urgency).toBeCloseTo(-5 * 24, 6); // floor at day 75
  });

  it.each([
    // [renewBeforeDays, age in days, due, renewAt]
    [30, 59, false, '2026-06-02T00:00:00.000Z'],
    [30, 60, true, '2026-06-01T00:00:00.000Z'],
    [1, 85, false, '2026-06-05T00:00:00.000Z'],
  ])('renewBefore %id at age %id → due %s at %s (exact, no jitter)', (renewBeforeDays, age, due, renewAt) => {
    const verdict = evaluateRenewal(input({ current: stored(age) }, { renewBeforeDays }));
    expect(verdict).toMatchObject({ due, renewAt });
    expect(verdict.reason).toMatch(new RegExp(`^no ARI window; renewBefore ${renewBeforeDays}d: due (at|since) `));
  });

  it.each([[90], [0], [-3]])('renewBefore %id on a 90-day certificate is ignored for the lifetime rule, and says so', (renewBeforeDays) => {
    const verdict = evaluateRenewal(input({ current: stored(10) }, { renewBeforeDays }));
    expect(verdict.reason).toContain(`renewBefore ${renewBeforeDays}d ignored (needs 0 < days < lifetime 90.0d); renew at`);
  });

  it.each([
    // [lifetime days, age days, due]: below ½ never due, at or past ⅔ always due, whatever the jitter
    [90, 44.9, false],
    [90, 60, true],
    [45, 22.4, false],
    [45, 30, true],
    [6, 2.99, false],
    [6, 4, true],
    [90, 100, true], // expired: still due, most urgent
  ])('lifetime rule: %i-day certificate at age %f days → due %s', (lifetimeDays, age, due) => {
    for (const serial of ['01', '02', '03', 'ff00', 'abcdef']) {
      expect(evaluateRenewal(input({ current: stored(age, { lifetimeDays, serial }) })).due).toBe(due);
    }
  });

  it.each([
    // [lifetime days, scan hours, earliest, latest]
    [90, 6, 0.5, 2 / 3],
    [45, 6, 0.5, 2 / 3],
    [6, 6, 0.5, 2 / 3],
    [6, 12, 0.375, 0.5],
    [6, 3, 0.5, 2 / 3],
  ])('jitter keeps a %i-day certificate scanned every %i h within [%f, %f] of its lifetime, spread over it', (lifetimeDays, scanIntervalHours, earliest, latest) => {
    const fractions = Array.from({ length: 2000 }, (_, i) => {
      const current = stored(0, { lifetimeDays, serial: i.toString(16) });
      return renewalFraction(evaluateRenewal({ ...input({ current }, { id: `cert-${i}` }), scanIntervalHours }), current.metadata);
    });
    expect(Math.min(...fractions)).toBeGreaterThanOrEqual(earliest - 1e-9);
    expect(Math.max(...fractions)).toBeLessThanOrEqual(latest + 1e-9);
    const width = latest - earliest;
    expect(Math.min(...fractions)).toBeLessThan(earliest + width * 0.01);
    expect(Math.max(...fractions)).toBeGreaterThan(latest - width * 0.01);
    const mean = fractions.reduce((sum, f) => sum + f, 0) / fractions.length;
    expect(mean).toBeCloseTo((earliest + latest) / 2, 2);
  });

  it.each([
    [90, 6],
    [45, 6],
    [6, 6],
    [6, 3],
    [160 / 24, 6], // Let's Encrypt's 160-hour "6-day" certificates
  ])('a %f-day certificate scanned every %i h gets ATTEMPTS_BEFORE_FLOOR scans between its latest renewal point and the floor', (lifetimeDays, scanHours) => {
    const { latest, deadline } = renewalFractions(lifetimeDays * DAY, scanHours);
    const hoursBeforeFloor = (1 - FLOOR_FRACTION - latest) * lifetimeDays * 24;
    expect(Math.floor(hoursBeforeFloor / scanHours + 1e-9)).toBeGreaterThanOrEqual(ATTEMPTS_BEFORE_FLOOR);
    expect(deadline).toBeGreaterThanOrEqual(latest);
    expect((1 - FLOOR_FRACTION - deadline) * lifetimeDays * 24).toBeCloseTo(ATTEMPTS_BEFORE_FLOOR * scanHours, 6);
  });

  it('is deterministic per certificate and serial, and draws afresh for a new serial', () => {
    const a = evaluateRenewal(input({ current: stored(10, { serial: '0a' }) }));
    expect(evaluateRenewal(input({ current: stored(10, { serial: '0a' }) }))).toEqual(a);
    const renewals = new Set(['0b', '0c', '0d', '0e'].map((serial) => evaluateRenewal(input({ current: stored(10, { serial }) })).renewAt));
    expect(renewals.size).toBe(4);
    expect(renewals.has(a.renewAt)).toBe(false);
  });

  it('changes from not due to due exactly at renewAt, and stays due (the simulation relies on it)', () => {
    const current = stored(0);
    const renewAt = Date.parse(evaluateRenewal(input({ current })).renewAt!);
    for (const [offset, due] of [[-1, false], [0, true], [1, true], [DAY, true]] as const) {
      expect(evaluateRenewal(input({ current }, {}, new Date(renewAt + offset))).due).toBe(due);
    }
  });

  it('urgency is in hours before the floor: a 6-day certificate at 35 % goes before a 90-day one at 30 %', () => {
    const short = evaluateRenewal(input({ current: stored(6 * 0.65, { lifetimeDays: 6 }) }));
    const long = evaluateRenewal(input({ current: stored(90 * 0.7, { lifetimeDays: 90 }) }));
    expect(short.urgency).toBeCloseTo((0.35 - FLOOR_FRACTION) * 6 * 24, 6);
    expect(long.urgency).toBeCloseTo((0.3 - FLOOR_FRACTION) * 90 * 24, 6);
    expect(short.urgency).toBeLessThan(long.urgency);
  });
});

describe('failure retry', () => {
  const failedAt = (ageDays: number) => ({ at: new Date(NOW.getTime() - ageDays * DAY).toISOString(), error: 'OrderInvalid: example.com: NXDOMAIN' });

  it.each([
    // [case, state, due, retry]
    ['due, failed after the current certificate was issued', { current: stored(70), lastFailure: failedAt(0.25) }, true, true],
    ['due, the failure predates the current certificate', { current: stored(70), lastFailure: failedAt(80) }, true, false],
    ['not due: a failure alone does not make a certificate due', { current: stored(10), lastFailure: failedAt(1) }, false, false],
    ['missing certificate that failed', { lastFailure: failedAt(0.25) }, true, true],
  ])('%s → due %s, retry %s', (_case, state: StoreState, due, retry) => {
    const verdict = evaluateRenewal(input(state));
    expect(verdict.due).toBe(due);
    expect(verdict.retry ?? false).toBe(retry);
    if (retry) expect(verdict.reason).toMatch(/; retrying after failure at \S+: OrderInvalid: example\.com: NXDOMAIN$/);
  });
});

describe('ARI in the chain', () => {
  // The stored certificate's certID: its serial 0a0b0c is "CgsM" in base64url.
  const CERT_ID = 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.CgsM';
  const window = (startDays: number, endDays: number) => ({
    start: new Date(NOW.getTime() + startDays * DAY),
    end: new Date(NOW.getTime() + endDays * DAY),
  });

  it.each([
    // [case, age of a 90-day certificate, window relative to NOW (days), due, reason]
    ['window entirely ahead', 10, window(5, 7), false, /^ARI window \S+ – \S+: due at /],
    ['window open and its instant passed', 58, window(-3, 0.5), true, /^ARI window \S+ – \S+: due since /],
    ['window in the past (renew now)', 20, window(-2, -1), true, /^ARI window \S+ – \S+: due since /],
  ])('%s → due %s', (_case, age, suggested, due, reason) => {
    const verdict = evaluateRenewal(input({ current: stored(age), ari: { certId: CERT_ID, info: suggested } }));
    expect(verdict.due).toBe(due);
    expect(verdict.reason).toMatch(reason);
    const renewAt = Date.parse(verdict.renewAt!);
    expect(renewAt).toBeGreaterThanOrEqual(suggested.start.getTime());
    expect(renewAt).toBeLessThanOrEqual(Math.max(suggested.start.getTime(), suggested.end.getTime() - 6 * HOUR));
  });

  it('a past window makes the certificate more urgent than its lifetime says (the CA is about to revoke)', () => {
    const verdict = evaluateRenewal(input({ current: stored(20), ari: { certId: CERT_ID, info: window(-2, -1) } }));
    expect(verdict.urgency).toBeCloseTo(-24, 6);
  });

  it('keeps the explanation URL in the reason', () => {
    const info = { ...window(-1, 1), explanationUrl: 'https://ca.example/incident' };
    expect(evaluateRenewal(input({ current: stored(50), ari: { certId: CERT_ID, info } })).reason).toContain('(explanation: https://ca.example/incident)');
  });

  it('caps a window that would end past the floor guarantee', () => {
    // 6-day certificate issued 2 days ago, scanned every 6 h; the CA suggests days 4.5 to 5.5 (floor at day 5).
    const verdict = evaluateRenewal({ ...input({ current: stored(2, { lifetimeDays: 6 }), ari: { certId: CERT_ID, info: window(2.5, 3.5) } }), scanIntervalHours: 6 });
    expect(verdict.renewAt).toBe(new Date(NOW.getTime() + 2 * DAY).toISOString()); // ⅔ of 6 days from issuance
    expect(verdict.reason).toMatch(/capped at the floor guarantee/);
  });

  it.each([
    ['absent', undefined, /^no ARI window; renew at /],
    ['invalid', { certId: CERT_ID, info: { invalid: 'suggestedWindow is missing' } }, /^ARI window unusable \(suggestedWindow is missing\); renew at /],
    ['for the previous certificate', { certId: 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE', info: window(-2, -1) }, /^ARI window is for another certificate \(aYhba4dGQEHhs3uEe6CuLN4ByNQ\.AIdlQyE\); renew at /],
  ])('%s → falls back to the lifetime rule and says so', (_case, ari, reason) => {
    const fallback = evaluateRenewal(input({ current: stored(10) }));
    const verdict = evaluateRenewal(input({ current: stored(10), ari }));
    expect(verdict.reason).toMatch(reason);
    expect(verdict).toMatchObject({ due: false, renewAt: fallback.renewAt, urgency: fallback.urgency });
  });

  it('falls back to renewBefore too', () => {
    const verdict = evaluateRenewal(input({ current: stored(10), ari: { certId: CERT_ID, info: { invalid: 'HTTP 503' } } }, { renewBeforeDays: 30 }));
    expect(verdict.reason).toMatch(/^ARI window unusable \(HTTP 503\); renewBefore 30d: due at 2026-07-21T00:00:00\.000Z$/);
  });
});
