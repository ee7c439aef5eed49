/**
 * The certflow command as an operator times it: whole processes (`node bin/cli.js …`, i.e.
 * `npx certflow …` in the checkout), wall clock from spawn to exit, on a warm cache (the dev
 * bundle built, the definitions synthesized and validated; one warm-up issue before measuring).
 *
 * - one P-256 certificate with the CA already running (`certflow local start`): its daemon runs
 *   the execution (local/execution-service.ts; checked in each run's output), and the same
 *   with --in-process, the command running it itself on the daemon's CA;
 * - 20 certificates as 20 sequential `certflow issue` processes: certbot's figure is 20 certbot
 *   processes, one per certificate, each paying its own start (node's start alone is ≈ 0.1 s of
 *   each here);
 * - 20 certificates as one `certflow renew --all` of 20 declared ones (certbot renew's way: one
 *   process for the fleet), with the daemon and --in-process;
 * - `npm run demo` (its own Pebble, as a new user runs it);
 * - before: the same issue through tsx with no daemon (CERTFLOW_DEV_BUNDLE=0), as it was.
 * certbot is not installed here: its figures are the ones issue #11 measured on this machine.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './stats';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** certbot certonly (DNS-01, one P-256 certificate), whole process, measured for issue #11 here. */
export const CERTBOT_REFERENCE = { oneMs: 2800, twentyMs: 56_000 } as const;
export const CLI_TARGETS = { oneMs: 1000, twentyMs: 5000, demoMs: 5000 } as const;

export interface CliFigures {
  readonly oneRuns: number;
  readonly oneMedianMs: number;
  readonly oneMinMs: number;
  readonly inProcessMedianMs: number;
  readonly twentyTotalMs: number;
  /**
   * The same without NODE_EXTRA_CA_CERTS, when it is set: node parses that bundle at every start,
   * before any of certflow's code runs (this sandbox points it at the 140-certificate system
   * bundle: ≈ 45–60 ms per process); an operator's shell usually has no such variable.
   */
  readonly extraCaCerts?: { readonly file: string; readonly oneMedianMs: number; readonly twentyTotalMs: number; readonly nodeStartMs: number; readonly nodeStartWithoutMs: number };
  /** `certflow renew --all` of 20 declared certificates: one process, the daemon running them. */
  readonly twentyRenewAllMs: number;
  readonly twentyRenewAllInProcessMs: number;
  readonly processStartMs: number;
  readonly demoMs: number;
  readonly demoWithDaemonMs: number;
  readonly beforeOneMedianMs: number;
  readonly beforeRuns: number;
  readonly certbot: typeof CERTBOT_REFERENCE;
  readonly loadAverage: readonly number[];
}

/** Wall time of one process; `expect` must appear in its stdout (what path it took). */
function timed(command: string, args: readonly string[], env: NodeJS.ProcessEnv, expect?: RegExp): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(command, [...args], { cwd: ROOT, env, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const ms = performance.now() - started;
      if (error) reject(new Error(`${[command, ...args].join(' ')} failed: ${error.message}\n${stderr}`));
      else if (expect && !expect.test(stdout)) reject(new Error(`${[command, ...args].join(' ')}: expected ${expect} in its output:\n${stdout}`));
      else resolve(ms);
    });
  });
}

const IN_DAEMON = /its daemon \(pid \d+\) runs the execution/;
const IN_PROCESS = /Using the local CA of certflow local start: Pebble \S+, DNS on \S+\n/;

export async function benchCli(runs: number, progress: (line: string) => void): Promise<CliFigures> {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-bench-cli-'));
  const env: NodeJS.ProcessEnv = { ...process.env, CERTFLOW_HOME: home };
  const certflow = (...args: string[]) => timed(process.execPath, ['bin/cli.js', ...args], env);
  const issueIn = (environment: NodeJS.ProcessEnv, expect: RegExp, ...args: string[]) => timed(process.execPath, ['bin/cli.js', 'issue', ...args], environment, expect);
  const issue = (expect: RegExp, ...args: string[]) => issueIn(env, expect, ...args);
  try {
    // Before: tsx, each process its own Pebble (a warm-up first: synthesis, if any, is not counted).
    const before: number[] = [];
    const beforeRuns = Math.min(runs, 3);
    const tsxEnv = { ...env, CERTFLOW_DEV_BUNDLE: '0' };
    for (let i = -1; i < beforeRuns; i += 1) {
      const ms = await timed(process.execPath, ['bin/cli.js', 'issue', `before-${i + 1}`, '--name', `before${i + 1}.certflow.test`], tsxEnv);
      if (i >= 0) before.push(ms);
      progress(`  cli before (tsx, own Pebble) ${i < 0 ? 'warm-up' : `run ${i + 1}/${beforeRuns}`}: ${ms.toFixed(0)} ms`);
    }

    const demoMs = await timed('npm', ['run', '--silent', 'demo'], env);
    progress(`  npm run demo (own Pebble): ${demoMs.toFixed(0)} ms`);

    await certflow('local', 'start');
    const one: number[] = [];
    for (let i = -1; i < runs; i += 1) {
      const ms = await issue(IN_DAEMON, `one-${i + 1}`, '--name', `one${i + 1}.certflow.test`);
      if (i >= 0) one.push(ms);
      progress(`  certflow issue, CA running ${i < 0 ? 'warm-up' : `run ${i + 1}/${runs}`}: ${ms.toFixed(0)} ms`);
    }
    const inProcess: number[] = [];
    for (let i = 0; i < Math.min(runs, 5); i += 1) {
      inProcess.push(await issue(IN_PROCESS, `own-${i + 1}`, '--name', `own${i + 1}.certflow.test`, '--in-process'));
      progress(`  certflow issue --in-process, CA running, run ${i + 1}: ${inProcess.at(-1)!.toFixed(0)} ms`);
    }
    const twentyStarted = performance.now();
    for (let i = 0; i < 20; i += 1) await issue(IN_DAEMON, `twenty-${i}`, '--name', `t${i}.example.test`);
    const twentyTotalMs = performance.now() - twentyStarted;
    progress(`  20 sequential certflow issue processes: ${twentyTotalMs.toFixed(0)} ms`);
    let extraCaCerts: CliFigures['extraCaCerts'];
    const extraFile = process.env.NODE_EXTRA_CA_CERTS;
    if (extraFile) {
      const { NODE_EXTRA_CA_CERTS: _dropped, ...plain } = env;
      const nodeStart = async (environment: NodeJS.ProcessEnv) => {
        const runs: number[] = [];
        for (let i = 0; i < 10; i += 1) runs.push(await timed(process.execPath, ['-e', '0'], environment));
        return median(runs);
      };
      const oneWithout: number[] = [];
      for (let i = 0; i < runs; i += 1) oneWithout.push(await issueIn(plain, IN_DAEMON, `plain-${i}`, '--name', `plain${i}.certflow.test`));
      const started = performance.now();
      for (let i = 0; i < 20; i += 1) await issueIn(plain, IN_DAEMON, `twenty-${i}`, '--name', `t${i}.example.test`);
      extraCaCerts = { file: extraFile, oneMedianMs: median(oneWithout), twentyTotalMs: performance.now() - started, nodeStartMs: await nodeStart(env), nodeStartWithoutMs: await nodeStart(plain) };
      progress(`  without NODE_EXTRA_CA_CERTS: one issue ${extraCaCerts.oneMedianMs.toFixed(0)} ms, 20 sequential ${extraCaCerts.twentyTotalMs.toFixed(0)} ms; node -e 0: ${extraCaCerts.nodeStartMs.toFixed(0)} ms with it, ${extraCaCerts.nodeStartWithoutMs.toFixed(0)} ms without`);
    }
    const starts: number[] = [];
    for (let i = 0; i < 3; i += 1) starts.push(await certflow('list'));
    const processStartMs = median(starts);
    // 20 declared certificates, one command (certbot renew's way): in the daemon, then in-process.
    const config = path.join(home, 'twenty.config.ts');
    const declarations = Array.from({ length: 20 }, (_, i) => `{ id: 'fleet-${i}', names: ['f${i}.certflow.test'] }`).join(', ');
    await fs.writeFile(config, `export default { hostedZones: [{ name: 'certflow.test', id: 'Z0000000000BENCH' }], certificates: [${declarations}] };\n`);
    const renewAll = (...extra: string[]) => timed(process.execPath, ['bin/cli.js', 'renew', '--all', '--config', config, ...extra], env, /Renewed 20 of 20\n/);
    await renewAll(); // warm-up: the config's first load through tsx
    const twentyRenewAllMs = await renewAll();
    progress(`  certflow renew --all, 20 declared (daemon): ${twentyRenewAllMs.toFixed(0)} ms`);
    const twentyRenewAllInProcessMs = await renewAll('--in-process');
    progress(`  certflow renew --all, 20 declared (--in-process): ${twentyRenewAllInProcessMs.toFixed(0)} ms`);
    const demoWithDaemonMs = await timed('npm', ['run', '--silent', 'demo'], env);
    progress(`  npm run demo (CA running): ${demoWithDaemonMs.toFixed(0)} ms`);
    return {
      oneRuns: runs,
      oneMedianMs: median(one),
      oneMinMs: Math.min(...one),
      inProcessMedianMs: median(inProcess),
      twentyTotalMs,
      ...(extraCaCerts ? { extraCaCerts } : {}),
      twentyRenewAllMs,
      twentyRenewAllInProcessMs,
      processStartMs,
      demoMs,
      demoWithDaemonMs,
      beforeOneMedianMs: median(before),
      beforeRuns,
      certbot: CERTBOT_REFERENCE,
      loadAverage: os.loadavg().map((load) => Number(load.toFixed(2))),
    };
  } finally {
    await certflow('local', 'stop').catch(() => 0);
    await fs.rm(home, { recursive: true, force: true });
  }
}

/** Rows for bench/run.ts: figure, certflow, certbot, certflow ÷ certbot, target. */
export function cliRows(f: CliFigures): string[][] {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  return [
    [`issue one P-256, CA running (median of ${f.oneRuns})`, s(f.oneMedianMs), s(f.certbot.oneMs), (f.oneMedianMs / f.certbot.oneMs).toFixed(2), `≤ ${s(CLI_TARGETS.oneMs)}`],
    [`issue one P-256, CA running, --in-process (median of ${Math.min(f.oneRuns, 5)})`, s(f.inProcessMedianMs), s(f.certbot.oneMs), (f.inProcessMedianMs / f.certbot.oneMs).toFixed(2), ''],
    ['20 certificates: 20 sequential issue processes', s(f.twentyTotalMs), s(f.certbot.twentyMs), (f.twentyTotalMs / f.certbot.twentyMs).toFixed(2), `≤ ${s(CLI_TARGETS.twentyMs)}`],
    ...(f.extraCaCerts
      ? [
          [`  the same without NODE_EXTRA_CA_CERTS (node start ${s(f.extraCaCerts.nodeStartWithoutMs)}, not ${s(f.extraCaCerts.nodeStartMs)})`, s(f.extraCaCerts.twentyTotalMs), s(f.certbot.twentyMs), (f.extraCaCerts.twentyTotalMs / f.certbot.twentyMs).toFixed(2), `≤ ${s(CLI_TARGETS.twentyMs)}`],
          ['  one issue without NODE_EXTRA_CA_CERTS', s(f.extraCaCerts.oneMedianMs), s(f.certbot.oneMs), (f.extraCaCerts.oneMedianMs / f.certbot.oneMs).toFixed(2), `≤ ${s(CLI_TARGETS.oneMs)}`],
        ]
      : []),
    ['20 certificates: one certflow renew --all (daemon)', s(f.twentyRenewAllMs), s(f.certbot.twentyMs), (f.twentyRenewAllMs / f.certbot.twentyMs).toFixed(2), `≤ ${s(CLI_TARGETS.twentyMs)}`],
    ['20 certificates: one certflow renew --all --in-process', s(f.twentyRenewAllInProcessMs), s(f.certbot.twentyMs), (f.twentyRenewAllInProcessMs / f.certbot.twentyMs).toFixed(2), `≤ ${s(CLI_TARGETS.twentyMs)}`],
    ['certflow process start (certflow list, warm)', s(f.processStartMs), '', '', ''],
    ['npm run demo, warm cache (own Pebble)', s(f.demoMs), '', '', `≤ ${s(CLI_TARGETS.demoMs)}`],
    ['npm run demo, warm cache, CA running', s(f.demoWithDaemonMs), '', '', ''],
    [`before: issue one via tsx, own Pebble (median of ${f.beforeRuns})`, s(f.beforeOneMedianMs), s(f.certbot.oneMs), (f.beforeOneMedianMs / f.certbot.oneMs).toFixed(2), ''],
  ];
}
