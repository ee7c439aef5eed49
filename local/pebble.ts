/**
 * Pebble, Let's Encrypt's test CA, as a child process: fresh TLS certificates for its HTTPS
 * listener, free ports, DNS-01 lookups through our DNS server, and the CA's root fetched from
 * the management API (Pebble makes a new root at every start).
 *
 * Pebble never outlives the process that started it: it runs under a tiny Node watchdog whose
 * stdin is a pipe from us. However we end (exit, Ctrl-C, SIGTERM, SIGHUP, a closed stdout, or
 * SIGKILL), the pipe closes and the watchdog stops Pebble and removes its temp dir (which holds
 * a TLS private key). The watchdog runs in its own session, so a terminal's Ctrl-C reaches us,
 * not Pebble: an exit of Pebble is always Pebble's own, and is reported as such (`exited`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensurePebbleInstalled } from './pebble-install';
import { createLocalhostTls } from './tls';

export { ensurePebbleInstalled } from './pebble-install';

/**
 * Let's Encrypt's profiles as of December 2026 (FIELD-NOTES): `classic` (90 days until
 * 2027-02-10), `tlsserver` (45 days), `shortlived` (6 days). Seconds, as Pebble's config wants.
 * Pebble 2.10 gives an order that names no profile one of them at random (seen here), so the
 * local default's CA settings name `classic` as the default (PEBBLE_DEFAULT_PROFILE).
 */
export const PEBBLE_DEFAULT_PROFILE = 'classic';
export const PEBBLE_PROFILES = {
  classic: { description: "Let's Encrypt's default profile", validityPeriod: 90 * 86_400 },
  tlsserver: { description: 'TLS server certificates, 45 days', validityPeriod: 45 * 86_400 },
  shortlived: { description: 'Short-lived certificates, 6 days', validityPeriod: 6 * 86_400 },
} as const;

/** How much of Pebble's output a RunningPebble keeps (its last characters). */
const OUTPUT_KEPT_CHARS = 1_000_000;

export interface PebbleOptions {
  /** UDP port of the DNS server Pebble must use for DNS-01 lookups. */
  readonly dnsPort: number;
  /** Extra environment, e.g. PEBBLE_WFE_NONCEREJECT. Defaults keep bad-nonce injection on. */
  readonly env?: Record<string, string>;
  readonly externalAccountMacKeys?: Record<string, string>;
}

/** How Pebble ended on its own (not by `stop()`): its exit code or signal and its last output. */
export interface PebbleExit {
  readonly code: number | null;
  readonly signal: string | null;
  /** The last lines Pebble wrote (at most 10). */
  readonly lastOutput: string;
}

export interface RunningPebble {
  /** Pebble's own pid (it runs under a watchdog). */
  readonly pid: number;
  /** Set once Pebble has exited without being stopped. */
  readonly exited: PebbleExit | undefined;
  readonly directoryUrl: string;
  readonly managementUrl: string;
  /** CA for Pebble's own HTTPS listener: trust it for the ACME client. */
  readonly tlsCaPem: string;
  /** Root and intermediate of the CA that signs issued certificates (the default chain's). */
  rootPem(): Promise<string>;
  /** Every root: the default chain's first, then one per alternate chain (`PEBBLE_ALTERNATE_ROOTS`). */
  rootPems(): Promise<string[]>;
  intermediatePem(): Promise<string>;
  stop(): Promise<void>;
  readonly output: () => string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Pebble's `-strict` answers HTTP 400 to any request without one (RFC 8555 §6.1: clients MUST send it). */
const USER_AGENT = 'certflow-local (Pebble probe)';

/** GET from Pebble's ACME or management listener, trusting its TLS CA. */
export function getFromPebble(url: string, ca: string, timeoutMs = 2000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.get(url, { ca, timeout: timeoutMs, headers: { 'User-Agent': USER_AGENT } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('timeout', () => request.destroy(new Error(`timeout on ${url}`)));
    request.on('error', reject);
  });
}

/** POST JSON to Pebble's management listener (e.g. `/set-renewal-info/`), trusting its TLS CA. */
export function postToPebble(url: string, ca: string, body: unknown, timeoutMs = 2000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const headers = { 'User-Agent': USER_AGENT, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) };
    const request = https.request(url, { method: 'POST', ca, timeout: timeoutMs, headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
    });
    request.on('timeout', () => request.destroy(new Error(`timeout on ${url}`)));
    request.on('error', reject);
    request.end(payload);
  });
}

/** `the local CA (Pebble) exited with code 2; its last output: …`: what an ACME error means when Pebble is gone. */
export function describePebbleExit(exit: PebbleExit): string {
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  return `the local CA (Pebble) ${how}${exit.lastOutput ? `; its last output:\n${exit.lastOutput}` : ' (no output)'}`;
}

/**
 * The watchdog (plain JS, run with `node -e`): starts Pebble with our stdout/stderr, reports
 * `{pid}` then `{exit}` as JSON lines on fd 3, and stops Pebble and removes the temp dir when
 * its stdin closes (the parent ended, however) or it gets SIGINT/SIGTERM/SIGHUP.
 */
const WATCHDOG = `
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const [binary, args, dir] = JSON.parse(process.argv[1]);
const report = (message) => { try { fs.writeSync(3, JSON.stringify(message) + '\\n'); } catch {} };
const removeDir = () => { try { fs.rmSync(dir, { recursive: true, force: true }); } catch {} };
const child = spawn(binary, args, { stdio: ['ignore', 'inherit', 'inherit'] });
child.on('spawn', () => report({ pid: child.pid }));
child.on('error', (error) => { report({ error: error.message }); removeDir(); process.exit(1); });
child.on('exit', (code, signal) => { report({ exit: { code, signal } }); removeDir(); process.exit(0); });
const stop = () => {
  if (child.exitCode !== null || child.signalCode !== null) { removeDir(); process.exit(0); }
  child.kill('SIGTERM');
  setTimeout(() => child.kill('SIGKILL'), 3000).unref();
};
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.on('error', stop);
process.stdin.resume();
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, stop);
`;

/** Pebbles this process runs: killed (synchronously) and their dirs removed when it exits or is signalled. */
const running = new Set<{ kill(): void }>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function killAllSync(): void {
  for (const pebble of running) pebble.kill();
  running.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  killAllSync();
  unwatchParent();
  // Nobody else handles it: end as the signal would have ended us.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function onStdoutError(error: NodeJS.ErrnoException): void {
  if (error.code !== 'EPIPE') throw error;
  // `npm run demo | head -4`: the reader is gone; nothing more can be said.
  killAllSync();
  process.exit(1);
}

function watchParent(): void {
  if (running.size > 0) return;
  process.on('exit', killAllSync);
  for (const signal of SIGNALS) process.on(signal, onSignal);
  process.stdout.on('error', onStdoutError);
}

function unwatchParent(): void {
  process.off('exit', killAllSync);
  for (const signal of SIGNALS) process.off(signal, onSignal);
  process.stdout.off('error', onStdoutError);
}

async function waitUntilServing(url: string, ca: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`pebble exited with code ${child.exitCode}:\n${output()}`);
    try {
      if ((await getFromPebble(url, ca)).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`pebble did not serve ${url} within 15 s:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Start the DNS server Pebble validates through, then Pebble; the DNS server stops again when Pebble does not start. */
export async function startPebbleWithDns(
  dnsServer: { start(): Promise<number>; stop(): Promise<void> },
  options: Omit<PebbleOptions, 'dnsPort'> = {},
): Promise<{ dnsPort: number; pebble: RunningPebble }> {
  const dnsPort = await dnsServer.start();
  try {
    return { dnsPort, pebble: await startPebble({ dnsPort, ...options }) };
  } catch (error) {
    await dnsServer.stop();
    throw error;
  }
}

export async function startPebble(options: PebbleOptions): Promise<RunningPebble> {
  const pebbleBinary = ensurePebbleInstalled();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-pebble-'));
  const tls = await createLocalhostTls();
  // Pebble's own HTTPS certificate (not a certflow version: named apart from the registry's files).
  await fs.writeFile(path.join(dir, 'pebble-cert.pem'), tls.certPem);
  await fs.writeFile(path.join(dir, 'pebble-key.pem'), tls.keyPem, { mode: 0o600 });
  const [acmePort, managementPort, httpPort, tlsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const config = {
    pebble: {
      listenAddress: `127.0.0.1:${acmePort}`,
      managementListenAddress: `127.0.0.1:${managementPort}`,
      certificate: path.join(dir, 'pebble-cert.pem'),
      privateKey: path.join(dir, 'pebble-key.pem'),
      httpPort,
      tlsPort,
      ocspResponderURL: '',
      externalAccountBindingRequired: Boolean(options.externalAccountMacKeys),
      ...(options.externalAccountMacKeys ? { externalAccountMACKeys: options.externalAccountMacKeys } : {}),
      profiles: PEBBLE_PROFILES,
    },
  };
  const configFile = path.join(dir, 'pebble-config.json');
  await fs.writeFile(configFile, JSON.stringify(config, null, 2));

  let log = '';
  const pebbleArgs = ['-config', configFile, '-dnsserver', `127.0.0.1:${options.dnsPort}`, '-strict'];
  const child = spawn(process.execPath, ['-e', WATCHDOG, JSON.stringify([pebbleBinary, pebbleArgs, dir])], {
    env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    detached: true,
  });
  // Enough for a test to find one order's lines after a busy scan (20 kB once lost an ARI line under load).
  const append = (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-OUTPUT_KEPT_CHARS);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  child.stdin?.on('error', () => {}); // the watchdog gone: its exit says the rest
  const output = () => log;

  let pebblePid = 0;
  let stopping = false;
  let exited: PebbleExit | undefined;
  const lastOutput = () => log.trimEnd().split('\n').slice(-10).join('\n');
  const noteExit = (code: number | null, signal: string | null) => {
    if (!stopping && !exited) exited = { code, signal, lastOutput: lastOutput() };
  };
  let control = '';
  (child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => {
    control += chunk.toString('utf8');
    for (let end = control.indexOf('\n'); end >= 0; end = control.indexOf('\n')) {
      const message = JSON.parse(control.slice(0, end)) as { pid?: number; exit?: { code: number | null; signal: string | null } };
      control = control.slice(end + 1);
      if (message.pid) pebblePid = message.pid;
      if (message.exit) noteExit(message.exit.code, message.exit.signal);
    }
  });
  const watchdogExited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(entry);
      if (running.size === 0) unwatchParent();
      // Pebble's own exit arrives on fd 3 first; this covers the watchdog itself being killed.
      setImmediate(() => noteExit(code, signal));
      resolve();
    }),
  );
  const entry = {
    kill() {
      for (const pid of [pebblePid, child.pid]) {
        try {
          if (pid) process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  watchParent();
  running.add(entry);

  const directoryUrl = `https://localhost:${acmePort}/dir`;
  const managementUrl = `https://localhost:${managementPort}`;
  const stop = async () => {
    stopping = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin?.end(); // the watchdog stops Pebble and removes the dir
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await watchdogExited;
      clearTimeout(timer);
    }
    await fs.rm(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilServing(directoryUrl, tls.caPem, child, output);
  } catch (error) {
    await stop();
    throw error;
  }
  const fetchPem = async (what: string, index = 0) => {
    const response = await getFromPebble(`${managementUrl}/${what}/${index}`, tls.caPem);
    if (response.status !== 200) throw new Error(`pebble management ${what}/${index}: HTTP ${response.status}`);
    return response.body;
  };
  // Pebble answers 404 past the last root; PEBBLE_ALTERNATE_ROOTS says how many there are.
  const rootCount = 1 + Math.max(0, Number.parseInt(options.env?.PEBBLE_ALTERNATE_ROOTS ?? process.env.PEBBLE_ALTERNATE_ROOTS ?? '0', 10) || 0);
  return {
    get pid() {
      return pebblePid;
    },
    get exited() {
      return exited;
    },
    directoryUrl,
    managementUrl,
    tlsCaPem: tls.caPem,
    rootPem: () => fetchPem('roots'),
    rootPems: () => Promise.all(Array.from({ length: rootCount }, (_, index) => fetchPem('roots', index))),
    intermediatePem: () => fetchPem('intermediates'),
    stop,
    output,
  };
}
