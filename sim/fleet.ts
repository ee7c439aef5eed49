/**
 * Fleet simulation: certificates of mixed lifetimes, a scan every few hours deciding with the
 * real renewal policy and scan selection, under the CA's order budget; a share of orders fail
 * and are retried by later scans; issuance takes effect at once. Pure and seeded: the same
 * config gives the same result.
 */
import type { CertificateMetadata } from '../domain/core/certificate';
import { DAY_MS, HOUR_MS } from '../domain/core/durations';
import { LETS_ENCRYPT_PROFILE_LIFETIMES, lifetimeHoursAt } from '../domain/core/profile-lifetimes';
import { FLOOR_FRACTION, type AriState, type RenewalFailure } from '../domain/core/renewal-policy';
import { countsAgainstOrderBudget, evaluateInventory, selectForRenewal, type InventoryEntry } from '../domain/core/scan-selection';

export interface LifetimeClass {
  /** A fixed lifetime, or … */
  readonly lifetimeDays?: number;
  /** … a Let's Encrypt profile: the lifetime of each certificate is the profile's on its issuance date (domain/core/profile-lifetimes.ts). */
  readonly profile?: string;
  /** Share of the fleet; shares are normalized. */
  readonly share: number;
  /** Identities of a private CA (the policy's 50–80 % rule, no ARI); default ACME. */
  readonly issuer?: 'privateCa';
  /** All issued within this many hours before the first scan (a fleet onboarded at once), instead of ages spread over ⅔ of the lifetime. */
  readonly onboardedWithinHours?: number;
}

const classLabel = (c: LifetimeClass) => `${c.profile ?? `${c.lifetimeDays} days`}${c.issuer === 'privateCa' ? ' (private CA)' : ''}`;

function lifetimeMsAt(c: LifetimeClass, atMs: number): number {
  const hours = c.profile ? lifetimeHoursAt(LETS_ENCRYPT_PROFILE_LIFETIMES[c.profile], new Date(atMs)) : undefined;
  if (hours !== undefined) return hours * HOUR_MS;
  if (c.lifetimeDays === undefined) throw new Error(`unknown profile '${c.profile}' and no lifetimeDays`);
  return c.lifetimeDays * DAY_MS;
}

/**
 * Let's Encrypt's ARI window (Boulder's RenewalInfoSimple, as quoted in 2026): ⅓ of the lifetime
 * before notAfter (½ under 10 days) ± 1 % of the lifetime. Renewals inside it are exempt from the
 * order limit.
 */
export function letsEncryptWindow(notBeforeMs: number, notAfterMs: number): { start: number; end: number } {
  const validity = notAfterMs - notBeforeMs;
  const ideal = notAfterMs - validity / (validity < 10 * DAY_MS ? 2 : 3);
  return { start: ideal - validity / 100, end: ideal + validity / 100 };
}

export interface FleetConfig {
  /** First scan (ISO date). */
  readonly start?: string;
  readonly certificates: number;
  readonly days: number;
  readonly seed: number;
  readonly scanHours: number;
  readonly budget: { readonly maxOrders: number; readonly windowHours: number };
  /** Probability that an order fails (the certificate is retried by the next scan). */
  readonly failureRate: number;
  readonly mix: readonly LifetimeClass[];
  /** The CA answers ARI (Let's Encrypt's window): renewals inside the window are not counted against the budget. */
  readonly ari?: boolean;
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

/**
 * Let's Encrypt's profiles across its two lifetime changes (classic → 64 days on 2027-02-10, → 45
 * days on 2028-02-16): a fleet of classic, tlsserver (45 days) and shortlived (160 h) certificates
 * from December 2026 to March 2028, scanned every budget window, with ARI.
 */
export const LETS_ENCRYPT_FLEET: FleetConfig = {
  ...DEFAULT_FLEET,
  start: '2026-12-01',
  days: 470,
  scanHours: 3,
  ari: true,
  mix: [
    { profile: 'classic', share: 0.5 },
    { profile: 'tlsserver', share: 0.3 },
    { profile: 'shortlived', share: 0.2 },
  ],
};

/**
 * Brokers: public names from ACME (90 days) beside the brokers' mutual-TLS identities from a private
 * CA (7 days, renewed at 50–80 % of their lifetime), every identity onboarded in the same hour —
 * the worst start for spreading renewals out.
 */
export const BROKERS_FLEET: FleetConfig = {
  ...DEFAULT_FLEET,
  certificates: 2_000,
  days: 60,
  mix: [
    { lifetimeDays: 90, share: 0.25 },
    { lifetimeDays: 7, issuer: 'privateCa', share: 0.75, onboardedWithinHours: 1 },
  ],
};

export interface ClassResult {
  readonly label: string;
  readonly issuer: 'acme' | 'privateCa';
  readonly certificates: number;
  readonly renewals: number;
  readonly failures: number;
  /** Lowest share of its lifetime a certificate had left when replaced (or at the end). */
  readonly minRemainingFraction: number;
  readonly minRemainingHours: number;
  readonly expiries: number;
  /**
   * Renewals by the certificate's age, in scan intervals: index i counts ages in (i − 1, i] ×
   * scanHours — the renewal point the policy chose lay in that interval (or earlier, after a failed
   * or deferred attempt), and the scan at its end acted. Renewals happen only at scans, so this is
   * the finest grain (a grid of fixed shares of the lifetime would alias with the scans).
   */
  readonly renewalAgeScans: readonly number[];
}

export interface FleetResult {
  readonly config: FleetConfig;
  readonly scans: number;
  readonly orders: number;
  /** Orders inside the certificate's ARI window (exempt from the budget), of `orders`. */
  readonly ariOrders: number;
  readonly failures: number;
  /** Due certificates a scan left for a later one, summed over scans. */
  readonly deferrals: number;
  /** Most budget-counted orders (ACME, outside ARI windows) in any budget window (windows ending at a scan: orders happen only there). */
  readonly peakOrdersPerWindow: number;
  /** Most private CA issuances in any budget window: they count against no order budget (domain/core/scan-selection.ts). */
  readonly peakPrivateOrdersPerWindow: number;
  /** Most ARI (exempt) orders in any budget window. */
  readonly peakAriOrdersPerWindow: number;
  /** Lowest share of its lifetime an ACME certificate had left (the ⅙ floor is theirs); Infinity without one. Private classes: in `classes`. */
  readonly minRemainingFraction: number;
  readonly expiries: number;
  readonly renewalsPerDay: { readonly min: number; readonly median: number; readonly max: number };
  readonly classes: readonly ClassResult[];
  readonly series: {
    /** Successful renewals per day, per class (index as in `classes`). */
    readonly renewalsPerDay: readonly (readonly number[])[];
    /** Successful renewals at each scan, per class. */
    readonly renewalsPerScan: readonly (readonly number[])[];
    /** Budget-counted orders in the budget window ending at each scan. */
    readonly ordersPerScanWindow: readonly number[];
    /** Private CA issuances (no budget) in the budget window ending at each scan. */
    readonly privateOrdersPerScanWindow: readonly number[];
    /** ARI (exempt) orders in the budget window ending at each scan. */
    readonly ariOrdersPerScanWindow: readonly number[];
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
  lifetimeMs: number;
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
/** The CA's ARI answer for a certificate (its certID names its serial, as the policy checks). */
function ariState(meta: CertificateMetadata): AriState {
  const window = letsEncryptWindow(Date.parse(meta.notBefore), Date.parse(meta.notAfter));
  return { certId: `sim.${Buffer.from(meta.serialNumber, 'hex').toString('base64url')}`, info: { start: new Date(window.start), end: new Date(window.end) } };
}

/** A new certificate; a private CA answers no ARI. */
function issued(config: FleetConfig, lifetimeClass: LifetimeClass, index: number, random: () => number, notBeforeMs: number, lifetimeMs: number) {
  const current = { metadata: metadata(index, random, notBeforeMs, lifetimeMs) };
  return { current, ...(config.ari && lifetimeClass.issuer !== 'privateCa' ? { ari: ariState(current.metadata) } : {}) };
}

function createFleet(config: FleetConfig, nowMs: number, random: () => number): SimCertificate[] {
  const total = config.mix.reduce((sum, c) => sum + c.share, 0);
  return Array.from({ length: config.certificates }, (_, index) => {
    let pick = random() * total;
    const classIndex = Math.max(0, config.mix.findIndex((c) => (pick -= c.share) < 0));
    const lifetimeClass = config.mix[classIndex]!;
    const lifetimeMs = lifetimeMsAt(lifetimeClass, nowMs);
    const ageMs = lifetimeClass.onboardedWithinHours !== undefined ? lifetimeClass.onboardedWithinHours * HOUR_MS : (2 / 3) * lifetimeMs;
    const notBefore = nowMs - Math.floor(random() * ageMs);
    const state = issued(config, lifetimeClass, index, random, notBefore, lifetimeMs);
    const certificate = {
      id: `cert-${String(index).padStart(5, '0')}`, names: state.current.metadata.names, keyType: 'ec-p256' as const,
      ...(lifetimeClass.issuer === 'privateCa' ? { issuer: 'privateCa' as const } : {}),
    };
    return { entry: { certificate, ...state }, index, classIndex, lifetimeMs, notAfterMs: notBefore + lifetimeMs, checkAtMs: -Infinity };
  });
}

const startMs = (config: FleetConfig) => Date.parse(config.start ?? '2026-01-01');

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
  const START = startMs(config);
  const fleet = createFleet(config, START, random);
  const byId = new Map(fleet.map((cert) => [cert.entry.certificate.id, cert]));
  const classes = config.mix.map((c) => ({
    label: classLabel(c), issuer: c.issuer ?? ('acme' as const), certificates: 0, renewals: 0, failures: 0, minRemainingFraction: Infinity, minRemainingHours: Infinity, expiries: 0,
    renewalAgeScans: [] as number[],
  }));
  for (const cert of fleet) classes[cert.classIndex]!.certificates += 1;
  const renewalsPerDay = Array.from({ length: config.days }, () => config.mix.map(() => 0));
  const minRemainingPerDay = Array.from({ length: config.days }, () => config.mix.map((): number | null => null));
  const renewalsPerScan: number[][] = [];
  const ordersPerScanWindow: number[] = [];
  const ariOrdersPerScanWindow: number[] = [];
  const privateOrdersPerScanWindow: number[] = [];
  const recentOrders: { atMs: number; count: number; ari: number; private: number }[] = [];
  const scanMs = config.scanHours * HOUR_MS;
  const windowMs = config.budget.windowHours * HOUR_MS;
  const endMs = START + config.days * DAY_MS;
  let orders = 0;
  let ariOrders = 0;
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
    const ariInWindow = recentOrders.reduce((sum, o) => sum + o.ari, 0);
    const privateInWindow = recentOrders.reduce((sum, o) => sum + o.private, 0);
    // Renewals inside the certificate's ARI window are exempt from the CA's limit: not budgeted.
    const inWindow = (id: string) => {
      const info = byId.get(id)!.entry.ari?.info;
      return info !== undefined && 'start' in info && nowMs >= info.start.getTime() && nowMs <= info.end.getTime();
    };
    const exempt = candidates.filter((candidate) => candidate.verdict.due && inWindow(candidate.id)).map((candidate) => candidate.id);
    const exemptSet = new Set(exempt);
    const budgeted = selectForRenewal({ candidates: candidates.filter((candidate) => !exemptSet.has(candidate.id)), budget: { ...config.budget, ordersInWindow } });
    const selected = [...exempt, ...budgeted.selected];
    // The selection let private issuances past the ACME budget; only ACME orders are counted against it.
    const privateCount = budgeted.selected.filter((id) => !countsAgainstOrderBudget(byId.get(id)!.entry.certificate.issuer)).length;
    const acmeCount = budgeted.selected.length - privateCount;
    recentOrders.push({ atMs: nowMs, count: acmeCount, ari: exempt.length, private: privateCount });
    ordersPerScanWindow.push(ordersInWindow + acmeCount);
    privateOrdersPerScanWindow.push(privateInWindow + privateCount);
    ariOrdersPerScanWindow.push(ariInWindow + exempt.length);
    orders += selected.length;
    ariOrders += exempt.length;
    deferrals += budgeted.deferred.length;
    const renewedThisScan = config.mix.map(() => 0);
    renewalsPerScan.push(renewedThisScan);

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
      renewedThisScan[cert.classIndex]! += 1;
      const ageScans = Math.max(0, Math.ceil((nowMs - (cert.notAfterMs - cert.lifetimeMs)) / scanMs - 1e-9));
      while (stats.renewalAgeScans.length <= ageScans) stats.renewalAgeScans.push(0);
      stats.renewalAgeScans[ageScans]! += 1;
      const lifetimeClass = config.mix[cert.classIndex]!;
      cert.lifetimeMs = lifetimeMsAt(lifetimeClass, nowMs);
      cert.entry = { certificate: cert.entry.certificate, ...issued(config, lifetimeClass, cert.index, random, nowMs, cert.lifetimeMs) };
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
    ariOrders,
    failures: classes.reduce((sum, c) => sum + c.failures, 0),
    deferrals,
    peakOrdersPerWindow: maxOf(ordersPerScanWindow),
    peakAriOrdersPerWindow: maxOf(ariOrdersPerScanWindow),
    peakPrivateOrdersPerWindow: maxOf(privateOrdersPerScanWindow),
    minRemainingFraction: minOf(classes.filter((c) => c.issuer === 'acme').map((c) => c.minRemainingFraction)),
    expiries: classes.reduce((sum, c) => sum + c.expiries, 0),
    renewalsPerDay: { min: minOf(daily), median: medianOf(daily), max: maxOf(daily) },
    classes,
    series: { renewalsPerDay, renewalsPerScan, ordersPerScanWindow, privateOrdersPerScanWindow, ariOrdersPerScanWindow, minRemainingPerDay },
  };
}

/**
 * The guarantees a run must keep; each failed check as a sentence. The ⅙ floor is the ACME
 * policy's; a private identity's guarantee is its scans between 80 % and expiry
 * (domain/core/private-renewal.ts): no expiry, checked for every class.
 */
export function fleetCheckFailures(result: FleetResult): string[] {
  const failures: string[] = [];
  if (result.peakOrdersPerWindow > result.config.budget.maxOrders) {
    failures.push(`peak of ${result.peakOrdersPerWindow} orders per ${result.config.budget.windowHours} h exceeds the budget of ${result.config.budget.maxOrders}`);
  }
  if (result.minRemainingFraction < FLOOR_FRACTION) failures.push(`a certificate got down to ${(result.minRemainingFraction * 100).toFixed(2)}% of its lifetime (floor ⅙)`);
  if (result.expiries > 0) failures.push(`${result.expiries} certificate(s) expired`);
  return failures;
}

/**
 * The largest fleet of `config`'s mix that keeps every guarantee (0 expiries, ⅙ floor, budget),
 * to within `precision` (a share): doubling, then bisection. Each probe is a whole simulation.
 */
export function largestFleet(config: FleetConfig, { from = 1_000, cap = 1_000_000, precision = 0.05 } = {}): { certificates: number; capped: boolean } {
  const holds = (certificates: number) => fleetCheckFailures(simulateFleet({ ...config, certificates })).length === 0;
  if (!holds(from)) return { certificates: 0, capped: false };
  let low = from;
  let high = from * 2;
  while (high <= cap && holds(high)) [low, high] = [high, high * 2];
  if (high > cap) return { certificates: low, capped: true };
  while ((high - low) / low > precision) {
    const mid = Math.round((low + high) / 2);
    if (holds(mid)) low = mid;
    else high = mid;
  }
  return { certificates: low, capped: false };
}

export interface RenewalSpread {
  /** The first generation: from the first renewal until each certificate of the class could have been renewed once. */
  readonly firstGeneration: { readonly scans: number; readonly busiest: number; readonly busiestShare: number };
  /** From `steadyFromDay` on: renewals per scan. */
  readonly steady: { readonly min: number; readonly mean: number; readonly max: number };
  /** The busiest scan's share of all the class's renewals. */
  readonly busiestShare: number;
}

/** How a class's renewals spread over the scans (renewals happen only at scans). */
export function renewalSpread(result: FleetResult, classIndex: number, { steadyFromDay = 28 } = {}): RenewalSpread {
  const perScan = result.series.renewalsPerScan.map((perClass) => perClass[classIndex]!);
  const { certificates, renewals } = result.classes[classIndex]!;
  const first = perScan.findIndex((count) => count > 0);
  let end = first;
  for (let sum = 0; end >= 0 && end < perScan.length && (sum += perScan[end]!) < certificates; end += 1);
  const generation = first < 0 ? [] : perScan.slice(first, end + 1);
  const generationTotal = generation.reduce((sum, n) => sum + n, 0);
  const steady = perScan.slice(Math.ceil((steadyFromDay * 24) / result.config.scanHours));
  return {
    firstGeneration: { scans: generation.filter((n) => n > 0).length, busiest: maxOf(generation), busiestShare: generationTotal ? maxOf(generation) / generationTotal : 0 },
    steady: { min: steady.length ? minOf(steady) : 0, mean: steady.length ? steady.reduce((sum, n) => sum + n, 0) / steady.length : 0, max: maxOf(steady) },
    busiestShare: renewals ? maxOf(perScan) / renewals : 0,
  };
}
