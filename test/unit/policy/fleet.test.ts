import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { LETS_ENCRYPT_PROFILE_LIFETIMES, lifetimeHoursAt } from '../../../domain/core/profile-lifetimes';
import { FLOOR_FRACTION } from '../../../domain/core/renewal-policy';
import { BROKERS_FLEET, DEFAULT_FLEET, fleetCheckFailures, letsEncryptWindow, LETS_ENCRYPT_FLEET, renewalSpread, simulateFleet, type FleetConfig, type FleetResult } from '../../../sim/fleet';
import { main } from '../../../bin/simulate';

// 500 certificates need about 40 orders a day; 25 per 3 h with a scan every 6 h allows 100,
// and the initial backlog (about an eighth of the fleet due at once) takes several scans.
const SMALL: FleetConfig = { ...DEFAULT_FLEET, certificates: 500, days: 60, budget: { maxOrders: 25, windowHours: 3 } };

describe('fleet simulation', () => {
  it('keeps the guarantees: budget, ⅙ floor, no expiry', () => {
    const result = simulateFleet(SMALL);
    expect(result.peakOrdersPerWindow).toBeLessThanOrEqual(25);
    expect(result.peakOrdersPerWindow).toBe(25); // the budget was binding
    expect(result.deferrals).toBeGreaterThan(0);
    expect(result.minRemainingFraction).toBeGreaterThanOrEqual(FLOOR_FRACTION);
    expect(result.expiries).toBe(0);
    expect(result.failures).toBeGreaterThan(0);
    for (const lifetimeClass of result.classes) expect(lifetimeClass.renewals).toBeGreaterThan(0);
    expect(fleetCheckFailures(result)).toEqual([]);
  });

  it('is deterministic for a seed, and another seed gives another run', () => {
    expect(simulateFleet(SMALL)).toEqual(simulateFleet(SMALL));
    expect(simulateFleet({ ...SMALL, seed: 2 }).orders).not.toBe(simulateFleet(SMALL).orders);
  });

  it('reports a broken guarantee when the budget cannot carry the fleet', () => {
    const starved = simulateFleet({ ...SMALL, budget: { maxOrders: 5, windowHours: 3 } });
    expect(starved.peakOrdersPerWindow).toBeLessThanOrEqual(5);
    expect(fleetCheckFailures(starved).join('\n')).toMatch(/^a certificate got down to -?\d+\.\d+% of its lifetime \(floor ⅙\)$/m);
  });

  it.each([
    ['2026-12-01', 90 * 24],
    ['2027-02-10', 64 * 24],
    ['2028-02-15', 64 * 24],
    ['2028-02-16', 45 * 24],
  ])('classic issued on %s lives %i h', (date, hours) => {
    expect(lifetimeHoursAt(LETS_ENCRYPT_PROFILE_LIFETIMES.classic, new Date(`${date}T00:00:00Z`))).toBe(hours);
  });

  it('a Let\'s Encrypt fleet across 2027-02-10 and 2028-02-16 keeps the guarantees; ARI renewals are counted apart', () => {
    // 300 certificates from 2027-01-01 to 2028-03-31, budget 10 per 3 h: without ARI exemption it would not fit the initial backlog alone.
    const config: FleetConfig = { ...LETS_ENCRYPT_FLEET, certificates: 300, start: '2027-01-01', days: 455, budget: { maxOrders: 10, windowHours: 3 } };
    const result = simulateFleet(config);
    expect(fleetCheckFailures(result)).toEqual([]);
    expect(result.expiries).toBe(0);
    expect(result.peakOrdersPerWindow).toBeLessThanOrEqual(10);
    expect(result.ariOrders).toBeGreaterThan(result.orders * 0.9); // nearly every renewal lands in its window
    expect(result.peakAriOrdersPerWindow).toBeGreaterThan(0);
    expect(result.classes.map((c) => c.label)).toEqual(['classic', 'tlsserver', 'shortlived']);
    const noAri = simulateFleet({ ...config, ari: false });
    expect(noAri.ariOrders).toBe(0);
    expect(noAri.peakAriOrdersPerWindow).toBe(0);
  });

  it.each([
    ['90 days', 90 * 24, 60 * 24, 0.9 * 24],
    ['64 days', 64 * 24, (64 * 24 * 2) / 3, 0.64 * 24],
    ['160 hours (under 10 days: halfway)', 160, 80, 1.6],
  ])('Let\'s Encrypt\'s ARI window for %s', (_case, lifetimeHours, idealHours, marginHours) => {
    const hour = 3_600_000;
    const window = letsEncryptWindow(0, lifetimeHours * hour);
    expect(window.start / hour).toBeCloseTo(idealHours - marginHours, 6);
    expect(window.end / hour).toBeCloseTo(idealHours + marginHours, 6);
  });
});

/**
 * Issue #19 point 2: a group of 7-day private identities in the fleet (the brokers preset: 1 467
 * identities onboarded within one hour beside 533 ACME names, scanned every 6 h for 60 days),
 * through the real policy (50–80 % of the lifetime, drawn per identity and serial) and selection.
 */
describe('a group of 7-day private CA identities, onboarded together', () => {
  const identitiesOf = (result: FleetResult) => {
    const index = result.classes.findIndex((c) => c.issuer === 'privateCa');
    return { index, identities: result.classes[index]! };
  };
  const withFailures = simulateFleet(BROKERS_FLEET);
  const clean = simulateFleet({ ...BROKERS_FLEET, failureRate: 0 });

  it('keeps every guarantee with 2 % of orders failing: no expiry, the ACME floor, the budget; private identities are renewed with no ARI', () => {
    expect(fleetCheckFailures(withFailures)).toEqual([]);
    expect(withFailures.expiries).toBe(0);
    const { identities } = identitiesOf(withFailures);
    expect(identities).toMatchObject({ label: '7 days (private CA)', expiries: 0 });
    expect(identities.certificates).toBeGreaterThan(1400);
    expect(identities.failures).toBeGreaterThan(0);
    // Four scans between 80 % and expiry: failed attempts cost 6 h each and never ran out.
    expect(identities.minRemainingHours).toBeGreaterThan(6);
    expect(withFailures.ariOrders).toBe(0);
  });

  it('renews each identity between 50 % and 80 % of its lifetime (the scan after the drawn point), evenly across that window', () => {
    const { identities } = identitiesOf(clean);
    const ages = identities.renewalAgeScans; // index i: ages in (6(i − 1), 6i] h
    const firstRow = ages.findIndex((count) => count > 0);
    expect(firstRow).toBe(84 / 6 + 1); // older than 84 h = 50 % of 168 h
    expect(ages.length - 1).toBeLessThanOrEqual(Math.ceil((0.8 * 168 + 6) / 6)); // at most one scan after 80 %
    // Rows wholly inside the window, (84 h, 132 h]: each about 1/8.4 of the renewals (uniform), none a spike.
    for (let row = 15; row <= 22; row += 1) {
      expect(ages[row]! / identities.renewals).toBeGreaterThan(0.1);
      expect(ages[row]! / identities.renewals).toBeLessThan(0.14);
    }
  });

  it('spreads the renewals over the scans: the first generation over ≥ 8 scans, later scans within ±35 % of the mean, no scan above 2 % of all', () => {
    const { index } = identitiesOf(withFailures);
    const spread = renewalSpread(withFailures, index);
    expect(spread.firstGeneration.scans).toBeGreaterThanOrEqual(8);
    expect(spread.firstGeneration.busiestShare).toBeLessThan(0.15);
    expect(spread.steady.max).toBeLessThan(1.35 * spread.steady.mean);
    expect(spread.steady.min).toBeGreaterThan(0.65 * spread.steady.mean);
    expect(spread.busiestShare).toBeLessThan(0.02);
  });

  it('certflow simulate --preset brokers prints the age histogram and the spread', () => {
    const out = path.join(os.tmpdir(), `certflow-fleet-${process.pid}.svg`);
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
    try {
      expect(main({ preset: 'brokers', days: '30', out })).toBe(0);
    } finally {
      log.mockRestore();
      fs.rmSync(out, { force: true });
    }
    const text = printed.join('\n');
    expect(text).toMatch(/^7 days \(private CA\): renewals by age at renewal/m);
    expect(text).toMatch(/^84–90 h +50\.0%–53\.6% +\d+ +█+$/m);
    expect(text).toMatch(/^first generation \(\d+ identities onboarded within 1 h\): renewed over \d+ scans, busiest \d+ \(\d+\.\d%\)$/m);
  });
});

/**
 * The order budget is per issuer: 10 000 certificates of the brokers mix scanned every 6 h. When
 * private issuances counted against the ACME budget, this run had 3 919 expiries (capacity 1 200
 * orders a day against ≈ 1 600 wanted); now only the ACME names (≈ 50 orders a day) use it.
 */
describe('10 000 certificates of the brokers mix, scanned every 6 h: the private CA has no order budget', () => {
  const TEN_THOUSAND: FleetConfig = { ...BROKERS_FLEET, certificates: 10_000 };
  const withFailures = simulateFleet(TEN_THOUSAND);
  const clean = simulateFleet({ ...TEN_THOUSAND, failureRate: 0 });
  const identities = (result: FleetResult) => result.classes.find((c) => c.issuer === 'privateCa')!;

  it('keeps every guarantee: 0 expiries, the ACME floor, the ACME budget; private issuances exceed what that budget would allow', () => {
    expect(fleetCheckFailures(withFailures)).toEqual([]);
    expect(withFailures.expiries).toBe(0);
    expect(withFailures.peakOrdersPerWindow).toBeLessThanOrEqual(300);
    expect(withFailures.minRemainingFraction).toBeGreaterThanOrEqual(FLOOR_FRACTION);
    expect(withFailures.peakPrivateOrdersPerWindow).toBeGreaterThan(300); // would not have fit the ACME budget
    expect(identities(withFailures).failures).toBeGreaterThan(0);
  });

  it('renews private identities inside 50–80 % of the lifetime (the scan after the drawn point): with no failed order, none gets below ⅙ left', () => {
    const { renewalAgeScans, minRemainingFraction } = identities(clean);
    expect(clean.expiries).toBe(0);
    expect(renewalAgeScans.findIndex((count) => count > 0)).toBe(84 / 6 + 1); // none before 50 % of 168 h
    expect(renewalAgeScans.length - 1).toBeLessThanOrEqual(Math.ceil((0.8 * 168 + 6) / 6)); // none later than one scan past 80 %
    expect(minRemainingFraction).toBeGreaterThanOrEqual(FLOOR_FRACTION);
    // With 2 % of orders failing, a retry comes a scan later: still hours before expiry.
    expect(identities(withFailures).minRemainingHours).toBeGreaterThan(6);
  });
});

