import { describe, expect, it } from 'vitest';
import { FLOOR_FRACTION } from '../../../domain/core/renewal-policy';
import { DEFAULT_FLEET, fleetCheckFailures, simulateFleet, type FleetConfig } from '../../../sim/fleet';

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
});
