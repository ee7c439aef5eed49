/**
 * The reloading Java TLS server (ReloadingTlsServer.java: SIGHUP re-reads the keystore) and a
 * bounded Node client loop that watches which certificate it serves.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startJavaServer, tlsHandshake, type JavaServer } from './java-tls';

export interface ReloadingTlsServer extends JavaServer {
  /** Holds the JVM's pid, for `--reload-signal HUP --pidfile`. */
  readonly pidfile: string;
  /** Serials the server loaded, in order (first load included), as lowercase hex without leading zeros. */
  served(): string[];
}

/** Serial numbers compared as numbers: node:tls, X509Certificate and Java print them differently. */
export function sameSerial(a: string, b: string): boolean {
  return BigInt(`0x${a}`) === BigInt(`0x${b}`);
}

export async function startReloadingTlsServer(opts: { keystorePath: string; passwordFile: string; storeType?: 'JKS' | 'PKCS12' }): Promise<ReloadingTlsServer> {
  const server = await startJavaServer('ReloadingTlsServer', [opts.keystorePath, opts.storeType ?? 'JKS', opts.passwordFile]);
  const dir = await mkdtemp(join(tmpdir(), 'certflow-reload-'));
  const pidfile = join(dir, 'server.pid');
  await writeFile(pidfile, `${server.pid}\n`);
  return {
    ...server,
    pidfile,
    served: () => [...server.stdout().matchAll(/^serving ([0-9a-f]+)$/gm)].map((match) => match[1]!),
    async stop() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

interface HandshakeRecord {
  /** performance.now() when the handshake completed (or failed). */
  readonly at: number;
  readonly serialNumber?: string;
  readonly error?: string;
}

export interface HandshakeLoop {
  readonly records: HandshakeRecord[];
  /** Resolves with the first record at or after `since` serving `serial`; rejects after `timeoutMs`. */
  waitForSerial(serial: string, since: number, timeoutMs?: number): Promise<HandshakeRecord>;
  stop(): Promise<void>;
}

/** Handshakes one after another, `pauseMs` apart, until stopped or `maxHandshakes` (a bound for tests). */
export function startHandshakeLoop(opts: { port: number; caPem: string; servername: string; pauseMs: number; maxHandshakes?: number }): HandshakeLoop {
  const records: HandshakeRecord[] = [];
  let stopped = false;
  const maxHandshakes = opts.maxHandshakes ?? 10_000;
  const running = (async () => {
    while (!stopped && records.length < maxHandshakes) {
      try {
        const { serialNumber } = await tlsHandshake(opts.port, opts.caPem, opts.servername);
        records.push({ at: performance.now(), serialNumber });
      } catch (error) {
        records.push({ at: performance.now(), error: (error as Error).message });
      }
      if (opts.pauseMs > 0) await sleep(opts.pauseMs);
    }
  })();
  return {
    records,
    async waitForSerial(serial, since, timeoutMs = 10_000) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const hit = records.find((record) => record.at >= since && record.serialNumber !== undefined && sameSerial(record.serialNumber, serial));
        if (hit) return hit;
        if (performance.now() > deadline || stopped || records.length >= maxHandshakes) {
          const last = records.at(-1);
          throw new Error(`serial ${serial} not served within ${timeoutMs} ms (${records.length} handshakes, last ${JSON.stringify(last)} at ${performance.now() - (last?.at ?? 0)} ms ago)`);
        }
        await sleep(2);
      }
    },
    async stop() {
      stopped = true;
      await running;
    },
  };
}
