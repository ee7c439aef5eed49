/**
 * Host agent latency: from the "Certificate Renewed" event being published to the first TLS
 * handshake that sees the new serial, through the whole path — event delivery (events.jsonl with
 * in-process wake-up), fetch + verify, durable install, live switch, SIGHUP, the Java server
 * re-reading its keystore. Real Pebble certificates, the reloading Java TLS fixture as the broker.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { runOnce, startAgent, type RunningAgent } from '../agent';
import { isStoreNoticeEnvelope, parseStoreNotice } from '../agent/store-notice';
import { FILE } from '../domain/keystores/formats';
import { startLocalPipeline, type LocalPipeline } from '../local/environment';
import { startHandshakeLoop, startReloadingTlsServer, type HandshakeLoop, type ReloadingTlsServer } from '../test/support/java-reload';
import { median, percentile } from './stats';

const ID = 'bench-agent';
const SERVER_NAME = 'agent.certflow.test';
const WARM_UP = 3;

export async function benchAgent(renewals = 20): Promise<{ renewals: number; medianMs: number; p90Ms: number }> {
  if (!Number.isInteger(renewals) || renewals < 1) throw new Error(`renewals must be a positive integer, got ${renewals}`);
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-bench-agent-'));
  const installDir = path.join(root, 'host');
  let pipeline: LocalPipeline | undefined;
  let server: ReloadingTlsServer | undefined;
  let agent: RunningAgent | undefined;
  let client: HandshakeLoop | undefined;
  try {
    pipeline = await startLocalPipeline({ root: path.join(root, 'store'), pebble: { env: { PEBBLE_AUTHZREUSE: '100' } } });
    const published = new Map<string, number>();
    pipeline.events.subscribe((event) => {
      const at = performance.now();
      if (isStoreNoticeEnvelope(event)) published.set(parseStoreNotice(event).version, at);
    });
    const renew = async () => {
      const result = await pipeline!.executor.run({ certificateId: ID, names: [SERVER_NAME] });
      if (result.status !== 'SUCCEEDED') throw new Error(`renewal failed: ${result.error}: ${result.cause}`);
      return (await pipeline!.store.current(ID))!;
    };

    await renew();
    const silent = () => {};
    const once = await runOnce({ certificateIds: [ID], installDir, source: { kind: 'local', storeDir: pipeline.store.root }, logSink: silent });
    if (once.exitCode !== 0) throw new Error(`initial install failed: ${once.reason}`);
    const live = path.join(installDir, 'live', ID);
    server = await startReloadingTlsServer({ keystorePath: path.join(live, FILE.jksKeystore), passwordFile: path.join(live, FILE.password) });
    agent = await startAgent({
      certificateIds: [ID],
      installDir,
      source: { kind: 'local', storeDir: pipeline.store.root, eventLog: pipeline.events },
      reload: { kind: 'signal', signal: 'SIGHUP', target: { pidfile: server.pidfile } },
      reconcileIntervalMs: 0,
      logSink: silent,
    });
    client = startHandshakeLoop({ port: server.port, caPem: await pipeline.pebble.rootPem(), servername: SERVER_NAME, pauseMs: 2, maxHandshakes: 200_000 });

    const samples: number[] = [];
    for (let i = -WARM_UP; i < renewals; i += 1) {
      const version = await renew();
      const publishedAt = published.get(version.version)!;
      const seen = await client.waitForSerial(version.metadata.serialNumber, publishedAt, 10_000);
      if (i >= 0) samples.push(seen.at - publishedAt);
    }
    const failed = client.records.filter((record) => record.error);
    if (failed.length > 0) throw new Error(`${failed.length} handshakes failed, e.g. ${failed[0]!.error}`);
    return { renewals, medianMs: median(samples), p90Ms: percentile(samples, 90) };
  } finally {
    await client?.stop();
    await agent?.stop();
    await server?.stop();
    await pipeline?.stop();
    await fs.rm(root, { recursive: true, force: true });
  }
}
