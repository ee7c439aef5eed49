/**
 * A long-running local CA for `certflow local start|stop|status`: Pebble + the embedded DNS
 * server in a detached daemon, so `certflow issue` skips starting them (≈ 0.5–1 s each time).
 *
 * Everything lives in `<CERTFLOW_HOME>/local-ca/`: `state.json` (pids, ports, Pebble's TLS CA
 * and root; written once Pebble serves), `txt/` (challenge records: issuing processes write
 * them, the daemon's DNS server answers from them; see FileTxtZoneData) and `daemon.log`.
 * Pebble still runs under its watchdog (local/pebble.ts), owned by the daemon: if the daemon
 * dies however it dies, Pebble goes and its temp dir is removed. A state file whose daemon is
 * gone, or whose Pebble does not answer, is stale: status says so and start/stop clear it.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocalDnsServer } from '../domain/adapters/local/dns-server';
import { FileTxtZoneData } from '../domain/adapters/local/file-zone-data';
import type { SharedLocalCa } from './environment';
import { getFromPebble, startPebbleWithDns } from './pebble';

export const CA_STATE_FORMAT = 1;

export interface CaDaemonState {
  readonly format: typeof CA_STATE_FORMAT;
  readonly daemonPid: number;
  readonly pebblePid: number;
  readonly directoryUrl: string;
  readonly managementUrl: string;
  readonly dnsPort: number;
  readonly tlsCaPem: string;
  readonly rootPem: string;
  readonly startedAt: string;
}

export type CaStatus =
  | { readonly running: true; readonly state: CaDaemonState }
  | { readonly running: false; readonly stale?: { readonly reason: string; readonly state?: Partial<CaDaemonState> } };

export const caDir = (home: string) => path.join(home, 'local-ca');
const stateFile = (home: string) => path.join(caDir(home), 'state.json');
const txtDir = (home: string) => path.join(caDir(home), 'txt');
const logFile = (home: string) => path.join(caDir(home), 'daemon.log');

/** The process exists and is not a zombie (a daemon whose starter exited waits for init to reap it). */
function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S …"; comm may hold spaces and parentheses, the state follows the last ')'.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no procfs: the signal test is all there is
  }
}

function isState(value: unknown): value is CaDaemonState {
  const state = value as Partial<CaDaemonState> | null;
  return (
    typeof state === 'object' && state !== null && state.format === CA_STATE_FORMAT &&
    Number.isInteger(state.daemonPid) && Number.isInteger(state.pebblePid) && Number.isInteger(state.dnsPort) &&
    typeof state.directoryUrl === 'string' && typeof state.tlsCaPem === 'string' && typeof state.rootPem === 'string'
  );
}

/** GET the ACME directory with Pebble's TLS CA: 200 means this state's Pebble is the one answering. */
async function directoryAnswers(state: CaDaemonState, timeoutMs = 1500): Promise<boolean> {
  try {
    return (await getFromPebble(state.directoryUrl, state.tlsCaPem, timeoutMs)).status === 200;
  } catch {
    return false;
  }
}

/** Is the daemon of `home` running and serving? (A state file alone is not enough: pids get reused.) */
export async function caStatus(home: string): Promise<CaStatus> {
  let text: string;
  try {
    text = fs.readFileSync(stateFile(home), 'utf8');
  } catch {
    return { running: false };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { running: false, stale: { reason: 'state.json is not JSON' } };
  }
  if (!isState(value)) return { running: false, stale: { reason: 'state.json is not a local CA state', state: value as Partial<CaDaemonState> } };
  if (!alive(value.daemonPid)) return { running: false, stale: { reason: `daemon pid ${value.daemonPid} is gone`, state: value } };
  if (!(await directoryAnswers(value))) return { running: false, stale: { reason: `Pebble does not answer at ${value.directoryUrl}`, state: value } };
  return { running: true, state: value };
}

/** The running daemon as the pipeline uses it: its directory, trust, and the shared TXT folder. */
export function sharedCaOf(home: string, state: CaDaemonState, zones: ConstructorParameters<typeof FileTxtZoneData>[0]): SharedLocalCa {
  return {
    directoryUrl: state.directoryUrl,
    tlsCaPem: state.tlsCaPem,
    rootPem: state.rootPem,
    dns: { data: new FileTxtZoneData(zones, txtDir(home)), port: state.dnsPort },
  };
}

function clearState(home: string): void {
  fs.rmSync(stateFile(home), { force: true });
  fs.rmSync(txtDir(home), { recursive: true, force: true });
}

function writeState(home: string, state: CaDaemonState): void {
  const temp = `${stateFile(home)}.${process.pid}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(temp, stateFile(home));
}

/** Inside the daemon (`certflow local __daemon`): start DNS + Pebble, publish the state, serve until signalled. */
export async function runCaDaemon(home: string, zones: ConstructorParameters<typeof FileTxtZoneData>[0]): Promise<never> {
  fs.mkdirSync(caDir(home), { recursive: true, mode: 0o700 });
  fs.rmSync(txtDir(home), { recursive: true, force: true });
  const dnsServer = new LocalDnsServer(new FileTxtZoneData(zones, txtDir(home)));
  const { pebble } = await startPebbleWithDns(dnsServer);
  const state: CaDaemonState = {
    format: CA_STATE_FORMAT,
    daemonPid: process.pid,
    pebblePid: pebble.pid,
    directoryUrl: pebble.directoryUrl,
    managementUrl: pebble.managementUrl,
    dnsPort: dnsServer.port,
    tlsCaPem: pebble.tlsCaPem,
    rootPem: await pebble.rootPem(),
    startedAt: new Date().toISOString(),
  };
  let ending = false;
  const end = async (code: number, why: string) => {
    if (ending) return;
    ending = true;
    process.stderr.write(`${new Date().toISOString()} local CA stopping: ${why}\n`);
    // Only our own state: a newer daemon may have replaced a state we left stale.
    try {
      const current = JSON.parse(fs.readFileSync(stateFile(home), 'utf8')) as Partial<CaDaemonState>;
      if (current.daemonPid === process.pid) clearState(home);
    } catch {
      fs.rmSync(txtDir(home), { recursive: true, force: true });
    }
    await pebble.stop().catch(() => {});
    await dnsServer.stop().catch(() => {});
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void end(0, signal));
  process.on('disconnect', () => {}); // the starter leaving is expected
  // Pebble ending by itself ends the CA: nobody could issue through it.
  const watch = setInterval(() => {
    if (pebble.exited) void end(1, `Pebble exited (${pebble.exited.code ?? pebble.exited.signal}): ${pebble.exited.lastOutput}`);
  }, 500);
  watch.unref();
  writeState(home, state);
  process.stderr.write(`${state.startedAt} local CA serving: ${state.directoryUrl}, DNS 127.0.0.1:${state.dnsPort}/udp, Pebble pid ${state.pebblePid}\n`);
  process.send?.({ ready: true });
  return new Promise<never>(() => {}); // served until a signal
}

export interface StartOptions {
  /** The command line that runs `certflow local __daemon` (default: this process's node, flags and entry). */
  readonly command?: readonly string[];
  readonly timeoutMs?: number;
}

/** Start the daemon for `home` unless one is running; resolves once Pebble serves. */
export async function startCaDaemon(home: string, options: StartOptions = {}): Promise<{ readonly state: CaDaemonState; readonly alreadyRunning: boolean }> {
  const status = await caStatus(home);
  if (status.running) return { state: status.state, alreadyRunning: true };
  if (status.stale) await stopCaDaemon(home);
  fs.mkdirSync(caDir(home), { recursive: true });
  const [command, ...args] = options.command ?? [process.execPath, ...process.execArgv, process.argv[1]!, 'local', '__daemon'];
  const log = fs.openSync(logFile(home), 'a');
  const child = spawn(command!, args, {
    detached: true, // its own process group: a terminal's Ctrl-C on the starter does not reach it
    stdio: ['ignore', log, log, 'ipc'],
    env: { ...process.env, CERTFLOW_HOME: home },
  });
  fs.closeSync(log);
  const timeoutMs = options.timeoutMs ?? 30_000;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the local CA did not start within ${timeoutMs / 1000} s (see ${logFile(home)})`)), timeoutMs);
      child.once('message', () => {
        clearTimeout(timer);
        resolve();
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the local CA exited during start (${code ?? signal}); its log:\n${tail(logFile(home))}`));
      });
    });
  } catch (error) {
    if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGTERM');
    throw error;
  }
  child.removeAllListeners();
  child.disconnect();
  child.unref();
  const started = await caStatus(home);
  if (!started.running) throw new Error(`the local CA started but does not answer (${started.stale?.reason ?? 'no state'})`);
  return { state: started.state, alreadyRunning: false };
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-10).join('\n');
  } catch {
    return '(no log)';
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return true;
}

/** Stop the daemon of `home` (and with it Pebble); clears a stale state. Says what it did. */
export async function stopCaDaemon(home: string): Promise<{ readonly stopped: boolean; readonly stale?: string }> {
  const status = await caStatus(home);
  const state = status.running ? status.state : status.stale?.state;
  const daemonPid = typeof state?.daemonPid === 'number' ? state.daemonPid : undefined;
  const pebblePid = typeof state?.pebblePid === 'number' ? state.pebblePid : undefined;
  // A stale state's pids may belong to someone else now: signal them only while our Pebble answers.
  if (status.running && daemonPid) {
    process.kill(daemonPid, 'SIGTERM');
    if (!(await waitGone(daemonPid, 10_000))) {
      for (const pid of [daemonPid, pebblePid]) if (alive(pid)) process.kill(pid!, 'SIGKILL');
    }
    if (pebblePid) await waitGone(pebblePid, 5_000);
  }
  clearState(home);
  return status.running ? { stopped: true } : { stopped: false, ...(status.stale ? { stale: status.stale.reason } : {}) };
}
