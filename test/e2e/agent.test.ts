/**
 * Done means, for the host agent: a real pipeline issues and renews; the agent installs each
 * version and a Java TLS server that reloads on SIGHUP serves it within seconds, with no failed
 * handshake; a failing reload is rolled back (old certificate served again, reported, event left
 * for retry); a kill mid-install is repaired at the next start.
 */
import { execFile } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventFileSource, EventFileReporter, runOnce, startAgent, StoreCertificateSource, type EventSource, type ReceivedEvent, type RunningAgent } from '../../agent';
import type { CertificateRenewedEvent } from '../../domain/ports';
import { sameSerial, startHandshakeLoop, startReloadingTlsServer, type ReloadingTlsServer } from '../support/java-reload';
import { startTestPipeline, type TestPipeline } from '../support/local-pipeline';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const ID = 'agent-e2e';
const SERVER_NAME = 'mq.certflow.test';
const NAMES = [SERVER_NAME, `*.${SERVER_NAME}`];

let pipeline: TestPipeline;
let installDir: string;
let rootPem: string;
let server: ReloadingTlsServer | undefined;
let agent: RunningAgent | undefined;
const logs: string[] = [];
/** performance.now() when each store version's "Certificate Renewed" event was published. */
const publishedAt = new Map<string, number>();

beforeAll(async () => {
  pipeline = await startTestPipeline({ pebble: { env: { PEBBLE_AUTHZREUSE: '100' } } });
  installDir = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-agent-e2e-'));
  rootPem = await pipeline.pebble.rootPem();
  pipeline.events.subscribe((event) => {
    if (event['detail-type'] === 'Certificate Renewed') publishedAt.set((event.detail as CertificateRenewedEvent).version, performance.now());
  });
});
afterAll(async () => {
  await agent?.stop();
  await server?.stop();
  await pipeline?.dispose();
  await fs.rm(installDir, { recursive: true, force: true });
});

const live = (file: string) => path.join(installDir, 'live', ID, file);
const logSink = (line: string) => logs.push(line);

async function renew() {
  const result = await pipeline.executor.run({ certificateId: ID, names: NAMES });
  expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
  return (await pipeline.store.current(ID))!;
}

/** Serials in the order the client saw them, consecutive repeats collapsed. */
function servedSequence(records: { serialNumber?: string }[]): string[] {
  const sequence: string[] = [];
  for (const { serialNumber } of records) if (serialNumber && !(sequence.length > 0 && sameSerial(sequence.at(-1)!, serialNumber))) sequence.push(serialNumber);
  return sequence;
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function spied(source: EventSource) {
  const acked: string[] = [];
  const released: string[] = [];
  const events: EventSource = {
    receive: (signal) => source.receive(signal),
    ack: async (event: ReceivedEvent) => {
      acked.push(event.id);
      await source.ack(event);
    },
    release: async (event: ReceivedEvent) => {
      released.push(event.id);
      await source.release(event);
    },
  };
  return { events, acked, released };
}

describe('the agent on a broker host', () => {
  it('installs at start, then follows 3 renewals: each new serial served within seconds, zero failed handshakes', async () => {
    const first = await renew();
    // Init-container step: install before the service starts (no reload action).
    const once = await runOnce({ certificateIds: [ID], installDir, source: { kind: 'local', storeDir: pipeline.root }, logSink });
    expect(once).toMatchObject({ exitCode: 0, outcomes: { [ID]: { status: 'installed', n: 1 } } });

    server = await startReloadingTlsServer({ keystorePath: live('keystore.jks'), passwordFile: live('keystore.pass') });
    agent = await startAgent({
      certificateIds: [ID],
      installDir,
      source: { kind: 'local', storeDir: pipeline.root, eventLog: pipeline.events, pollMs: 50 },
      reload: { kind: 'signal', signal: 'SIGHUP', target: { pidfile: server.pidfile } },
      reconcileIntervalMs: 0,
      logSink,
    });
    expect(agent.startup[ID]).toMatchObject({ status: 'current', n: 1 });

    const client = startHandshakeLoop({ port: server.port, caPem: rootPem, servername: SERVER_NAME, pauseMs: 20, maxHandshakes: 2000 });
    try {
      await client.waitForSerial(first.metadata.serialNumber, 0);
      const versions = [first];
      const latencies: number[] = [];
      for (let renewal = 0; renewal < 3; renewal += 1) {
        const next = await renew();
        versions.push(next);
        const seen = await client.waitForSerial(next.metadata.serialNumber, publishedAt.get(next.version)!, 5_000);
        latencies.push(seen.at - publishedAt.get(next.version)!);
      }
      await sleep(100);
      await client.stop();

      expect(client.records.filter((record) => record.error)).toEqual([]);
      expect(client.records.length).toBeGreaterThan(10);
      const serials = versions.map((version) => version.metadata.serialNumber);
      expect(servedSequence(client.records).map((serial) => BigInt(`0x${serial}`))).toEqual(serials.map((serial) => BigInt(`0x${serial}`)));
      expect(server.served().map((serial) => BigInt(`0x${serial}`))).toEqual(serials.map((serial) => BigInt(`0x${serial}`)));
      for (const latency of latencies) expect(latency).toBeLessThan(5_000);
      expect(await fs.readlink(path.join(installDir, 'live', ID))).toBe(path.join('..', 'archive', ID, '4'));
    } finally {
      await client.stop();
    }
  });

  it('rolls back a failing reload: the old certificate is served again, "Certificate Reload Failed" is reported, the event waits for a retry', async () => {
    await agent?.stop();
    const previous = (await pipeline.store.current(ID))!;
    const rejectDir = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-reject-'));
    const failing = String(Number(previous.version) + 1);
    await fs.writeFile(path.join(rejectDir, failing), '');
    // A reload with a health check: signal the server, then fail for a version the "broker" rejects.
    const command = `kill -HUP "$(cat '${server!.pidfile}')" && sleep 0.3 && test ! -e "${rejectDir}/$CERTFLOW_VERSION"`;
    const { events, acked, released } = spied(new EventFileSource({ file: pipeline.events.file, wake: pipeline.events, pollMs: 50, retryDelayMs: 1_000 }));
    agent = await startAgent({
      certificateIds: [ID],
      installDir,
      source: { kind: 'ports', certificates: new StoreCertificateSource(pipeline.store), events },
      reload: { kind: 'command', command, timeoutMs: 10_000 },
      reporter: new EventFileReporter(pipeline.events.file),
      reconcileIntervalMs: 0,
      logSink,
    });
    const client = startHandshakeLoop({ port: server!.port, caPem: rootPem, servername: SERVER_NAME, pauseMs: 20, maxHandshakes: 2000 });
    try {
      const rejected = await renew();
      expect(rejected.version).toBe(failing);
      await until('the event to be released', () => (released.length > 0 ? true : undefined));
      const releasedAt = performance.now();

      expect(acked).toEqual([]);
      const reports = (await pipeline.events.read()).filter((event) => event['detail-type'] === 'Certificate Reload Failed');
      expect(reports.map((event) => event.detail)).toEqual([
        {
          certificateId: ID,
          host: os.hostname(),
          stage: 'reload',
          version: failing,
          serialNumber: rejected.metadata.serialNumber,
          error: 'reload command exited with code 1',
          rolledBackTo: previous.version,
          rollbackReloaded: true,
        },
      ]);
      expect(await fs.readlink(path.join(installDir, 'live', ID))).toBe(path.join('..', 'archive', ID, '4'));
      // The server really took the new keystore, then the old one again, and keeps serving that.
      const serials = [previous, rejected, previous].map((version) => BigInt(`0x${version.metadata.serialNumber}`));
      const loaded = await until('the server to load the old keystore again', () => {
        const tail = server!.served().slice(-3).map((serial) => BigInt(`0x${serial}`));
        return tail.length === 3 && tail[2] === serials[2] ? tail : undefined;
      });
      expect(loaded).toEqual(serials);
      const back = await client.waitForSerial(previous.metadata.serialNumber, releasedAt, 5_000);
      const after = await until('five handshakes after the rollback', () => {
        const records = client.records.filter((record) => record.at >= back.at);
        return records.length >= 5 ? records : undefined;
      });
      expect(after.every((record) => record.serialNumber && sameSerial(record.serialNumber, previous.metadata.serialNumber))).toBe(true);

      // The broker accepts it now: the redelivery installs it (reusing the written version) and is acknowledged.
      await fs.rm(path.join(rejectDir, failing));
      await client.waitForSerial(rejected.metadata.serialNumber, performance.now(), 10_000);
      await until('the redelivery to be acknowledged', () => (acked.length > 0 ? true : undefined));
      expect(await fs.readlink(path.join(installDir, 'live', ID))).toBe(path.join('..', 'archive', ID, '5'));
      await client.stop();
      expect(client.records.filter((record) => record.error)).toEqual([]);
    } finally {
      await client.stop();
      await fs.rm(rejectDir, { recursive: true, force: true });
    }
  });

  it('repairs a kill mid-install at the next start and installs a consistent key and certificate', async () => {
    await agent?.stop();
    agent = undefined;
    const renewed = await renew();
    const child = await new Promise<{ signal: string | null }>((resolve) => {
      const process_ = execFile(process.execPath, ['--import', 'tsx', 'test/support/agent-crash.ts', installDir, pipeline.root, ID, '4'], { cwd: REPO });
      process_.once('exit', (_code, signal) => resolve({ signal }));
    });
    expect(child.signal).toBe('SIGKILL');
    const archive = path.join(installDir, 'archive', ID);
    const staging = (await fs.readdir(archive)).filter((entry) => entry.startsWith('.staging-'));
    expect(staging).toHaveLength(1);
    expect((await fs.readdir(path.join(archive, staging[0]!))).length).toBeGreaterThanOrEqual(4);
    expect(await fs.readlink(path.join(installDir, 'live', ID))).toBe(path.join('..', 'archive', ID, '5'));

    agent = await startAgent({
      certificateIds: [ID],
      installDir,
      source: { kind: 'local', storeDir: pipeline.root },
      reload: { kind: 'signal', signal: 'SIGHUP', target: { pidfile: server!.pidfile } },
      reconcileIntervalMs: 0,
      logSink,
    });

    expect(agent.startup[ID]).toEqual({ status: 'installed', n: 6, version: renewed.version });
    expect((await fs.readdir(archive)).filter((entry) => entry.startsWith('.staging-'))).toEqual([]);
    const leaf = new X509Certificate(await fs.readFile(live('cert.pem')));
    expect(leaf.checkPrivateKey(createPrivateKey(await fs.readFile(live('privkey.pem'))))).toBe(true);
    expect(leaf.serialNumber.toLowerCase()).toBe(renewed.metadata.serialNumber);
    const client = startHandshakeLoop({ port: server!.port, caPem: rootPem, servername: SERVER_NAME, pauseMs: 20, maxHandshakes: 500 });
    try {
      await client.waitForSerial(renewed.metadata.serialNumber, 0, 5_000);
    } finally {
      await client.stop();
    }
    const repaired = logs.map((line) => JSON.parse(line) as { message: string; removed?: string[] }).find((line) => line.message === 'repaired install directory');
    expect(repaired?.removed).toEqual([path.join(archive, staging[0]!)]);
  });
});
