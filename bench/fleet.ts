/**
 * Fan-out on the AWS API emulator (issue #10): from the moment PublishRenewed's PutEvents returns
 * to the moment all three hosts serve the new certificate over TLS (each agent on its own queue
 * on the group topic, long-polling). p50 and p90 over the renewals. Loopback and an in-process
 * emulator: the figure is the agents' share, a floor for AWS's delivery latency.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { emulatorUnavailable } from '../local/aws-emulator';
import { startServingHost, type ServingHost } from '../local/serving-host';
import { startBenchPipeline } from './aws';
import { median, percentile } from './stats';

export interface FleetFigures {
  readonly hosts: number;
  readonly renewals: number;
  /** Event published → every host serves the new certificate. */
  readonly allServedP50Ms: number;
  readonly allServedP90Ms: number;
  /** Event published → one host serves it (each host, each renewal). */
  readonly perHostMedianMs: number;
}

const CERTIFICATE = 'bench-fleet';
const HOSTS = 3;

export async function benchFleet(renewals: number, progress: (line: string) => void): Promise<FleetFigures | { skipped: string }> {
  const unavailable = emulatorUnavailable();
  if (unavailable) return { skipped: unavailable };
  const { emulator, root, pipeline } = await startBenchPipeline('fleet', CERTIFICATE);
  const hosts: ServingHost[] = [];
  // When "Certificate Renewed" is on the bus: the end of the pipeline's PutEvents call.
  let publishedAt = 0;
  type Next = (args: { input?: { Entries?: { DetailType?: string }[] } }) => Promise<unknown>;
  (pipeline.clients.eventBridge.middlewareStack as unknown as { add(m: (next: Next) => Next, o: object): void }).add(
    (next) => async (args) => {
      const result = await next(args);
      if (args.input?.Entries?.some((entry) => entry.DetailType === 'Certificate Renewed')) publishedAt = performance.now();
      return result;
    },
    { step: 'initialize', name: 'certflowBenchPublishedAt' },
  );
  const issue = async () => {
    const result = await pipeline.executor.run({ certificateId: CERTIFICATE, names: ['fleet.certflow.test'] });
    if (result.status !== 'SUCCEEDED') throw new Error(`renewal failed: ${result.error}: ${result.cause}`);
    return BigInt(`0x${(await pipeline.store.current(CERTIFICATE))!.metadata.serialNumber}`);
  };
  try {
    await issue();
    const { group } = pipeline.resources;
    for (let i = 1; i <= HOSTS; i += 1) {
      hosts.push(
        await startServingHost({
          name: `bench-${i}`,
          installDir: path.join(root, `host-${i}`),
          certificateId: CERTIFICATE,
          source: { kind: 'aws', ...group, secretPrefix: pipeline.resources.secretPrefix, sqsClient: pipeline.clients.sqs, snsClient: pipeline.clients.sns, secretsManagerClient: pipeline.clients.secrets },
        }),
      );
    }
    const allServed: number[] = [];
    const perHost: number[] = [];
    for (let run = 0; run < renewals; run += 1) {
      const serial = await issue();
      const servedAt = new Map<string, number>();
      const deadline = performance.now() + 60_000;
      while (servedAt.size < hosts.length) {
        for (const host of hosts) {
          if (servedAt.has(host.name)) continue;
          const presented = await host.served();
          if (presented !== undefined && BigInt(`0x${presented}`) === serial) servedAt.set(host.name, performance.now());
        }
        if (performance.now() > deadline) throw new Error(`not every host served the renewal within 60 s (${servedAt.size}/${hosts.length})`);
        await sleep(5);
      }
      const times = [...servedAt.values()].map((at) => at - publishedAt);
      perHost.push(...times);
      allServed.push(Math.max(...times));
      progress(`  fleet renewal ${run + 1}/${renewals}: all ${hosts.length} hosts serve it ${Math.max(...times).toFixed(0)} ms after the event`);
    }
    return { hosts: HOSTS, renewals, allServedP50Ms: median(allServed), allServedP90Ms: percentile(allServed, 90), perHostMedianMs: median(perHost) };
  } finally {
    for (const host of hosts) await host.stop();
    await pipeline.stop();
    await emulator.stop();
    await fs.rm(root, { recursive: true, force: true });
  }
}
