/**
 * One scan's pure work for a whole inventory in one invocation: the renewal policy for every
 * entry, then selection under the order budget. The seeded fleet has about an eighth due, so
 * selection sorts and cuts a real backlog.
 */
import { evaluateInventory, selectForRenewal } from '../lambdas/core/scan-selection';
import { DEFAULT_FLEET, fleetInventory } from '../sim/fleet';
import { median } from './stats';

const RUNS = 15;

export async function benchScan(entries = 10_000): Promise<{ entries: number; medianMs: number; runs: number }> {
  const now = new Date('2026-01-01T00:00:00Z');
  const inventory = fleetInventory({ ...DEFAULT_FLEET, certificates: entries }, now);
  const budget = { ...DEFAULT_FLEET.budget, ordersInWindow: 0 };
  const scan = () => selectForRenewal({ candidates: evaluateInventory(inventory, now), budget });
  scan(); // warm-up: the first run pays for compilation
  const times: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const started = performance.now();
    scan();
    times.push(performance.now() - started);
  }
  return { entries, medianMs: median(times), runs: RUNS };
}
