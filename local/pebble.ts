/**
 * Pebble, Let's Encrypt's test CA, as a child process: fresh TLS certificates for its HTTPS
 * listener, free ports, DNS-01 lookups through our DNS server, and the CA's root fetched from
 * the management API (Pebble makes a new root at every start).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { installDebianPackages } from './debian';
import { createLocalhostTls } from './tls';

export const PEBBLE_BINARY = process.env.PEBBLE_BIN ?? '/usr/bin/pebble';

export class PebbleMissing extends Error {
  override readonly name = 'PebbleMissing';
}

export interface PebbleOptions {
  /** UDP port of the DNS server Pebble must use for DNS-01 lookups. */
  readonly dnsPort: number;
  /** Extra environment, e.g. PEBBLE_WFE_NONCEREJECT. Defaults keep bad-nonce injection on. */
  readonly env?: Record<string, string>;
  readonly externalAccountMacKeys?: Record<string, string>;
}

export interface RunningPebble {
  readonly directoryUrl: string;
  readonly managementUrl: string;
  /** CA for Pebble's own HTTPS listener: trust it for the ACME client. */
  readonly tlsCaPem: string;
  /** Root and intermediate of the CA that signs issued certificates. */
  rootPem(): Promise<string>;
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

/** Install Pebble with apt when we may (root, apt present); otherwise say what to do. */
export function ensurePebbleInstalled(log: (line: string) => void = console.log): void {
  if (existsSync(PEBBLE_BINARY)) return;
  try {
    installDebianPackages(['pebble'], log);
  } catch (error) {
    throw new PebbleMissing(`Pebble (Let's Encrypt's test CA) is not installed at ${PEBBLE_BINARY}: ${(error as Error).message}`);
  }
  if (!existsSync(PEBBLE_BINARY)) throw new PebbleMissing(`apt-get installed pebble but ${PEBBLE_BINARY} is still missing; set PEBBLE_BIN`);
}

function get(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.get(url, { ca, timeout: 2000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('timeout', () => request.destroy(new Error(`timeout on ${url}`)));
    request.on('error', reject);
  });
}

async function waitUntilServing(url: string, ca: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`pebble exited with code ${child.exitCode}:\n${output()}`);
    try {
      if ((await get(url, ca)).status === 200) return;
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
  ensurePebbleInstalled();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-pebble-'));
  const tls = await createLocalhostTls();
  await fs.writeFile(path.join(dir, 'cert.pem'), tls.certPem);
  await fs.writeFile(path.join(dir, 'key.pem'), tls.keyPem, { mode: 0o600 });
  const [acmePort, managementPort, httpPort, tlsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const config = {
    pebble: {
      listenAddress: `127.0.0.1:${acmePort}`,
      managementListenAddress: `127.0.0.1:${managementPort}`,
      certificate: path.join(dir, 'cert.pem'),
      privateKey: path.join(dir, 'key.pem'),
      httpPort,
      tlsPort,
      ocspResponderURL: '',
      externalAccountBindingRequired: Boolean(options.externalAccountMacKeys),
      ...(options.externalAccountMacKeys ? { externalAccountMACKeys: options.externalAccountMacKeys } : {}),
      certificateValidityPeriod: 7776000, // 90 days, like Let's Encrypt
    },
  };
  const configFile = path.join(dir, 'pebble-config.json');
  await fs.writeFile(configFile, JSON.stringify(config, null, 2));

  let log = '';
  const child = spawn(PEBBLE_BINARY, ['-config', configFile, '-dnsserver', `127.0.0.1:${options.dnsPort}`, '-strict'], {
    env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const append = (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const output = () => log;

  const directoryUrl = `https://localhost:${acmePort}/dir`;
  const managementUrl = `https://localhost:${managementPort}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await fs.rm(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilServing(directoryUrl, tls.caPem, child, output);
  } catch (error) {
    await stop();
    throw error;
  }
  const fetchPem = async (what: string) => {
    const response = await get(`${managementUrl}/${what}/0`, tls.caPem);
    if (response.status !== 200) throw new Error(`pebble management ${what}: HTTP ${response.status}`);
    return response.body;
  };
  return {
    directoryUrl,
    managementUrl,
    tlsCaPem: tls.caPem,
    rootPem: () => fetchPem('roots'),
    intermediatePem: () => fetchPem('intermediates'),
    stop,
    output,
  };
}
