/**
 * The certflow command as an operator times it: whole processes (`node bin/cli.js …`, i.e.
 * `npx certflow …` in the checkout) on a warm cache (the dev bundle built, the definitions
 * synthesized and validated; a warm-up before measuring). Each process runs under GNU time
 * (`/usr/bin/time`, Debian package `time`): wall clock, CPU seconds (user + system, its waited-for
 * children included) and peak RSS.
 *
 * - one P-256 `certflow issue` with the CA of `certflow local start` running, and without it (the
 *   command starts its own Pebble and DNS server);
 * - certbot against the same running Pebble, when installed (`apt-get install certbot`):
 *   `certbot certonly --manual` with an auth hook that writes the TXT value where our DNS server
 *   reads it (FileTxtZoneData's folder), so both clients do the same DNS-01 order on the same CA;
 * - 20 declared certificates in one `certflow renew --all` (certbot renew's way: one process);
 * - `certflow list` (the process start) and `npm run demo` (its own Pebble, as a new user runs it).
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './stats';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const GNU_TIME = '/usr/bin/time';
/** Issue #21: wall per command, 20 in one renew --all, and peak memory of any certflow process. */
export const CLI_TARGETS = { oneWithCaMs: 600, oneOwnCaMs: 1000, renewAllTwentyMs: 3000, peakRssMiB: 80, demoMs: 5000 } as const;

/** One figure over its runs: median wall and CPU, the highest peak RSS. */
interface ProcessFigure {
  readonly runs: number;
  readonly wallMs: number;
  readonly cpuS: number;
  readonly peakRssMiB: number;
}

export interface CliFigures {
  readonly oneWithCa: ProcessFigure;
  readonly oneOwnCa: ProcessFigure;
  /** certbot certonly on the same Pebble; undefined when certbot is not installed. */
  readonly certbot?: ProcessFigure & { readonly version: string };
  readonly renewAllTwenty: ProcessFigure;
  readonly processStart: ProcessFigure;
  readonly demo: ProcessFigure;
  readonly loadAverage: readonly number[];
}

interface Sample {
  readonly wallMs: number;
  readonly cpuS: number;
  readonly rssKiB: number;
}

/** One process under GNU time; `expect` must appear in its stdout (what it did). */
async function timed(command: string, args: readonly string[], env: NodeJS.ProcessEnv, expect?: RegExp): Promise<Sample> {
  const report = path.join(os.tmpdir(), `certflow-bench-time-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const started = performance.now();
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(GNU_TIME, ['-o', report, '-f', '%U %S %M', command, ...args], { cwd: ROOT, env, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 }, (error, out, stderr) => {
      if (error) reject(new Error(`${[command, ...args].join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve(out);
    });
  });
  const wallMs = performance.now() - started;
  const [user, system, rss] = (await fs.readFile(report, 'utf8')).trim().split('\n').at(-1)!.split(' ').map(Number);
  await fs.rm(report, { force: true });
  if (expect && !expect.test(stdout)) throw new Error(`${[command, ...args].join(' ')}: expected ${expect} in its output:\n${stdout}`);
  return { wallMs, cpuS: user! + system!, rssKiB: rss! };
}

function figure(samples: readonly Sample[]): ProcessFigure {
  return {
    runs: samples.length,
    wallMs: median(samples.map((sample) => sample.wallMs)),
    cpuS: median(samples.map((sample) => sample.cpuS)),
    peakRssMiB: Math.max(...samples.map((sample) => sample.rssKiB)) / 1024,
  };
}

/** `runs` measured after one warm-up; `make(i)` builds the i-th process (i = -1: the warm-up). */
async function measure(runs: number, label: string, progress: (line: string) => void, make: (i: number) => Promise<Sample>): Promise<ProcessFigure> {
  const samples: Sample[] = [];
  for (let i = -1; i < runs; i += 1) {
    const sample = await make(i);
    if (i >= 0) samples.push(sample);
    progress(`  ${label} ${i < 0 ? 'warm-up' : `run ${i + 1}/${runs}`}: ${sample.wallMs.toFixed(0)} ms, ${sample.cpuS.toFixed(2)} s CPU, ${(sample.rssKiB / 1024).toFixed(0)} MiB`);
  }
  return figure(samples);
}

const ISSUED = /Issued '[^']+' version \d+/;
const ON_RUNNING_CA = /Using the local CA of certflow local start/;
const OWN_PEBBLE = /Starting Pebble/;

async function installed(command: string): Promise<string | undefined> {
  return new Promise((resolve) => execFile(command, ['--version'], (error, stdout, stderr) => resolve(error ? undefined : `${stdout}${stderr}`.trim())));
}

export async function benchCli(runs: number, progress: (line: string) => void): Promise<CliFigures> {
  if (!(await installed(GNU_TIME))) throw new Error(`${GNU_TIME} is needed for CPU and peak memory (apt-get install time)`);
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-bench-cli-'));
  const env: NodeJS.ProcessEnv = { ...process.env, CERTFLOW_HOME: home };
  const certflow = (args: readonly string[], expect?: RegExp) => timed(process.execPath, ['bin/cli.js', ...args], env, expect);
  const issue = (id: string, expect: RegExp) => certflow(['issue', id, '--name', `${id}.certflow.test`], new RegExp(`${expect.source}[\\s\\S]*${ISSUED.source}`));
  try {
    const oneOwnCa = await measure(Math.min(runs, 5), 'certflow issue, own Pebble', progress, (i) => issue(`own-${i + 1}`, OWN_PEBBLE));
    const demo = await measure(1, 'npm run demo (own Pebble)', progress, () => timed('npm', ['run', '--silent', 'demo'], env));

    await certflow(['local', 'start']);
    const oneWithCa = await measure(runs, 'certflow issue, CA running', progress, (i) => issue(`one-${i + 1}`, ON_RUNNING_CA));
    const certbot = await benchCertbot(home, Math.min(runs, 5), progress);
    const processStart = await measure(3, 'certflow list', progress, () => certflow(['list']));

    const config = path.join(home, 'twenty.config.ts');
    const declarations = Array.from({ length: 20 }, (_, i) => `{ id: 'fleet-${i}', names: ['f${i}.certflow.test'] }`).join(', ');
    await fs.writeFile(config, `export default { hostedZones: [{ name: 'certflow.test', id: 'Z0000000000BENCH' }], certificates: [${declarations}] };\n`);
    const renewAllTwenty = await measure(Math.min(runs, 3), 'certflow renew --all --force, 20 declared', progress, () => certflow(['renew', '--all', '--force', '--config', config], /Renewed 20 of 20\n/));
    return { oneWithCa, oneOwnCa, ...(certbot ? { certbot } : {}), renewAllTwenty, processStart, demo, loadAverage: os.loadavg().map((load) => Number(load.toFixed(2))) };
  } finally {
    await certflow(['local', 'stop']).catch(() => undefined);
    await fs.rm(home, { recursive: true, force: true });
  }
}

/**
 * certbot certonly (DNS-01, one P-256 certificate) on the running Pebble of `home`: its TLS CA from
 * the daemon's state, its own config/work/logs folders, an auth hook writing the TXT value as one
 * file in the daemon's shared TXT folder (local/ca-daemon.ts; the DNS server answers from there).
 */
async function benchCertbot(home: string, runs: number, progress: (line: string) => void): Promise<CliFigures['certbot']> {
  const version = await installed('certbot');
  if (!version) {
    progress('  certbot: not installed (apt-get install certbot); no paired figure');
    return undefined;
  }
  const state = JSON.parse(await fs.readFile(path.join(home, 'local-ca', 'state.json'), 'utf8')) as { directoryUrl: string; tlsCaPem: string };
  const dir = path.join(home, 'certbot');
  await fs.mkdir(dir, { recursive: true });
  const tlsCa = path.join(dir, 'pebble-tls-ca.pem');
  await fs.writeFile(tlsCa, state.tlsCaPem);
  const hook = path.join(dir, 'auth-hook.sh');
  const txt = path.join(home, 'local-ca', 'txt');
  await fs.writeFile(hook, `#!/bin/sh\nd="${txt}/_acme-challenge.$CERTBOT_DOMAIN"\nmkdir -p "$d" && printf %s "$CERTBOT_VALIDATION" > "$d/certbot-$CERTBOT_VALIDATION"\n`, { mode: 0o755 });
  const cleanup = path.join(dir, 'cleanup-hook.sh');
  await fs.writeFile(cleanup, `#!/bin/sh\nrm -f "${txt}/_acme-challenge.$CERTBOT_DOMAIN/certbot-$CERTBOT_VALIDATION"\n`, { mode: 0o755 });
  const env = { ...process.env, REQUESTS_CA_BUNDLE: tlsCa };
  const folders = ['--config-dir', path.join(dir, 'config'), '--work-dir', path.join(dir, 'work'), '--logs-dir', path.join(dir, 'logs')];
  const hooks = ['--manual', '--preferred-challenges', 'dns', '--manual-auth-hook', hook, '--manual-cleanup-hook', cleanup];
  const certonly = (i: number) =>
    timed(
      'certbot',
      ['certonly', '--non-interactive', '--agree-tos', '--register-unsafely-without-email', '--server', state.directoryUrl, ...folders, ...hooks, '--key-type', 'ecdsa', '--elliptic-curve', 'secp256r1', '-d', `certbot-${i + 1}.certflow.test`],
      env,
      /Successfully received certificate/,
    );
  // Pebble rejects 5 % of nonces (PEBBLE_WFE_NONCEREJECT, kept on as in the tests); certbot 2.1 gives
  // up on some of them (e.g. at registration) where certflow retries: such a run is run again.
  const retried = async (i: number, attempts = 3): Promise<Sample> => {
    try {
      return await certonly(i);
    } catch (error) {
      if (attempts <= 1 || !/anti-replay nonce/.test(String(error))) throw error;
      progress('  certbot: a bad nonce from Pebble ended the run; running it again');
      return retried(i, attempts - 1);
    }
  };
  // The warm-up registers the account, as certflow's warm-up does.
  const paired = await measure(runs, 'certbot certonly, same Pebble', progress, (i) => retried(i));
  return { ...paired, version };
}

/** Rows for bench/run.ts: figure, wall, CPU, peak RSS, target, certbot's wall/CPU/RSS where paired. */
export function cliRows(f: CliFigures): string[][] {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const row = (label: string, p: ProcessFigure, target: string, paired?: ProcessFigure) => [
    `${label} (${p.runs === 1 ? 'one run' : `median of ${p.runs}`})`,
    s(p.wallMs),
    `${p.cpuS.toFixed(2)} s`,
    `${p.peakRssMiB.toFixed(0)} MiB`,
    target,
    paired ? `${s(paired.wallMs)}, ${paired.cpuS.toFixed(2)} s CPU, ${paired.peakRssMiB.toFixed(0)} MiB` : '',
  ];
  const memory = `≤ ${CLI_TARGETS.peakRssMiB} MiB`;
  return [
    row('issue one P-256, CA running', f.oneWithCa, `≤ ${s(CLI_TARGETS.oneWithCaMs)}, CPU ≤ certbot's; ${memory}`, f.certbot),
    ...(f.certbot ? [] : [['  certbot not installed here (apt-get install certbot): not paired', '', '', '', '', '']]),
    row('issue one P-256, own Pebble', f.oneOwnCa, `≤ ${s(CLI_TARGETS.oneOwnCaMs)}; ${memory}`),
    row('20 certificates: one certflow renew --all', f.renewAllTwenty, `≤ ${s(CLI_TARGETS.renewAllTwentyMs)}; ${memory}`),
    row('certflow process start (certflow list)', f.processStart, ''),
    row('npm run demo, warm cache (own Pebble)', f.demo, `≤ ${s(CLI_TARGETS.demoMs)}`),
  ];
}
