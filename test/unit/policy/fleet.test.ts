import { describe, expect, it } from 'vitest';
import { LETS_ENCRYPT_PROFILE_LIFETIMES, lifetimeHoursAt } from '../../../domain/core/profile-lifetimes';
import { FLOOR_FRACTION } from '../../../domain/core/renewal-policy';
import { DEFAULT_FLEET, fleetCheckFailures, letsEncryptWindow, LETS_ENCRYPT_FLEET, simulateFleet, type FleetConfig } from '../../../sim/fleet';

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
