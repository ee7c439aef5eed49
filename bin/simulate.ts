/**
 * `npm run simulate`: a fleet renewed by the real policy and scan selection (sim/fleet.ts).
 * Prints the figures that matter, writes an SVG chart to `--out`, and exits 1 when a guarantee
 * is broken (order budget, ⅙ lifetime floor, expiries). `--json` prints the result instead.
 * Its flags are declared with the rest of the command (bin/commands/simulate.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { table } from '../bench/stats';
import { BROKERS_FLEET, DEFAULT_FLEET, fleetCheckFailures, largestFleet, LETS_ENCRYPT_FLEET, renewalSpread, simulateFleet, type FleetConfig, type FleetResult } from '../sim/fleet';

/** A flag out of range: a usage error (exit 2). */
export class SimulateUsageError extends Error {}

const COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f'];

function number(flag: string, value: string | undefined, { integer = true, min = 0, max = Infinity } = {}): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || (integer && !Number.isInteger(parsed)) || parsed < min || parsed > max) {
    const range = max === Infinity ? `≥ ${min}` : `in [${min}, ${max}]`;
    throw new SimulateUsageError(`--${flag} must be ${integer ? 'an integer' : 'a number'} ${range}, got '${value}'`);
  }
  return parsed;
}

const PRESETS: Record<string, FleetConfig> = { default: DEFAULT_FLEET, letsencrypt: LETS_ENCRYPT_FLEET, brokers: BROKERS_FLEET };

/** The flags as given (strings: commander hands them over unparsed), each checked and defaulted. */
export interface SimulateFlags {
  readonly preset?: string;
  readonly certificates?: string;
  readonly days?: string;
  readonly seed?: string;
  readonly scanHours?: string;
  readonly budget?: string;
  readonly failureRate?: string;
  /** `--ari` / `--no-ari`; undefined: the preset's. */
  readonly ari?: boolean;
  readonly largest?: boolean;
  readonly json?: boolean;
  readonly out?: string;
}

export const DEFAULT_OUT = 'sim-out/fleet.svg';

function parseConfig(flags: SimulateFlags): { config: FleetConfig; json: boolean; out: string; largest: boolean } {
  const preset = flags.preset ?? 'default';
  const base = PRESETS[preset];
  if (!base) throw new SimulateUsageError(`--preset must be one of ${Object.keys(PRESETS).join(', ')}, got '${preset}'`);
  const config: FleetConfig = {
    ...base,
    certificates: number('certificates', flags.certificates ?? String(base.certificates), { min: 1 }),
    days: number('days', flags.days ?? String(base.days), { min: 1 }),
    seed: number('seed', flags.seed ?? String(base.seed), { max: 2 ** 32 - 1 }),
    scanHours: number('scan-hours', flags.scanHours ?? String(base.scanHours), { integer: false, min: 0.25 }),
    budget: { ...base.budget, maxOrders: number('budget', flags.budget ?? String(base.budget.maxOrders), { min: 1 }) },
    failureRate: number('failure-rate', flags.failureRate ?? String(base.failureRate), { integer: false, max: 0.99 }),
    ari: flags.ari ?? base.ari ?? false,
  };
  return { config, json: flags.json ?? false, out: flags.out ?? DEFAULT_OUT, largest: flags.largest ?? false };
}

const pct = (fraction: number) => `${(fraction * 100).toFixed(1)}%`;
const duration = (hours: number) => (Math.abs(hours) >= 48 ? `${(hours / 24).toFixed(1)} d` : `${hours.toFixed(1)} h`);
const ok = (good: boolean) => (good ? 'ok' : 'FAILED');

/**
 * Orders a day the budget allows when scans are the only source of orders: the scans inside one
 * window share its budget, so a scan every 6 h with a 3 h window uses half of what 3 h allows.
 */
function dailyCapacity({ scanHours, budget }: FleetConfig): number {
  return (budget.maxOrders * 24) / (scanHours * Math.ceil(budget.windowHours / scanHours));
}

function report(result: FleetResult, out: string): string {
  const { config } = result;
  const budget = `${config.budget.maxOrders} per ${config.budget.windowHours} h`;
  const mix = config.mix.map((c) => `${c.profile ?? `${c.lifetimeDays}-day`}${c.issuer === 'privateCa' ? ' private CA' : ''} ${pct(c.share)}`).join(' · ');
  const lines = [
    `certflow fleet simulation: ${config.certificates} certificates (${mix}), ${config.days} days, seed ${config.seed}`,
    `from ${config.start ?? '2026-01-01'} · scan every ${config.scanHours} h · order budget ${budget} · ${pct(config.failureRate)} of orders fail · ARI ${config.ari ? 'on (renewals in the window exempt)' : 'off (every order counted)'}`,
    '',
    table(
      ['figure', 'value', 'check'],
      [
        ['peak counted new orders per budget window', `${result.peakOrdersPerWindow} (budget ${budget})`, ok(result.peakOrdersPerWindow <= config.budget.maxOrders)],
        ['peak ARI renewals per budget window (exempt)', String(result.peakAriOrdersPerWindow), ''],
        ...(config.mix.some((c) => c.issuer === 'privateCa') ? [['peak private CA issuances per budget window (no order budget)', String(result.peakPrivateOrdersPerWindow), '']] : []),
        ['lowest remaining lifetime (ACME)', Number.isFinite(result.minRemainingFraction) ? `${pct(result.minRemainingFraction)} (floor 16.7%)` : '—', ok(!(result.minRemainingFraction < 1 / 6))],
        ['expiries', String(result.expiries), ok(result.expiries === 0)],
        ['renewals per day (min / median / max)', `${result.renewalsPerDay.min} / ${result.renewalsPerDay.median} / ${result.renewalsPerDay.max}`, ''],
        ['order capacity per day at this scan interval', dailyCapacity(config).toFixed(0), ''],
        ['orders (ARI, failed)', `${result.orders} (${result.ariOrders}, ${result.failures})`, ''],
        ['due certificates deferred to a later scan', `${result.deferrals} over ${result.scans} scans`, ''],
      ],
    ),
    '',
    table(
      ['lifetime', 'certificates', 'renewals', 'failed orders', 'lowest remaining', 'as fraction'],
      result.classes.map((c) => [c.label, c.certificates, c.renewals, c.failures, duration(c.minRemainingHours), pct(c.minRemainingFraction)]),
    ),
    ...result.classes.flatMap((c, index) => (c.issuer === 'privateCa' ? ['', privateSpread(result, index)] : [])),
    '',
    `chart: ${out}`,
  ];
  return lines.join('\n');
}

/** A private class: when its identities were renewed (age histogram, one row per scan interval) and how the renewals spread over the scans. */
function privateSpread(result: FleetResult, index: number): string {
  const { scanHours } = result.config;
  const c = result.classes[index]!;
  const lifetimeHours = (result.config.mix[index]!.lifetimeDays ?? 0) * 24;
  const peak = Math.max(...c.renewalAgeScans);
  const rows = c.renewalAgeScans.flatMap((count, scans) => {
    if (count === 0) return [];
    const [from, to] = [(scans - 1) * scanHours, scans * scanHours];
    return [[`${from}–${to} h`, `${pct(from / lifetimeHours)}–${pct(to / lifetimeHours)}`, count, '█'.repeat(Math.max(1, Math.round((count / peak) * 30)))]];
  });
  const spread = renewalSpread(result, index);
  const onboarded = result.config.mix[index]!.onboardedWithinHours;
  return [
    `${c.label}: renewals by age at renewal (the policy's point in 50–80 % of the lifetime fell in the row's interval, the scan at its end acted; scans every ${scanHours} h)`,
    table(['age', 'of lifetime', 'renewals', ''], rows),
    `first generation${onboarded !== undefined ? ` (${c.certificates} identities onboarded within ${onboarded} h)` : ''}: renewed over ${spread.firstGeneration.scans} scans, busiest ${spread.firstGeneration.busiest} (${pct(spread.firstGeneration.busiestShare)})`,
    `from day 28 (the onboarding wave damped): ${spread.steady.min}–${spread.steady.max} renewals per scan (mean ${spread.steady.mean.toFixed(0)}); the busiest scan of the run holds ${pct(spread.busiestShare)} of the class's renewals`,
  ].join('\n');
}

// --- SVG chart: hand-written, three panels sharing the time axis ---

const WIDTH = 1000;
const LEFT = 70;
const PLOT_WIDTH = WIDTH - LEFT - 30;
const PANEL_HEIGHT = 190;
const PANEL_GAP = 70;

const esc = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const fixed = (value: number) => value.toFixed(1);

interface Panel {
  readonly top: number;
  readonly yMax: number;
  readonly days: number;
}

/** A y-axis top whose four grid steps are round numbers. */
function niceMax(value: number): number {
  const rough = value / 4;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].map((m) => m * magnitude).find((candidate) => candidate >= rough)!;
  return step * 4;
}

const xOf = (panel: Panel, day: number) => LEFT + (day / panel.days) * PLOT_WIDTH;
const yOf = (panel: Panel, value: number) => panel.top + PANEL_HEIGHT - (Math.min(value, panel.yMax) / panel.yMax) * PANEL_HEIGHT;

function axes(panel: Panel, title: string, label: (value: number) => string): string {
  const parts = [`<text x="${LEFT}" y="${panel.top - 10}" font-weight="bold">${esc(title)}</text>`];
  for (let i = 0; i <= 4; i += 1) {
    const value = (panel.yMax * i) / 4;
    const y = fixed(yOf(panel, value));
    parts.push(`<line x1="${LEFT}" x2="${LEFT + PLOT_WIDTH}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
    parts.push(`<text x="${LEFT - 6}" y="${y}" dy="4" text-anchor="end">${esc(label(value))}</text>`);
  }
  const step = panel.days > 60 ? 30 : panel.days > 14 ? 7 : 1;
  for (let day = 0; day <= panel.days; day += step) {
    parts.push(`<text x="${fixed(xOf(panel, day))}" y="${panel.top + PANEL_HEIGHT + 16}" text-anchor="middle">day ${day}</text>`);
  }
  parts.push(`<rect x="${LEFT}" y="${panel.top}" width="${PLOT_WIDTH}" height="${PANEL_HEIGHT}" fill="none" stroke="#888"/>`);
  return parts.join('\n');
}

function legend(result: FleetResult, top: number): string {
  return result.classes
    .map((c, i) => {
      const x = LEFT + PLOT_WIDTH - 300 + i * 100;
      return `<rect x="${x}" y="${top - 21}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/><text x="${x + 16}" y="${top - 10}">${esc(c.label)}</text>`;
    })
    .join('\n');
}

function horizontal(panel: Panel, value: number, text: string): string {
  const y = fixed(yOf(panel, value));
  return `<line x1="${LEFT}" x2="${LEFT + PLOT_WIDTH}" y1="${y}" y2="${y}" stroke="#c00" stroke-width="1.5" stroke-dasharray="6 4"/>
<text x="${LEFT + PLOT_WIDTH - 4}" y="${y}" dy="-5" text-anchor="end" fill="#c00">${esc(text)}</text>`;
}

function renewalsPanel(result: FleetResult, panel: Panel): string {
  const width = Math.max(0.5, PLOT_WIDTH / panel.days - 1);
  const bars = result.series.renewalsPerDay.flatMap((perClass, day) => {
    let base = 0;
    return perClass.map((count, i) => {
      const y0 = yOf(panel, base);
      base += count;
      const y1 = yOf(panel, base);
      return count === 0 ? '' : `<rect x="${fixed(xOf(panel, day))}" y="${fixed(y1)}" width="${fixed(width)}" height="${fixed(y0 - y1)}" fill="${COLORS[i % COLORS.length]}"/>`;
    });
  });
  return [axes(panel, 'Renewals per day, by lifetime', (v) => v.toFixed(0)), legend(result, panel.top), ...bars.filter(Boolean)].join('\n');
}

function ordersPanel(result: FleetResult, panel: Panel): string {
  const { scanHours, budget } = result.config;
  const width = Math.max(0.6, (PLOT_WIDTH / panel.days) * (scanHours / 24) - 0.4);
  // Counted orders (green) against the budget; ARI renewals (grey, exempt) drawn behind, on the same scale.
  const bar = (count: number, scan: number, fill: string) => {
    const y = yOf(panel, count);
    return `<rect x="${fixed(xOf(panel, (scan * scanHours) / 24))}" y="${fixed(y)}" width="${fixed(width)}" height="${fixed(panel.top + PANEL_HEIGHT - y)}" fill="${fill}"/>`;
  };
  const bars = [
    ...result.series.ariOrdersPerScanWindow.map((count, scan) => (count === 0 ? '' : bar(count, scan, '#bab0ac'))),
    ...result.series.ordersPerScanWindow.map((count, scan) => bar(count, scan, '#59a14f')),
  ].filter(Boolean);
  return [
    axes(panel, `Orders in the ${budget.windowHours} h window ending at each scan: counted (green, peak ${result.peakOrdersPerWindow}), ARI exempt (grey, peak ${result.peakAriOrdersPerWindow})`, (v) => v.toFixed(0)),
    ...bars,
    horizontal(panel, budget.maxOrders, `budget ${budget.maxOrders} per ${budget.windowHours} h`),
  ].join('\n');
}

function remainingPanel(result: FleetResult, panel: Panel): string {
  const dots = result.series.minRemainingPerDay.flatMap((perClass, day) =>
    perClass.map((fraction, i) =>
      fraction === null ? '' : `<circle cx="${fixed(xOf(panel, day + 0.5))}" cy="${fixed(yOf(panel, fraction))}" r="1.8" fill="${COLORS[i % COLORS.length]}"/>`,
    ),
  );
  return [
    axes(panel, 'Lowest remaining lifetime at renewal, per day', (v) => `${(v * 100).toFixed(0)}%`),
    legend(result, panel.top),
    ...dots.filter(Boolean),
    horizontal(panel, 1 / 6, 'floor ⅙ of lifetime'),
  ].join('\n');
}

function chart(result: FleetResult): string {
  const days = result.config.days;
  const panels = [0, 1, 2].map((i) => 50 + i * (PANEL_HEIGHT + PANEL_GAP));
  const maxDaily = Math.max(1, result.renewalsPerDay.max);
  const maxOrders = Math.max(result.config.budget.maxOrders, result.peakOrdersPerWindow, result.peakAriOrdersPerWindow);
  const height = panels[2]! + PANEL_HEIGHT + 40;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    renewalsPanel(result, { top: panels[0]!, yMax: niceMax(maxDaily * 1.05), days }),
    ordersPanel(result, { top: panels[1]!, yMax: niceMax(maxOrders * 1.05), days }),
    remainingPanel(result, { top: panels[2]!, yMax: 0.6, days }),
    '</svg>',
  ].join('\n');
}

/** `certflow simulate …` (`npm run simulate -- …`): the exit code, 1 when a guarantee broke. Throws SimulateUsageError for a bad flag. */
export function main(flags: SimulateFlags = {}): number {
  const { config, json, out, largest } = parseConfig(flags);
  const started = performance.now();
  if (largest) {
    const found = largestFleet(config);
    console.log(`largest fleet of this mix with every guarantee kept (0 expiries, ⅙ floor, budget): ${found.capped ? '≥ ' : ''}${found.certificates} certificates (±5 %, ${((performance.now() - started) / 1000).toFixed(0)} s)`);
    return 0;
  }
  const result = simulateFleet(config, (day) => process.stderr.write(`simulated ${day} of ${config.days} days (${((performance.now() - started) / 1000).toFixed(1)} s)\n`));
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, chart(result));
  console.log(json ? JSON.stringify(result, null, 2) : report(result, out));
  const failures = fleetCheckFailures(result);
  if (failures.length === 0) return 0;
  console.error(`simulation broke a guarantee: ${failures.join('; ')}`);
  return 1;
}
