/**
 * "A group never restarts all its hosts at once" (issue #20 point 4, ADR 0014), on three real
 * ActiveMQ 5.17 brokers (Debian's, each as user activemq on a port and folder of its own), each
 * with a real agent (the CLI) whose reload is a restart, all three in one group sharing the local
 * store. One renewal; a client does TLS handshakes back to back on every broker. Asserted: with
 * --restart-turns, at every sample (every 10 ms from the renewal to the end) at least two
 * brokers accept TLS, and all three end up serving the new serial, reported served; the control
 * without it shows the same setup does take all three down at once (the check can fail). The
 * fewest brokers up, each restart's gap and the whole duration are printed.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FileRestartTurns } from '../../agent/adapters/local/file-restart-turns';
import { FileCertificateStore } from '../../domain/adapters/local/file-store';
import { DETAIL_TYPES, type CertificateInstalledEvent, type CertificateReloadFailedEvent } from '../../domain/contracts/events';
import { cli, ofType, renew, reports, startCli, until } from '../support/agent-cli';
import { freePort, startActivemq, startHandshakeLoop, waitServing, type Handshake, type RunningServer } from '../support/tls-servers';
import { NAMES, storeVersion } from '../unit/agent/fixtures';

const ID = 'broker';
const SNI = NAMES[0]!;
const GROUP = 'brokers';
const HOSTS = ['amq-1', 'amq-2', 'amq-3'];
const SAMPLE_MS = 10;

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error('test/e2e/restart-turns.test.ts runs ActiveMQ as user activemq: run it as root');
});

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

/**
 * Up at t: the broker's handshakes around t succeed. Down from the last success before a failed
 * handshake to the first success after it (a restart's whole gap, however the handshakes fell).
 */
function downSpans(records: readonly Handshake[]): [number, number][] {
  const spans: [number, number][] = [];
  let lastOk: number | undefined;
  let downFrom: number | undefined;
  for (const record of records) {
    if (record.error) downFrom ??= lastOk ?? -Infinity;
    else {
      if (downFrom !== undefined) spans.push([downFrom, record.at]);
      downFrom = undefined;
      lastOk = record.at;
    }
  }
  if (downFrom !== undefined) spans.push([downFrom, Infinity]);
  return spans;
}

/** The fewest brokers up at any sample between `from` and `to`. */
function fewestUp(loops: readonly Handshake[][], from: number, to: number): number {
  const spans = loops.map(downSpans);
  let fewest = loops.length;
  for (let t = from; t <= to; t += SAMPLE_MS) {
    const up = spans.filter((host) => !host.some(([start, end]) => t > start && t < end)).length;
    fewest = Math.min(fewest, up);
  }
  return fewest;
}

async function threeBrokers(turns: boolean) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-turns-'));
  await fs.chmod(dir, 0o755); // activemq reaches its files through here
  cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
  const storeDir = path.join(dir, 'store');
  const store = new FileCertificateStore(storeDir);
  const eventsFile = path.join(storeDir, 'events.jsonl');
  const v1 = await storeVersion(store, ID, { notBefore: new Date(Date.now() - 3_600_000) });
  const brokers: { host: string; server: RunningServer & { ctl: string }; agent: ReturnType<typeof startCli> }[] = [];
  for (const host of HOSTS) {
    const hostDir = path.join(dir, host);
    await fs.mkdir(hostDir, { mode: 0o755 });
    const port = await freePort();
    const common = ['--store', storeDir, '--certificate', ID, '--dir', path.join(hostDir, 'certs'), '--host', host, '--group', 'activemq', '--key-mode', '0640'];
    const firstBoot = await cli(['--once', ...common]);
    expect(firstBoot, firstBoot.stderr).toMatchObject({ code: 0 });
    const live = path.join(hostDir, 'certs', 'live', ID);
    const keystorePassword = (await fs.readFile(path.join(live, 'keystore.pass'), 'utf8')).trim();
    const server = await startActivemq({ dir: hostDir, port, fullchain: path.join(live, 'fullchain.pem'), privkey: path.join(live, 'privkey.pem'), keystore: path.join(live, 'keystore.jks'), keystorePassword });
    cleanups.push(() => server.stop());
    await waitServing(server, SNI, 60_000);
    const agent = startCli([
      ...common, '--reload-command', `${server.ctl} restart`, '--reload-timeout', '60', '--verify-tls', `127.0.0.1:${port}`, '--verify-sni', SNI, '--verify-timeout', '20',
      '--reconcile-minutes', '0', ...(turns ? ['--restart-turns', GROUP] : []),
    ]);
    cleanups.push(() => agent.stop());
    brokers.push({ host, server, agent });
  }
  for (const { agent } of brokers) await until('the agent running', () => agent.lines.find((line) => line.message === 'agent running'));
  return { store, storeDir, eventsFile, v1, brokers };
}

async function renewAll(turns: boolean) {
  const { store, storeDir, eventsFile, v1, brokers } = await threeBrokers(turns);
  const loops = brokers.map(({ server }) => startHandshakeLoop(server.port, SNI));
  for (const loop of loops) cleanups.push(() => loop.stop());
  await sleep(500);
  const renewal = await renew(store, eventsFile, ID);
  const v2 = renewal.stored.metadata.serialNumber;
  const installed = await until(
    'Certificate Installed on all three',
    async () => {
      const events = await reports(eventsFile);
      const failures = ofType<CertificateReloadFailedEvent>(events, DETAIL_TYPES.reloadFailed);
      if (failures.length > 0) throw new Error(`a reload failed: ${JSON.stringify(failures)}`);
      const done = ofType<CertificateInstalledEvent>(events, DETAIL_TYPES.installed).filter((event) => event.serialNumber === v2);
      return done.length === HOSTS.length ? done : undefined;
    },
    150_000,
  );
  await sleep(500);
  const records = await Promise.all(loops.map((loop) => loop.stop()));
  const end = Math.min(...records.map((host) => host.at(-1)!.at));
  const gaps = records.map((host) => {
    const lastOld = host.findLast((record) => record.serialNumber === v1.metadata.serialNumber)!;
    const firstNew = host.find((record) => record.serialNumber === v2)!;
    return { from: lastOld.at, to: firstNew.at };
  });
  const fewest = fewestUp(records, renewal.at, end);
  return { v2, installed, records, gaps, fewest, renewalAt: renewal.at, storeDir, brokers };
}

const seconds = (ms: number) => (ms / 1000).toFixed(2);

describe('three ActiveMQ brokers of one group, each restarted by its agent for a renewal', () => {
  it('with --restart-turns: at every sample at least two accept TLS; all three serve the new serial, reported served', async () => {
    const { v2, installed, records, gaps, fewest, renewalAt, storeDir, brokers } = await renewAll(true);
    const byStart = [...gaps].sort((a, b) => a.from - b.from);
    const served = Math.max(...gaps.map((gap) => gap.to));
    console.info(
      `restart turns: fewest brokers accepting TLS at any ${SAMPLE_MS} ms sample ${fewest} of 3; restart gaps ${byStart.map((gap) => `${seconds(gap.to - gap.from)} s`).join(', ')}; ` +
        `between restarts ${byStart.slice(1).map((gap, index) => `${seconds(gap.from - byStart[index]!.to)} s`).join(', ')}; ` +
        `renewal → all three serving the new serial ${seconds(served - renewalAt)} s; handshakes ${records.map((host) => host.length).join('/')}`,
    );
    expect(fewest).toBeGreaterThanOrEqual(2);
    // The restarts did not overlap: each began after the one before it served again.
    for (let index = 1; index < byStart.length; index += 1) expect(byStart[index]!.from).toBeGreaterThanOrEqual(byStart[index - 1]!.to);
    for (const host of records) expect(host.at(-1)).toMatchObject({ serialNumber: v2 });
    expect(installed.map((event) => event.host).sort()).toEqual(HOSTS);
    for (const event of installed) expect(event).toMatchObject({ reloaded: true, served: true, endpoints: [{ serialNumber: v2 }] });
    // Each agent took the turn; at least one waited for it; it was given back at the end.
    for (const { agent } of brokers) expect(agent.lines.filter((line) => line.message === 'restart turn taken')).toHaveLength(1);
    expect(brokers.flatMap(({ agent }) => agent.lines.filter((line) => line.message === "waiting for the group's restart turn")).length).toBeGreaterThanOrEqual(1);
    expect(await new FileRestartTurns(storeDir, GROUP).held()).toBeUndefined();
  });

  it('control, without --restart-turns: the same three restart together and TLS is gone from all of them at once', async () => {
    const { v2, records, gaps, fewest } = await renewAll(false);
    console.info(`without turns: fewest brokers accepting TLS ${fewest} of 3; restart gaps ${gaps.map((gap) => `${seconds(gap.to - gap.from)} s`).join(', ')}`);
    expect(fewest).toBeLessThan(2);
    for (const host of records) expect(host.at(-1)).toMatchObject({ serialNumber: v2 });
  });
});
