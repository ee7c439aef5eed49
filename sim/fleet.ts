/**
 * Fleet simulation: certificates of mixed lifetimes, a scan every few hours deciding with the
 * real renewal policy and scan selection, under the CA's order budget; a share of orders fail
 * and are retried by later scans; issuance takes effect at once. Pure and seeded: the same
 * config gives the same result.
 */
import type { CertificateMetadata } from '../domain/core/certificate';
import { DAY_MS, HOUR_MS } from '../domain/core/durations';
import { FLOOR_FRACTION, type RenewalFailure } from '../domain/core/renewal-policy';
import { evaluateInventory, selectForRenewal, type InventoryEntry } from '../domain/core/scan-selection';

const START = Date.UTC(2026, 0, 1);

export interface LifetimeClass {
  readonly lifetimeDays: number;
  /** Share of the fleet; shares are normalized. */
  readonly share: number;
}

export interface FleetConfig {
  readonly certificates: number;
  readonly days: number;
  readonly seed: number;
  readonly scanHours: number;
  readonly budget: { readonly maxOrders: number; readonly windowHours: number };
  /** Probability that an order fails (the certificate is retried by the next scan). */
  readonly failureRate: number;
  readonly mix: readonly LifetimeClass[];
}

export const DEFAULT_FLEET: FleetConfig = {
  certificates: 10_000,
  days: 180,
  seed: 1,
  scanHours: 6,
  budget: { maxOrders: 300, windowHours: 3 },
  failureRate: 0.02,
  mix: [
    { lifetimeDays: 90, share: 0.5 },
    { lifetimeDays: 45, share: 0.3 },
    { lifetimeDays: 6, share: 0.2 },
  ],
};

export interface ClassResult {
  readonly lifetimeDays: number;
  readonly certificates: number;
  readonly renewals: number;
  readonly failures: number;
  /** Lowest share of its lifetime a certificate had left when replaced (or at the end). */
  readonly minRemainingFraction: number;
  readonly minRemainingHours: number;
  readonly expiries: number;
}

export interface FleetResult {
  readonly config: FleetConfig;
  readonly scans: number;
  readonly orders: number;
  readonly failures: number;
  /** Due certificates a scan left for a later one, summed over scans. */
  readonly deferrals: number;
  /** Most orders in any budget window (windows ending at a scan: orders happen only there). */
  readonly peakOrdersPerWindow: number;
  readonly minRemainingFraction: number;
  readonly expiries: number;
  readonly renewalsPerDay: { readonly min: number; readonly median: number; readonly max: number };
  readonly classes: readonly ClassResult[];
  readonly series: {
    /** Successful renewals per day, per class (index as in `classes`). */
    readonly renewalsPerDay: readonly (readonly number[])[];
    /** Orders in the budget window ending at each scan. */
    readonly ordersPerScanWindow: readonly number[];
    /** Lowest remaining lifetime fraction at replacement per day, per class (null: none that day). */
    readonly minRemainingPerDay: readonly (readonly (number | null)[])[];
  };
}

/** mulberry32: a small seeded PRNG, uniform in [0, 1). The fuzz tests use it too. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface SimCertificate {
  entry: InventoryEntry & { current: { metadata: CertificateMetadata }; lastFailure?: RenewalFailure };
  readonly index: number;
  readonly classIndex: number;
  readonly lifetimeMs: number;
  notAfterMs: number;
  /**
   * renewAt of the last verdict. Before it the policy's answer is known to be "not due" (a pure
   * function of the clock for an unchanged certificate), so the simulation skips the call.
   */
  checkAtMs: number;
}

function metadata(index: number, random: () => number, notBeforeMs: number, lifetimeMs: number): CertificateMetadata {
  const serial = [random(), random()].map((r) => Math.floor(r * 2 ** 32).toString(16).padStart(8, '0')).join('');
  return {
    names: [`c${index}.example.com`],
    serialNumber: serial,
    notBefore: new Date(notBeforeMs).toISOString(),
    notAfter: new Date(notBeforeMs + lifetimeMs).toISOString(),
    fingerprintSha256: '',
    keyType: 'ec-p256',
    issuer: 'CN=Simulated CA',
  };
}

/**
 * The fleet at `nowMs`: lifetimes drawn by `mix`, ages uniform in [0, ⅔ of the lifetime) — a
 * fleet migrated from a client that renewed at ⅔ (certbot's 30 days before expiry for 90-day
 * certificates), so about an eighth is already due under our [½, ⅔] spread.
 */
function createFleet(config: FleetConfig, nowMs: number, random: () => number): SimCertificate[] {
  const total = config.mix.reduce((sum, c) => sum + c.share, 0);
  return Array.from({ length: config.certificates }, (_, index) => {
    let pick = random() * total;
    const classIndex = Math.max(0, config.mix.findIndex((c) => (pick -= c.share) < 0));
    const lifetimeMs = config.mix[classIndex]!.lifetimeDays * DAY_MS;
    const notBefore = nowMs - Math.floor(random() * (2 / 3) * lifetimeMs);
    const current = { metadata: metadata(index, random, notBefore, lifetimeMs) };
    const certificate = { id: `cert-${String(index).padStart(5, '0')}`, names: current.metadata.names, keyType: 'ec-p256' as const };
    return { entry: { certificate, current }, index, classIndex, lifetimeMs, notAfterMs: notBefore + lifetimeMs, checkAtMs: -Infinity };
  });
}

/** A seeded inventory as the Scan Lambda would read it (for benchmarks). */
export function fleetInventory(config: FleetConfig, now: Date): InventoryEntry[] {
  return createFleet(config, now.getTime(), prng(config.seed)).map((cert) => cert.entry);
}

// Reductions rather than Math.min(...values): long runs have more scans than a call takes arguments.
const minOf = (values: readonly number[]) => values.reduce((a, b) => Math.min(a, b), Infinity);
const maxOf = (values: readonly number[]) => values.reduce((a, b) => Math.max(a, b), 0);

function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function simulateFleet(config: FleetConfig, onProgress?: (day: number) => void): FleetResult {
  const random = prng(config.seed);
  const fleet = createFleet(config, START, random);
  const byId = new Map(fleet.map((cert) => [cert.entry.certificate.id, cert]));
  const classes = config.mix.map((c) => ({ ...c, certificates: 0, renewals: 0, failures: 0, minRemainingFraction: Infinity, minRemainingHours: Infinity, expiries: 0 }));
  for (const cert of fleet) classes[cert.classIndex]!.certificates += 1;
  const renewalsPerDay = Array.from({ length: config.days }, () => config.mix.map(() => 0));
  const minRemainingPerDay = Array.from({ length: config.days }, () => config.mix.map((): number | null => null));
  const ordersPerScanWindow: number[] = [];
  const recentOrders: { atMs: number; count: number }[] = [];
  const scanMs = config.scanHours * HOUR_MS;
  const windowMs = config.budget.windowHours * HOUR_MS;
  const endMs = START + config.days * DAY_MS;
  let orders = 0;
  let deferrals = 0;
  let lastProgressDay = 0;

  const noteRemaining = (cert: SimCertificate, atMs: number, day?: number) => {
    const stats = classes[cert.classIndex]!;
    const hours = (cert.notAfterMs - atMs) / HOUR_MS;
    const fraction = (cert.notAfterMs - atMs) / cert.lifetimeMs;
    stats.minRemainingFraction = Math.min(stats.minRemainingFraction, fraction);
    stats.minRemainingHours = Math.min(stats.minRemainingHours, hours);
    if (hours <= 0) stats.expiries += 1;
    if (day === undefined) return;
    const row = minRemainingPerDay[day]!;
    row[cert.classIndex] = Math.min(row[cert.classIndex] ?? Infinity, fraction);
  };

  for (let nowMs = START; nowMs < endMs; nowMs += scanMs) {
    const now = new Date(nowMs);
    const day = Math.floor((nowMs - START) / DAY_MS);
    const toCheck = fleet.filter((cert) => cert.checkAtMs <= nowMs);
    const candidates = evaluateInventory(toCheck.map((cert) => cert.entry), now, config.scanHours);
    candidates.forEach((candidate, index) => (toCheck[index]!.checkAtMs = Date.parse(candidate.verdict.renewAt ?? now.toISOString())));

    while (recentOrders.length > 0 && recentOrders[0]!.atMs <= nowMs - windowMs) recentOrders.shift();
    const ordersInWindow = recentOrders.reduce((sum, o) => sum + o.count, 0);
    const { selected, deferred } = selectForRenewal({ candidates, budget: { ...config.budget, ordersInWindow } });
    recentOrders.push({ atMs: nowMs, count: selected.length });
    ordersPerScanWindow.push(ordersInWindow + selected.length);
    orders += selected.length;
    deferrals += deferred.length;

    for (const id of selected) {
      const cert = byId.get(id)!;
      const stats = classes[cert.classIndex]!;
      if (random() < config.failureRate) {
        stats.failures += 1;
        cert.entry = { ...cert.entry, lastFailure: { at: now.toISOString(), error: 'simulated failure' } };
        continue;
      }
      noteRemaining(cert, nowMs, day);
      stats.renewals += 1;
      renewalsPerDay[day]![cert.classIndex]! += 1;
      cert.entry = { ...cert.entry, current: { metadata: metadata(cert.index, random, nowMs, cert.lifetimeMs) } };
      cert.notAfterMs = nowMs + cert.lifetimeMs;
      cert.checkAtMs = -Infinity;
    }
    if (onProgress && day >= lastProgressDay + 30) onProgress((lastProgressDay = day));
  }
  for (const cert of fleet) noteRemaining(cert, endMs);

  const daily = renewalsPerDay.map((perClass) => perClass.reduce((sum, n) => sum + n, 0));
  return {
    config,
    scans: ordersPerScanWindow.length,
    orders,
    failures: classes.reduce((sum, c) => sum + c.failures, 0),
    deferrals,
    peakOrdersPerWindow: maxOf(ordersPerScanWindow),
    minRemainingFraction: minOf(classes.map((c) => c.minRemainingFraction)),
    expiries: classes.reduce((sum, c) => sum + c.expiries, 0),
    renewalsPerDay: { min: minOf(daily), median: medianOf(daily), max: maxOf(daily) },
    classes: classes.map(({ share: _share, ...rest }) => rest),
    series: { renewalsPerDay, ordersPerScanWindow, minRemainingPerDay },
  };
}

/** The guarantees a run must keep; each failed check as a sentence. */
export function fleetCheckFailures(result: FleetResult): string[] {
  const failures: string[] = [];
  if (result.peakOrdersPerWindow > result.config.budget.maxOrders) {
    failures.push(`peak of ${result.peakOrdersPerWindow} orders per ${result.config.budget.windowHours} h exceeds the budget of ${result.config.budget.maxOrders}`);
  }
  if (result.minRemainingFraction < FLOOR_FRACTION) failures.push(`a certificate got down to ${(result.minRemainingFraction * 100).toFixed(2)}% of its lifetime (floor ⅙)`);
  if (result.expiries > 0) failures.push(`${result.expiries} certificate(s) expired`);
  return failures;
}
