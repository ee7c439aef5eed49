/**
 * Programmatic entry points: `startAgent` (the long-running subscriber) and `runOnce` (init
 * containers, cron). Both build the adapters from options; bin/agent.ts maps flags onto these.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { LocalEventLog } from '../domain/adapters/local/event-log';
import { FileCertificateStore } from '../domain/adapters/local/file-store';
import type { Logger } from '../domain/ports';
import { jsonLogger } from '../domain/logging/logger';
import { SecretsManagerCertificateSource } from './adapters/aws/secrets-manager-source';
import { SqsEventSource } from './adapters/aws/sqs-event-source';
import { EventFileSource } from './adapters/local/event-file-source';
import { StoreCertificateSource } from './adapters/local/store-source';
import { CertificateAgent, type SyncOutcome } from './certificate-agent';
import { AgentConfigError } from './errors';
import { runEventLoop, runReconcileLoop } from './event-loop';
import { InstallDir, type InstallDirOptions } from './install/install-dir';
import type { CertificateSource, EventSource, ReloadAction, ReloadFailureReporter } from './ports';
import { commandReload } from './reload/command';
import { signalReload } from './reload/signal';
import { EventBridgeReporter, EventFileReporter } from './reporters';
import { checkAgentSettings, type AgentSettings, type AwsSourceSettings, type CommandReloadSettings, type LocalSourceSettings, type SignalReloadSettings } from './settings';

export type AgentSourceOptions =
  | (LocalSourceSettings & {
      /** In the pipeline's process: its event log, so a publish is picked up at once. */
      readonly eventLog?: Pick<LocalEventLog, 'subscribe'>;
    })
  | (AwsSourceSettings & {
      readonly sqsClient?: Pick<SQSClient, 'send'>;
      readonly secretsManagerClient?: Pick<SecretsManagerClient, 'send'>;
      readonly eventBridgeClient?: Pick<EventBridgeClient, 'send'>;
    })
  | { readonly kind: 'ports'; readonly certificates: CertificateSource; readonly events?: EventSource };

export type ReloadOptions = CommandReloadSettings | SignalReloadSettings | { readonly kind: 'action'; readonly action: ReloadAction };

/** The settings (agent/settings.ts, checked at start) plus what a program injects. */
export interface StartAgentOptions extends Omit<AgentSettings, 'source' | 'reload'> {
  readonly source: AgentSourceOptions;
  readonly reload?: ReloadOptions;
  /** Besides the log line. Default: events.jsonl locally, nothing else on AWS. */
  readonly reporter?: ReloadFailureReporter;
  /** Receives each JSON log line. Default stdout. */
  readonly logSink?: (line: string) => void;
  readonly now?: () => Date;
  /** Test seam (fault injection while writing a version). */
  readonly installHooks?: InstallDirOptions;
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

export const DEFAULT_RELOAD_TIMEOUT_MS = 120_000;
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
  readonly reporter?: ReloadFailureReporter;
}

function wire(source: AgentSourceOptions, log: Logger, withEvents: boolean): Wiring {
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
      let events: SqsEventSource | undefined;
      if (withEvents) {
        // checkAgentSettings made sure of the queue when events are listened to.
        events = new SqsEventSource(source.sqsClient ?? new SQSClient({ region }), source.queueUrl!);
      }
      const secrets = source.secretsManagerClient ?? new SecretsManagerClient({ region });
      const reporter = source.eventBusName
        ? new EventBridgeReporter(source.eventBridgeClient ?? new EventBridgeClient({ region }), source.eventBusName)
        : undefined;
      return {
        certificates: new SecretsManagerCertificateSource(secrets, { secretPrefix: source.secretPrefix, secretIds: source.secretIds }),
        events,
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
  const wiring = wire(options.source, log, withEvents);
  const installDir = path.resolve(options.installDir);
  await fs.mkdir(installDir, { recursive: true, mode: 0o755 });
  const reload = reloadAction(options.reload);
  const agent = new CertificateAgent({
    certificateIds: options.certificateIds,
    source: wiring.certificates,
    installDir: new InstallDir(installDir, options.installHooks),
    reload,
    reporter: options.reporter ?? wiring.reporter,
    log,
    now: options.now ?? (() => new Date()),
    keepVersions: options.keepVersions ?? 5,
    host: options.host,
  });
  log.info('agent starting', { certificateIds: options.certificateIds, installDir, source: options.source.kind, reload: reload?.description ?? 'none' });
  return { log, agent, wiring };
}

async function startUp(agent: CertificateAgent, certificateIds: readonly string[]): Promise<Record<string, SyncOutcome>> {
  const outcomes: Record<string, SyncOutcome> = {};
  for (const certificateId of certificateIds) outcomes[certificateId] = await agent.start(certificateId);
  return outcomes;
}

/** A reload that outlasts the visibility timeout gets the message delivered again while it runs. */
async function checkQueue(events: SqsEventSource, options: StartAgentOptions, log: Logger): Promise<void> {
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

export async function startAgent(options: StartAgentOptions): Promise<RunningAgent> {
  const { log, agent, wiring } = await prepare(options, true);
  const { events } = wiring;
  if (events instanceof SqsEventSource) await checkQueue(events, options, log);
  const startup = await startUp(agent, options.certificateIds);
  const controller = new AbortController();
  const { signal } = controller;
  const intervalMs = options.reconcileIntervalMs ?? DEFAULT_RECONCILE_MS;
  const loops = [
    events ? runEventLoop({ agent, events, log, signal }) : undefined,
    intervalMs > 0 ? runReconcileLoop({ agent, certificateIds: options.certificateIds, intervalMs, signal }) : undefined,
  ];
  const done = Promise.all(loops).then(() => log.info('agent stopped'));
  log.info('agent running', { events: events !== undefined, reconcileIntervalMs: intervalMs, startup });
  return {
    agent,
    startup,
    done,
    async stop() {
      controller.abort();
      events?.close?.();
      await done;
    },
  };
}

export async function runOnce(options: Omit<StartAgentOptions, 'reconcileIntervalMs'>): Promise<OnceResult> {
  const { log, agent } = await prepare(options, false);
  const outcomes = await startUp(agent, options.certificateIds);
  const problems = Object.entries(outcomes).flatMap(([certificateId, outcome]) => {
    if (outcome.status === 'absent') return [`${certificateId}: the store has no version of it`];
    if (outcome.status === 'failed') return [`${certificateId}: ${outcome.reason}`];
    return [];
  });
  const result: OnceResult = problems.length > 0 ? { exitCode: 1, outcomes, reason: problems.join('; ') } : { exitCode: 0, outcomes };
  log.info('once: done', { ...result });
  return result;
}
