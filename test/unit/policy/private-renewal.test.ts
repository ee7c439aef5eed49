/**
 * Issue #19 point 2: short-lived private identities renewed at a random point in 50–80 % of their
 * lifetime, and scans fine enough for it. A fleet of 7-day identities onboarded in one hour, scanned
 * every 6 h for 60 days: no expiry, and the renewals spread out (a histogram, not a spike). The
 * fleet simulation has such a group too (sim/fleet.ts BROKERS_FLEET, test/unit/policy/fleet.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { CertificateMetadata } from '../../../domain/core/certificate';
import { evaluateRenewal, type DeclaredCertificate } from '../../../domain/core/renewal-policy';
import { privateRenewalFraction } from '../../../domain/core/private-renewal';
import { maxScanIntervalHours } from '../../../domain/core/scan-schedule';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2027-01-04T00:00:00Z');

function metadata(serial: string, notBefore: number, lifetimeDays: number): CertificateMetadata {
  return {
    names: ['b.mq.internal'],
    serialNumber: serial,
    notBefore: new Date(notBefore).toISOString(),
    notAfter: new Date(notBefore + lifetimeDays * DAY).toISOString(),
    fingerprintSha256: 'ab'.repeat(32),
    keyType: 'ec-p256',
    issuer: 'CN=certflow local private CA',
  };
}

const identity = (id: string): DeclaredCertificate => ({ id, names: ['b.mq.internal'], keyType: 'ec-p256', issuer: 'privateCa' });

describe('privateRenewalFraction', () => {
  it('stays in [50 %, 80 %] and covers it', () => {
    const fractions = Array.from({ length: 2000 }, (_, i) => privateRenewalFraction(`b${i}:0${i.toString(16)}`));
    expect(Math.min(...fractions)).toBeGreaterThanOrEqual(0.5);
    expect(Math.max(...fractions)).toBeLessThanOrEqual(0.8);
    expect(Math.min(...fractions)).toBeLessThan(0.52);
    expect(Math.max(...fractions)).toBeGreaterThan(0.78);
  });

  it.each([1, 3, 7])('is what the scan policy plans for a %i-day private identity (not the ACME rule)', (days) => {
    const meta = metadata('0a1b', T0, days);
    const verdict = evaluateRenewal({ certificate: identity('b1'), current: { metadata: meta }, now: new Date(T0) });
    const fraction = (Date.parse(verdict.renewAt!) - T0) / (days * DAY);
    expect(fraction).toBeCloseTo(privateRenewalFraction('b1:0a1b'), 6);
    expect(verdict.reason).toContain('private CA identity');
    expect(verdict.due).toBe(false);
  });
});

// The schedule check itself (one rule for ACME and private identities): test/unit/policy/scan-schedule.test.ts.

describe('a fleet of 7-day identities onboarded together, scanned every 6 h for 60 days', () => {
  const FLEET = 300;
  const SCAN_HOURS = 6;
  const renewalsPerScan = new Map<number, number>();
  let expiries = 0;
  let renewals = 0;
  // Each identity: its current certificate; onboarding spread over one hour.
  const fleet = Array.from({ length: FLEET }, (_, i) => ({ id: `broker-${i}`, generation: 0, meta: metadata(`${i.toString(16)}00`, T0 + (i * HOUR) / FLEET, 7) }));
  for (let scan = 1; scan <= (60 * 24) / SCAN_HOURS; scan += 1) {
    const now = T0 + scan * SCAN_HOURS * HOUR;
    for (const member of fleet) {
      if (now > Date.parse(member.meta.notAfter)) expiries += 1;
      const verdict = evaluateRenewal({ certificate: identity(member.id), current: { metadata: member.meta }, now: new Date(now), scanIntervalHours: SCAN_HOURS });
      if (!verdict.due) continue;
      member.generation += 1;
      member.meta = metadata(`${member.id.slice(7)}g${member.generation}`.replace(/[^0-9a-f]/g, 'f'), now, 7);
      renewals += 1;
      renewalsPerScan.set(scan, (renewalsPerScan.get(scan) ?? 0) + 1);
    }
  }

  it('lets none expire', () => {
    expect(expiries).toBe(0);
    expect(renewals).toBeGreaterThan(FLEET * 10); // ≈ 60 days / 4.6 days per identity
  });

  it('spreads the renewals (a histogram over the scans, not a spike)', () => {
    const counts = [...renewalsPerScan.values()];
    const peak = Math.max(...counts);
    // The first generation is due from day 3.5 to day 5.6: over ≥ 8 scans, no scan takes more than a quarter of the fleet.
    expect(peak).toBeLessThan(FLEET / 4);
    const firstWave = [...renewalsPerScan.entries()].filter(([scan]) => scan <= (6 * 24) / SCAN_HOURS);
    expect(firstWave.length).toBeGreaterThanOrEqual(8);
    // Later on the load is near flat: the busiest scan of the last 30 days carries less than 3× the mean.
    const late = [...renewalsPerScan.entries()].filter(([scan]) => scan > (30 * 24) / SCAN_HOURS).map(([, count]) => count);
    const mean = late.reduce((sum, count) => sum + count, 0) / ((30 * 24) / SCAN_HOURS);
    expect(Math.max(...late)).toBeLessThan(3 * mean);
    const histogram = firstWave.map(([scan, count]) => `day ${((scan * SCAN_HOURS) / 24).toFixed(2)}: ${'#'.repeat(Math.round(count / 3))} ${count}`);
    console.info(`first-generation renewals of ${FLEET} 7-day identities, per 6-h scan:\n${histogram.join('\n')}`);
  });

  it('fits the schedule: 6 h scans are within what 7-day identities need', () => {
    expect(maxScanIntervalHours('privateCa', 7 * 24)).toBeGreaterThanOrEqual(SCAN_HOURS);
  });
});
