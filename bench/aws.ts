/**
 * The AWS path against the AWS API emulator: time to certificate with the Route 53, Secrets
 * Manager and EventBridge adapters, and the AWS API calls one renewal makes, by operation —
 * what Route 53's ~5 requests/s per account and Secrets Manager's per-call price are spent on.
 * The emulator answers in-process on loopback, so the times are a floor, not AWS's latency.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as acme from 'acme-client';
import { EMULATOR_ENVIRONMENT, emulatorUnavailable, startAwsEmulator } from '../local/aws-emulator';
import { startAwsPipeline } from '../local/aws-environment';
import { median } from './stats';

export interface AwsFigures {
  readonly runs: number;
  readonly renewalMedianMs: number;
  /** Median calls per renewal, by `Service.Operation`. */
  readonly callsPerRenewal: Record<string, number>;
  readonly totalCallsPerRenewal: number;
  /** Median requests to the ACME CA per renewal, by method (HEAD: newNonce; POST: signed requests). */
  readonly caRequestsPerRenewal: Record<string, number>;
  readonly totalCaRequestsPerRenewal: number;
}

/** An emulator of its own, and the AWS path on it for one certificate (what the bench rows measure). */
export async function startBenchPipeline(name: string, certificateId: string) {
  const emulator = await startAwsEmulator();
  const root = await fs.mkdtemp(path.join(os.tmpdir(), `certflow-bench-${name}-`));
  const pipeline = await startAwsPipeline({
    clientConfig: {
      endpoint: emulator.endpoint,
      region: EMULATOR_ENVIRONMENT.AWS_REGION,
      credentials: { accessKeyId: EMULATOR_ENVIRONMENT.AWS_ACCESS_KEY_ID, secretAccessKey: EMULATOR_ENVIRONMENT.AWS_SECRET_ACCESS_KEY },
    },
    suffix: `${name}${process.pid}`,
    root,
    subscriberCertificateIds: [certificateId],
    pebble: { env: { PEBBLE_AUTHZREUSE: '0' } },
  });
  return { emulator, root, pipeline };
}

export async function benchAws(runs: number, progress: (line: string) => void): Promise<AwsFigures | { skipped: string }> {
  const unavailable = emulatorUnavailable();
  if (unavailable) return { skipped: unavailable };
  const { emulator, root, pipeline } = await startBenchPipeline('aws', 'bench-aws');
  let calls = new Map<string, number>();
  type Next = (args: unknown) => Promise<unknown>;
  type Countable = { middlewareStack: { add(middleware: (next: Next, context: { commandName?: string }) => Next, options: object): void } };
  for (const [service, client] of Object.entries(pipeline.clients) as [string, Countable][]) {
    client.middlewareStack.add(
      (next, context) => (args) => {
        const operation = `${service}.${String(context.commandName).replace(/Command$/, '')}`;
        calls.set(operation, (calls.get(operation) ?? 0) + 1);
        return next(args);
      },
      { step: 'initialize', name: 'certflowBenchCount' },
    );
  }
  // acme-client's one axios instance carries every request the steps send to the CA.
  let caRequests = new Map<string, number>();
  const caCounter = acme.axios.interceptors.request.use((config) => {
    const method = (config.method ?? 'get').toUpperCase();
    caRequests.set(method, (caRequests.get(method) ?? 0) + 1);
    return config;
  });
  try {
    const times: number[] = [];
    const perRun: Map<string, number>[] = [];
    const caPerRun: Map<string, number>[] = [];
    for (let i = -1; i < runs; i += 1) {
      calls = new Map();
      caRequests = new Map();
      const started = performance.now();
      const result = await pipeline.executor.run({ certificateId: 'bench-aws', names: ['aws.certflow.test', '*.aws.certflow.test'] });
      const ms = performance.now() - started;
      if (result.status !== 'SUCCEEDED') throw new Error(`AWS-mode renewal failed: ${result.error}: ${result.cause}`);
      if (i < 0) continue; // the first issuance creates secrets and registers the account
      times.push(ms);
      perRun.push(calls);
      caPerRun.push(caRequests);
      progress(`  AWS mode run ${i + 1}/${runs}: ${ms.toFixed(0)} ms, ${sum(calls)} AWS calls, ${sum(caRequests)} ACME requests`);
    }
    return {
      runs,
      renewalMedianMs: median(times),
      callsPerRenewal: medianByKey(perRun),
      totalCallsPerRenewal: median(perRun.map(sum)),
      caRequestsPerRenewal: medianByKey(caPerRun),
      totalCaRequestsPerRenewal: median(caPerRun.map(sum)),
    };
  } finally {
    acme.axios.interceptors.request.eject(caCounter);
    await pipeline.stop();
    await emulator.stop();
    await fs.rm(root, { recursive: true, force: true });
  }
}

const sum = (counts: Map<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0);

/** Each key's median over the runs (a run without the key counts 0). */
function medianByKey(runs: readonly Map<string, number>[]): Record<string, number> {
  const keys = [...new Set(runs.flatMap((run) => [...run.keys()]))].sort();
  return Object.fromEntries(keys.map((key) => [key, median(runs.map((run) => run.get(key) ?? 0))]));
}
