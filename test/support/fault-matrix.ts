/**
 * The fault matrix's machinery (test/e2e/fault-matrix.test.ts): a harness per path (the local
 * default, the AWS path on the emulator) that can say what the invariants need, the check of those
 * invariants after a cell, and the table printed at the end.
 *
 * Invariants, after every cell:
 * - current:  the previous certificate is still current (same version, same fingerprint), or the
 *             cell expects the new one, which is then complete (key matches the certificate, full
 *             chain = certificate + chain) and current (on AWS: the inventory tags say so too);
 * - txt:      no TXT record left in any zone;
 * - pending:  no pending key and no renewal lease left for the certificate;
 * - event:    exactly one outcome ("Certificate Renewed" or "Certificate Renewal Failed") published
 *             for each execution, matching its outcome (none for an aborted one: nothing of it runs
 *             after the abort) (a publishing step retried after it had
 *             published may repeat it: the same event, at least once, never two outcomes);
 * - next:     the next run, without faults, renews and publishes one "Certificate Renewed".
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { DescribeSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { CertificateBundleSchema } from '../../domain/contracts/bundle';
import { bundleFiles, type CertificateBundle } from '../../domain/core/bundle';
import { FILE } from '../../domain/keystores/formats';
import { DETAIL_TYPES } from '../../domain/ports';
import type { AwsPipeline } from '../../local/aws-environment';
import type { LocalPipeline } from '../../local/environment';
import type { ExecutionResult, LocalExecutor, RunOptions } from '../../local/runner';

export interface Outcome {
  readonly status: ExecutionResult['status'];
  readonly error?: string;
}

export const renewed: Outcome = { status: 'SUCCEEDED' };
export const failed = (error: string): Outcome => ({ status: 'FAILED', error });
/** Stopped where it stood, as StopExecution stops an execution on AWS: no Catch, no cleanup. */
export const aborted: Outcome = { status: 'ABORTED', error: 'ExecutionAborted' };
export const describeOutcome = (outcome: Outcome) => (outcome.status === 'SUCCEEDED' ? 'renewed' : outcome.status === 'ABORTED' ? 'aborted' : `failed: ${outcome.error}`);

/** One outcome event, as either path publishes it. */
interface OutcomeEvent {
  readonly type: string;
  readonly executionId: string;
  readonly certificateId: string;
  /** The version renewed, or the error the failure names. */
  readonly what: string;
}

interface CurrentVersion {
  readonly version: string;
  readonly fingerprint: string;
}

/** What the invariants ask of a path. */
export interface Harness {
  readonly path: 'local' | 'aws';
  readonly executor: LocalExecutor;
  current(certificateId: string): Promise<CurrentVersion | undefined>;
  /** Why the current version is not complete and current (empty: it is). */
  incomplete(certificateId: string, version: string): Promise<string[]>;
  txtLeft(): Promise<string[]>;
  /** Pending keys and the renewal lease left for the certificate. */
  pendingLeft(certificateId: string): Promise<string[]>;
  outcomeEvents(): Promise<OutcomeEvent[]>;
}

const fingerprintOf = (certificatePem: string) => new X509Certificate(certificatePem).fingerprint256;

/** A bundle is complete when its key belongs to its certificate and its full chain is certificate + chain. */
function bundleProblems(bundle: CertificateBundle | undefined, version: string): string[] {
  if (!bundle) return [`version ${version} cannot be read`];
  const files = bundleFiles(bundle);
  const { certificate: cert, chain, fullchain, privateKey } = FILE;
  const missing = [cert, chain, fullchain, privateKey].filter((name) => !files[name]);
  if (missing.length > 0) return missing.map((name) => `${name} missing`);
  const problems: string[] = [];
  const certificate = new X509Certificate(files[cert]!);
  if (!certificate.checkPrivateKey(createPrivateKey(files[privateKey]!))) problems.push(`${privateKey} does not match ${cert}`);
  if (files[fullchain]!.toString() !== `${files[cert]!.toString()}${files[chain]!.toString()}`) problems.push(`${fullchain} is not ${cert} + ${chain}`);
  if (bundle.version !== version) problems.push(`bundle says version ${bundle.version}`);
  return problems;
}

const asOutcomeEvent = (detailType: string, detail: Record<string, unknown>): OutcomeEvent => ({
  type: detailType,
  executionId: String(detail.executionId),
  certificateId: String(detail.certificateId),
  what: String(detailType === DETAIL_TYPES.renewed ? detail.version : detail.error),
});

/** The local default; `pipeline` is looked up each time (a cell may restart the CA). */
export function localHarness(pipeline: () => LocalPipeline): Harness {
  const root = () => pipeline().store.root;
  const entries = async (dir: string) => fs.readdir(dir).catch(() => [] as string[]);
  return {
    path: 'local',
    get executor() {
      return pipeline().executor;
    },
    async current(certificateId) {
      const bundle = await pipeline().store.readVersion(certificateId);
      return bundle && { version: bundle.version, fingerprint: fingerprintOf(bundleFiles(bundle)[FILE.certificate]!.toString()) };
    },
    async incomplete(certificateId, version) {
      return bundleProblems(await pipeline().store.readVersion(certificateId, version), version);
    },
    async txtLeft() {
      return pipeline().dnsServer.data.names();
    },
    async pendingLeft(certificateId) {
      const pending = (await entries(path.join(root(), 'pending', certificateId))).map((id) => `pending key ${id}`);
      const leases = (await entries(path.join(root(), 'leases'))).filter((name) => name.startsWith(`${certificateId}.`)).map((name) => `lease ${name}`);
      return [...pending, ...leases];
    },
    async outcomeEvents() {
      const types: string[] = [DETAIL_TYPES.renewed, DETAIL_TYPES.failed];
      return (await pipeline().events.read()).filter((event) => types.includes(event['detail-type'])).map((event) => asOutcomeEvent(event['detail-type'], event.detail));
    },
  };
}

/** The AWS path on the emulator: Route 53, Secrets Manager (read as the agent reads it), the observer queue. */
export function awsHarness(pipeline: AwsPipeline): Harness {
  const { route53, secrets, sqs } = pipeline.clients;
  const prefix = pipeline.resources.secretPrefix;
  const seen: OutcomeEvent[] = [];
  /** The AWSCURRENT bundle, as a host reads it. */
  const current = async (certificateId: string): Promise<CertificateBundle | undefined> => {
    try {
      const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: pipeline.store.certificateSecret(certificateId), VersionStage: 'AWSCURRENT' }));
      const parsed = CertificateBundleSchema.safeParse(JSON.parse(SecretString ?? ''));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined; // no secret, no version, not a bundle
    }
  };
  return {
    path: 'aws',
    executor: pipeline.executor,
    async current(certificateId) {
      const bundle = await current(certificateId);
      return bundle && { version: bundle.version, fingerprint: fingerprintOf(bundleFiles(bundle)[FILE.certificate]!.toString()) };
    },
    async incomplete(certificateId, version) {
      const problems = bundleProblems(await current(certificateId), version);
      const tagged = await pipeline.store.currentVersion(certificateId);
      return tagged === version ? problems : [...problems, `inventory tags say version ${tagged}`];
    },
    async txtLeft() {
      const left: string[] = [];
      for (const zone of pipeline.resources.zones) {
        const { ResourceRecordSets = [] } = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone.id }));
        for (const set of ResourceRecordSets) if (set.Type === 'TXT') left.push(`${set.Name} ${(set.ResourceRecords ?? []).map((record) => record.Value).join(' ')}`);
      }
      return left;
    },
    async pendingLeft(certificateId) {
      const left: string[] = [];
      try {
        const { VersionIdsToStages = {} } = await secrets.send(new DescribeSecretCommand({ SecretId: `${prefix}pending/${certificateId}` }));
        for (const [version, stages] of Object.entries(VersionIdsToStages)) if (stages.includes('AWSPENDING')) left.push(`pending key ${version}`);
      } catch (error) {
        if ((error as Error).name !== 'ResourceNotFoundException') throw error;
      }
      try {
        const { SecretString = '{}' } = await secrets.send(new GetSecretValueCommand({ SecretId: `${prefix}leases/${certificateId}` }));
        const { lease } = JSON.parse(SecretString) as { lease?: { holder: string } };
        if (lease) left.push(`lease held by ${lease.holder}`);
      } catch (error) {
        if ((error as Error).name !== 'ResourceNotFoundException') throw error;
      }
      return left;
    },
    async outcomeEvents() {
      // The emulator delivers on PutEvents: whatever was published is on the queue already.
      for (;;) {
        const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: pipeline.resources.observerQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
        if (Messages.length === 0) break;
        for (const message of Messages) {
          const envelope = JSON.parse(message.Body!) as { 'detail-type': string; detail: Record<string, unknown> };
          if (envelope['detail-type'] === DETAIL_TYPES.renewed || envelope['detail-type'] === DETAIL_TYPES.failed) seen.push(asOutcomeEvent(envelope['detail-type'], envelope.detail));
          await sqs.send(new DeleteMessageCommand({ QueueUrl: pipeline.resources.observerQueueUrl, ReceiptHandle: message.ReceiptHandle! }));
        }
      }
      return seen;
    },
  };
}

/** Step Functions' view of a Lambda that did its work and then timed out: the step runs again. */
export function crashAfter(...states: string[]): NonNullable<RunOptions['aroundStep']> {
  const crashed = new Set<string>();
  return async (state, invoke) => {
    const result = await invoke();
    if (states.includes(state) && !crashed.has(state)) {
      crashed.add(state);
      throw Object.assign(new Error('Task timed out after 30.00 seconds'), { name: 'Sandbox.Timedout' });
    }
    return result;
  };
}

export const retriedStates = (result: ExecutionResult) => result.history.filter((event) => event.type === 'StateRetried').map((event) => event.state!.name);

export interface InvariantResults {
  readonly current: string[];
  readonly txt: string[];
  readonly pending: string[];
  readonly event: string[];
  readonly next: string[];
}
export type InvariantName = keyof InvariantResults;
export const INVARIANTS: readonly InvariantName[] = ['current', 'txt', 'pending', 'event', 'next'];

export interface CheckOptions {
  readonly certificateId: string;
  readonly names: readonly string[];
  readonly before: CurrentVersion | undefined;
  readonly results: readonly ExecutionResult[];
  /** Which certificate must be current afterwards. */
  readonly current: 'previous' | 'new';
  /** The cell retries a publishing step after it published: its event may come twice (the same one). */
  readonly atLeastOnce?: boolean;
  /** The harness of the next run (default: the cell's; a cell that killed the CA restarts it first). */
  readonly nextHarness?: () => Promise<Harness>;
}

/** Each invariant's problems (none: it holds). */
export async function checkInvariants(harness: Harness, options: CheckOptions): Promise<InvariantResults> {
  const { certificateId, before, results } = options;
  const after = await harness.current(certificateId);
  const current: string[] = [];
  if (options.current === 'previous') {
    if (after?.version !== before?.version || after?.fingerprint !== before?.fingerprint) current.push(`current ${after?.version ?? 'none'}, was ${before?.version ?? 'none'}`);
  } else if (!after || after.version === before?.version) {
    current.push(`no new version current (current: ${after?.version ?? 'none'})`);
  } else {
    current.push(...(await harness.incomplete(certificateId, after.version)));
  }

  const txt = await harness.txtLeft();
  const pending = await harness.pendingLeft(certificateId);

  const events = await harness.outcomeEvents();
  const event: string[] = [];
  for (const result of results) {
    const mine = events.filter((candidate) => candidate.executionId === result.executionId);
    if (result.status === 'ABORTED') {
      if (mine.length > 0) event.push(`${result.executionId.split(':').pop()}: aborted, yet published ${mine.map((candidate) => candidate.type).join(', ')}`);
      continue;
    }
    const distinct = new Set(mine.map((candidate) => `${candidate.type}: ${candidate.what}`));
    const expected = result.status === 'SUCCEEDED' ? `${DETAIL_TYPES.renewed}: ${(result.output as { version?: string } | undefined)?.version}` : `${DETAIL_TYPES.failed}: ${result.error}`;
    if (distinct.size !== 1 || !distinct.has(expected)) event.push(`${result.executionId.split(':').pop()}: [${[...distinct].join(', ')}], expected ${expected}`);
    else if (mine.length > (options.atLeastOnce ? 2 : 1)) event.push(`${result.executionId.split(':').pop()}: ${mine.length} × ${expected}`);
  }

  const nextHarness = options.nextHarness ? await options.nextHarness() : harness;
  const next: string[] = [];
  const again = await nextHarness.executor.run({ certificateId, names: options.names });
  if (again.status !== 'SUCCEEDED') next.push(`next run: ${again.error}: ${again.cause?.slice(0, 200)}`);
  else {
    const renewedBy = (await nextHarness.outcomeEvents()).filter((candidate) => candidate.executionId === again.executionId);
    if (renewedBy.length !== 1 || renewedBy[0]!.type !== DETAIL_TYPES.renewed) next.push(`next run published ${renewedBy.map((candidate) => candidate.type).join(', ') || 'nothing'}`);
    next.push(...(await nextHarness.txtLeft()), ...(await nextHarness.pendingLeft(certificateId)));
  }
  return { current, txt, pending, event, next };
}

export interface MatrixRow {
  readonly cell: string;
  readonly path: Harness['path'];
  readonly expected: string;
  readonly observed: string;
  readonly invariants: InvariantResults | undefined;
  readonly ms: number;
}

/** The matrix as a fixed-width table: cell, path, expected, observed, one ✓/✗ column per invariant, duration. */
export function formatMatrix(rows: readonly MatrixRow[]): string {
  const header = ['#', 'cell', 'path', 'expected', 'observed', ...INVARIANTS, 'time'];
  const lines = rows.map((row, index) => [
    String(index + 1),
    row.cell,
    row.path,
    row.expected,
    row.observed,
    ...INVARIANTS.map((name) => (row.invariants ? (row.invariants[name].length === 0 ? '✓' : '✗') : '–')),
    `${(row.ms / 1000).toFixed(1)} s`,
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]!.length)));
  const format = (cells: string[]) => `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  const total = rows.reduce((sum, row) => sum + row.ms, 0);
  const failures = rows.flatMap((row) =>
    INVARIANTS.flatMap((name) => (row.invariants?.[name].length ? [`  ${row.cell} (${row.path}) ${name}: ${row.invariants[name].join('; ')}`] : [])),
  );
  return [
    format(header),
    format(widths.map((width) => '-'.repeat(width))),
    ...lines.map(format),
    `${rows.length} cells, ${(total / 1000).toFixed(1)} s in cells (each: the cell, then the invariants and the next run)`,
    ...failures,
  ].join('\n');
}
