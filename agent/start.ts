/**
 * Programmatic entry points: `startAgent` (the long-running subscriber) and `runOnce` (init
 * containers, cron). Both build the adapters from options; bin/agent.ts maps flags onto these.
 */
import * as fs from 'node:fs/promises';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { LocalEventLog } from '../domain/adapters/local/event-log';
import { FileCertificateStore } from '../domain/adapters/local/file-store';
import { splitPemChain } from '../domain/core/certificate';
import type { Logger } from '../domain/ports';
import { jsonLogger } from '../domain/logging/logger';
import { HealingQueueSource } from './adapters/aws/healing-queue-source';
import { HostQueue } from './adapters/aws/host-queue';
import { restartTurnSecretName, SecretsManagerRestartTurns } from './adapters/aws/secrets-manager-restart-turns';
import { DEFAULT_SECRET_PREFIX, SecretsManagerCertificateSource } from './adapters/aws/secrets-manager-source';
import { SqsEventSource } from './adapters/aws/sqs-event-source';
import { EventFileSource } from './adapters/local/event-file-source';
import { StoreCertificateSource } from './adapters/local/store-source';
import { FileRestartTurns } from './adapters/local/file-restart-turns';
import { restartTurns, turnBoundMs, type TurnTaker } from './fleet/restart-turns';
import { groupOfQueuePrefix } from './fleet/host-queue-plan';
import { CertificateAgent, type SyncOutcome } from './certificate-agent';
import { AgentConfigError } from './errors';
import { runEventLoop, runPeriodically, runReconcileLoop } from './event-loop';
import { InstallDir, type InstallDirOptions } from './install/install-dir';
import type { CertificateSource, EventSource, HostReporter, ReloadAction, RestartTurnStore, ServedVerifier, TlsProbe } from './ports';
import { commandReload } from './reload/command';
import { signalReload } from './reload/signal';
import { servedVerifier } from './serve/served-check';
import { parseEndpoint, probeTls } from './serve/tls-probe';
import { DEFAULT_KEY_MODE, resolveOwnership } from './install/ownership';
import { EventBridgeReporter, EventFileReporter } from './reporters';
import { checkAgentSettings, type AgentSettings, type AwsSourceSettings, type CommandReloadSettings, type LocalSourceSettings, type SignalReloadSettings } from './settings';

export type AgentSourceOptions =
  | (LocalSourceSettings & {
      /** In the pipeline's process: its event log, so a publish is picked up at once. */
      readonly eventLog?: Pick<LocalEventLog, 'subscribe'>;
    })
  | (AwsSourceSettings & {
      readonly sqsClient?: Pick<SQSClient, 'send'>;
      readonly snsClient?: Pick<SNSClient, 'send'>;
      readonly secretsManagerClient?: Pick<SecretsManagerClient, 'send'>;
      readonly eventBridgeClient?: Pick<EventBridgeClient, 'send'>;
    })
  | { readonly kind: 'ports'; readonly certificates: CertificateSource; readonly events?: EventSource };

export type ReloadOptions = CommandReloadSettings | SignalReloadSettings | { readonly kind: 'action'; readonly action: ReloadAction };

/** The settings (agent/settings.ts, checked at start) plus what a program injects. */
export interface StartAgentOptions extends Omit<AgentSettings, 'source' | 'reload'> {
  readonly source: AgentSourceOptions;
  readonly reload?: ReloadOptions;
  /** "Certificate Installed" / "Certificate Reload Failed" besides the log. Default: events.jsonl locally, the bus on AWS when named. */
  readonly reporter?: HostReporter;
  /** Receives each JSON log line. Default stdout. */
  readonly logSink?: (line: string) => void;
  readonly now?: () => Date;
  /** Test seam (fault injection while writing a version). */
  readonly installHooks?: InstallDirOptions;
  /** With `source.kind` 'ports' and restartTurns: where the group's turn is kept. */
  readonly restartTurnStore?: RestartTurnStore;
  /** Test seam: the TLS handshake behind verifyTls (default a real one). */
  readonly tlsProbe?: TlsProbe;
}

export interface RunningAgent {
  readonly agent: CertificateAgent;
  /** What start-up did per certificate (repair, catch-up). */
  readonly startup: Readonly<Record<string, SyncOutcome>>;
  /** Settles when the agent stopped. */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

export interface OnceResult {
  /** 0: every certificate installed or already current; 1: at least one was not (see reason). */
  readonly exitCode: 0 | 1;
  readonly outcomes: Readonly<Record<string, SyncOutcome>>;
  readonly reason?: string;
}

const DEFAULT_RELOAD_TIMEOUT_MS = 120_000;
/** How long a reloaded service may take to present the new certificate (--verify-timeout). Measured (docs/agent.md): 0.04–1.5 s after a reload, 6–7 s for an ActiveMQ restart. */
const DEFAULT_VERIFY_TIMEOUT_MS = 30_000;
const DEFAULT_RECONCILE_MS = 60 * 60_000;

function reloadAction(options: ReloadOptions | undefined): ReloadAction | undefined {
  switch (options?.kind) {
    case undefined:
      return undefined;
    case 'command':
      return commandReload({ command: options.command, timeoutMs: options.timeoutMs ?? DEFAULT_RELOAD_TIMEOUT_MS });
    case 'signal':
      return signalReload(options);
    case 'action':
      return options.action;
  }
}

interface Wiring {
  readonly certificates: CertificateSource;
  readonly events?: EventSource & { close?(): void };
  readonly reporter?: HostReporter;
  /** Fan-out on AWS: this host's own queue on the group's topic, made before events are listened to. */
  readonly hostQueue?: HostQueue;
}

const DEFAULT_STALE_HOST_MS = 3 * 24 * 3600_000;
/** How often a host says it is alive. */
const HEARTBEAT_MS = 60 * 60_000;
/** How often it sweeps peers gone for good: every host lists every peer, so not hourly (ADR 0007: cost grows with hosts²). */
const SWEEP_MS = 24 * 60 * 60_000;
const DEFAULT_VISIBILITY_SECONDS = 600;
const DEFAULT_MAX_RECEIVES = 5;

function hostQueueFor(source: Extract<AgentSourceOptions, { kind: 'aws' }>, host: string, log: Logger, now: () => Date): HostQueue | undefined {
  const { topicArn, deadLetterQueueArn, queuePrefix, region } = source;
  if (!topicArn || !deadLetterQueueArn || !queuePrefix) return undefined;
  return new HostQueue(
    source.sqsClient ?? new SQSClient({ region }),
    source.snsClient ?? new SNSClient({ region }),
    {
      topicArn,
      deadLetterQueueArn,
      queuePrefix,
      hostId: host,
      staleAfterMs: source.staleHostAfterMs ?? DEFAULT_STALE_HOST_MS,
      visibilityTimeoutSeconds: DEFAULT_VISIBILITY_SECONDS,
      maxReceiveCount: DEFAULT_MAX_RECEIVES,
      now,
    },
    log,
  );
}

function wire(source: AgentSourceOptions, log: Logger, withEvents: boolean, host: string, now: () => Date): Wiring {
  switch (source.kind) {
    case 'local': {
      const eventsFile = source.eventsFile ?? path.join(source.storeDir, 'events.jsonl');
      const { pollMs, retryDelayMs, maxReceives, eventLog } = source;
      return {
        certificates: new StoreCertificateSource(new FileCertificateStore(source.storeDir)),
        events: withEvents ? new EventFileSource({ file: eventsFile, pollMs, retryDelayMs, maxReceives, wake: eventLog, log }) : undefined,
        reporter: new EventFileReporter(eventsFile),
      };
    }
    case 'aws': {
      const region = source.region;
      const hostQueue = withEvents ? hostQueueFor(source, host, log, now) : undefined;
      let events: SqsEventSource | undefined;
      // checkAgentSettings made sure of a topic or a queue when events are listened to; the host queue's URL is known once joined.
      if (withEvents && !hostQueue) events = new SqsEventSource(source.sqsClient ?? new SQSClient({ region }), source.queueUrl!);
      const secrets = source.secretsManagerClient ?? new SecretsManagerClient({ region });
      const reporter = source.eventBusName
        ? new EventBridgeReporter(source.eventBridgeClient ?? new EventBridgeClient({ region }), source.eventBusName)
        : undefined;
      return {
        certificates: new SecretsManagerCertificateSource(secrets, { secretPrefix: source.secretPrefix, secretIds: source.secretIds }),
        events,
        ...(hostQueue ? { hostQueue } : {}),
        ...(reporter ? { reporter } : {}),
      };
    }
    case 'ports':
      return { certificates: source.certificates, events: withEvents ? source.events : undefined };
  }
}

async function prepare(options: StartAgentOptions, withEvents: boolean) {
  checkAgentSettings(options, { listening: withEvents });
  const log = jsonLogger(options.logSink ?? ((line) => process.stdout.write(`${line}\n`)), { component: 'certflow-agent' });
  const now = options.now ?? (() => new Date());
  const host = options.host ?? hostname();
  const wiring = wire(options.source, log, withEvents, host, now);
  const trustAnchors = options.trustAnchorFiles ? await readTrustAnchors(options.trustAnchorFiles) : undefined;
  const installDir = path.resolve(options.installDir);
  await fs.mkdir(installDir, { recursive: true, mode: 0o755 });
  const reload = reloadAction(options.reload);
  const permissions = await filePermissions(options);
  const served = reload ? verifier(options) : undefined;
  const turns = reload && options.restartTurns ? restartTurnTaker(options, host, log) : undefined;
  if (options.verifyTls && !reload) log.info('--verify-tls skipped: no reload action (files only, e.g. first boot before the service starts)', { endpoints: options.verifyTls.endpoints });
  const agent = new CertificateAgent({
    certificateIds: options.certificateIds,
    source: wiring.certificates,
    installDir: new InstallDir(installDir, { ...options.installHooks, ...(permissions ? { permissions } : {}) }),
    reload,
    ...(served ? { served } : {}),
    ...(turns ? { turns } : {}),
    reporter: options.reporter ?? wiring.reporter,
    log,
    now,
    keepVersions: options.keepVersions ?? 5,
    host,
    ...groupOf(options),
    ...(trustAnchors ? { trustAnchors } : {}),
  });
  log.info('agent starting', {
    certificateIds: options.certificateIds, installDir, source: options.source.kind, reload: reload?.description ?? 'none',
    verifyTls: served?.endpoints ?? 'off', ...(permissions ? { files: { ...permissions, privateMode: `0${permissions.privateMode.toString(8)}` } } : {}),
  });
  return { log, agent, wiring };
}

/** The host's group: the one it takes restart turns in, or the one its queue prefix names (`certflow-<group>-`). */
function groupOf(options: StartAgentOptions): { group?: string } {
  const group = options.restartTurns?.group ?? (options.source.kind === 'aws' && options.source.queuePrefix ? groupOfQueuePrefix(options.source.queuePrefix) : undefined);
  return group ? { group } : {};
}

/** The group's turn for a restarting reload, kept where the source is: the local store, or the group's secret on AWS. */
function restartTurnTaker(options: StartAgentOptions, host: string, log: Logger): TurnTaker {
  const { group, maxWaitMs } = options.restartTurns!;
  const { source } = options;
  let store: RestartTurnStore;
  if (source.kind === 'local') store = new FileRestartTurns(source.storeDir, group);
  else if (source.kind === 'aws') {
    const client = source.secretsManagerClient ?? new SecretsManagerClient({ region: source.region });
    store = new SecretsManagerRestartTurns(client, restartTurnSecretName(source.secretPrefix ?? DEFAULT_SECRET_PREFIX, group), group);
  } else if (options.restartTurnStore) store = options.restartTurnStore;
  else throw new AgentConfigError('restartTurns with a ports source needs restartTurnStore');
  const reloadTimeoutMs = options.reload?.kind === 'command' ? (options.reload.timeoutMs ?? DEFAULT_RELOAD_TIMEOUT_MS) : DEFAULT_RELOAD_TIMEOUT_MS;
  const verifyTimeoutMs = options.verifyTls ? (options.verifyTls.timeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS) : 0;
  const boundMs = turnBoundMs({ reloadTimeoutMs, verifyTimeoutMs });
  log.info('restarts take turns in the group', { group, store: store.description, boundMs });
  return restartTurns({ store, holder: host, boundMs, ...(maxWaitMs ? { maxWaitMs } : {}), log });
}

function verifier(options: StartAgentOptions): ServedVerifier | undefined {
  const { verifyTls } = options;
  if (!verifyTls) return undefined;
  const endpoints = verifyTls.endpoints.map((text) => ({ ...parseEndpoint(text), ...(verifyTls.serverName ? { serverName: verifyTls.serverName } : {}) }));
  return servedVerifier({ endpoints, probe: options.tlsProbe ?? probeTls, timeoutMs: verifyTls.timeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS });
}

async function filePermissions(options: StartAgentOptions) {
  if (!options.files) return undefined;
  const { keyMode, ...owner } = options.files;
  return { privateMode: keyMode ?? DEFAULT_KEY_MODE, ...(await resolveOwnership(owner)) };
}

/** Every certificate in the PEM files, each file holding at least one. */
async function readTrustAnchors(files: readonly string[]): Promise<string[]> {
  const anchors: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (error) {
      throw new AgentConfigError(`trust anchor file ${file}: ${(error as Error).message}`, { cause: error });
    }
    const found = splitPemChain(text);
    if (found.length === 0) throw new AgentConfigError(`trust anchor file ${file} holds no PEM certificate`);
    anchors.push(...found);
  }
  return anchors;
}

async function startUp(agent: CertificateAgent, certificateIds: readonly string[]): Promise<Record<string, SyncOutcome>> {
  const outcomes: Record<string, SyncOutcome> = {};
  for (const certificateId of certificateIds) outcomes[certificateId] = await agent.start(certificateId);
  return outcomes;
}

/** A reload that outlasts the visibility timeout gets the message delivered again while it runs. */
async function checkQueue(events: SqsEventSource | HealingQueueSource, options: StartAgentOptions, log: Logger): Promise<void> {
  let settings;
  try {
    settings = await events.settings();
  } catch (error) {
    throw new AgentConfigError(`cannot read the attributes of queue ${events.queueUrl}: ${(error as Error).message}`, { cause: error });
  }
  const reloadMs = options.reload?.kind === 'command' ? (options.reload.timeoutMs ?? DEFAULT_RELOAD_TIMEOUT_MS) : 0;
  if (2 * reloadMs >= settings.visibilityTimeoutSeconds * 1000) {
    log.warn('a reload and its rollback may outlast the queue visibility timeout', { visibilityTimeoutSeconds: settings.visibilityTimeoutSeconds, reloadTimeoutMs: reloadMs });
  }
  if (settings.maxReceiveCount === undefined) log.warn('the queue has no dead-letter queue: a failing event is retried forever', { queueUrl: events.queueUrl });
}

/** Join the group's topic with this host's own queue (healed if it vanishes), then sweep peers gone for good (a failed sweep is only logged). */
async function joinGroup(hostQueue: HostQueue, options: StartAgentOptions, log: Logger): Promise<HealingQueueSource> {
  const source = options.source as Extract<AgentSourceOptions, { kind: 'aws' }>;
  const { queueUrl } = await hostQueue.join();
  await sweepQuietly(hostQueue, log);
  return new HealingQueueSource(source.sqsClient ?? new SQSClient({ region: source.region }), hostQueue, queueUrl, log);
}

async function sweepQuietly(hostQueue: HostQueue, log: Logger): Promise<void> {
  try {
    await hostQueue.sweep();
  } catch (error) {
    log.warn('sweeping stale host queues failed', { error: (error as Error).message });
  }
}

export async function startAgent(options: StartAgentOptions): Promise<RunningAgent> {
  const { log, agent, wiring } = await prepare(options, true);
  const { hostQueue } = wiring;
  // Subscribed before catching up: a renewal in between is then both in the store and on the queue, never in neither.
  const events = hostQueue ? await joinGroup(hostQueue, options, log) : wiring.events;
  if (events instanceof SqsEventSource || events instanceof HealingQueueSource) await checkQueue(events, options, log);
  const startup = await startUp(agent, options.certificateIds);
  const controller = new AbortController();
  const { signal } = controller;
  const intervalMs = options.reconcileIntervalMs ?? DEFAULT_RECONCILE_MS;
  const loops = [
    events ? runEventLoop({ agent, events, log, signal }) : undefined,
    intervalMs > 0 ? runReconcileLoop({ agent, certificateIds: options.certificateIds, intervalMs, signal }) : undefined,
    hostQueue && events instanceof HealingQueueSource
      ? runPeriodically(HEARTBEAT_MS, signal, async () => {
          try {
            await hostQueue.heartbeat(events.queueUrl);
          } catch (error) {
            log.warn('heartbeat failed', { error: (error as Error).message });
          }
        })
      : undefined,
    hostQueue ? runPeriodically(SWEEP_MS, signal, () => sweepQuietly(hostQueue, log)) : undefined,
  ];
  const done = Promise.all(loops).then(() => log.info('agent stopped'));
  log.info('agent running', { events: events !== undefined, reconcileIntervalMs: intervalMs, startup });
  return {
    agent,
    startup,
    done,
    async stop() {
      controller.abort();
      if (events && 'close' in events) events.close?.();
      await done;
    },
  };
}

/**
 * This host leaves its group for good (scale-in, decommissioning): its queue and subscription
 * are removed now rather than by a peer's sweep days later.
 */
export async function leaveGroup(options: Pick<StartAgentOptions, 'host' | 'logSink' | 'now'> & { readonly source: Extract<AgentSourceOptions, { kind: 'aws' }> }): Promise<void> {
  const log = jsonLogger(options.logSink ?? ((line) => process.stdout.write(`${line}\n`)), { component: 'certflow-agent' });
  const hostQueue = hostQueueFor(options.source, options.host ?? hostname(), log, options.now ?? (() => new Date()));
  if (!hostQueue) throw new AgentConfigError('leaving a group needs its topic, dead-letter queue and queue prefix (--topic-arn, --dead-letter-queue-arn, --queue-prefix)');
  await hostQueue.leave();
}

export async function runOnce(options: Omit<StartAgentOptions, 'reconcileIntervalMs'>): Promise<OnceResult> {
  const { log, agent } = await prepare(options, false);
  const outcomes = await startUp(agent, options.certificateIds);
  const problems = Object.entries(outcomes).flatMap(([certificateId, outcome]) => {
    if (outcome.status === 'absent') return [`${certificateId}: the store has no version of it`];
    if (outcome.status === 'failed' || outcome.status === 'rejected') return [`${certificateId}: ${outcome.reason}`];
    return [];
  });
  const result: OnceResult = problems.length > 0 ? { exitCode: 1, outcomes, reason: problems.join('; ') } : { exitCode: 0, outcomes };
  log.info('once: done', { ...result });
  return result;
}
