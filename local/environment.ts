/**
 * The embedded local default: Pebble + our authoritative DNS server + a file store + a JSON
 * lines event log, wired to the synthesized state machine. Used by the demo, tests and bench.
 */
import * as path from 'node:path';
import { LocalDnsProvider, type LocalDnsTarget } from '../domain/adapters/local/dns-provider';
import { LocalDnsServer, LocalZoneData } from '../domain/adapters/local/dns-server';
import { LocalEventLog } from '../domain/adapters/local/event-log';
import { FileCertificateStore } from '../domain/adapters/local/file-store';
import { LOCAL_PRIVATE_CA, LocalPrivateCa } from '../domain/adapters/local/local-private-ca';
import { FileRootRotations } from '../domain/adapters/local/file-rotations';
import { LocalHostReports, NO_GROUP_QUEUES } from '../domain/adapters/local/host-reports';
import { rotationTrust } from '../domain/core/root-rotation';
import { LocalExecutions } from '../domain/adapters/local/local-executions';
import type { HostedZone } from '../domain/core/dns-names';
import type { StepDeps } from '../lambdas/deps';
import type { DnsChallengeProvider, Logger } from '../domain/ports';
import { jsonLogger } from '../domain/logging/logger';
import { DEFAULT_SCAN, type ManagedCertificate, type ScanSettings } from '../domain/core/scan-plan';
import type { LocalDefinitions } from './definition';
import { cachedDefinitions, type DefinitionCacheOptions } from './definition-cache';
import { PEBBLE_DEFAULT_PROFILE, describePebbleExit, startPebbleWithDns, type PebbleOptions, type RunningPebble } from './pebble';
import { revocationExecutor } from './revocation';
import { LocalExecutor } from './runner';

/** The name the local store keeps the embedded Pebble's account under (its port changes every run). */
const EMBEDDED_PEBBLE_ACCOUNT = 'embedded-pebble';

export const LOCAL_ZONES: HostedZone[] = [{ name: 'certflow.test' }, { name: 'example.test' }];
/**
 * The stack's default secret prefix, so a request names the same secrets locally and on AWS:
 * `certflow/passwords/<name>` is the file `<root>/secrets/certflow/passwords/<name>`.
 */
const LOCAL_SECRET_PREFIX = 'certflow/';

export interface LocalPipelineOptions {
  /** Where the store and the event log live. */
  readonly root: string;
  readonly zones?: HostedZone[];
  readonly pebble?: Omit<PebbleOptions, 'dnsPort'>;
  /** Receives every log line the steps write (JSON). */
  readonly logSink?: (line: string) => void;
  /** Wrap the DNS provider (tests count or corrupt calls). */
  readonly wrapDns?: (provider: DnsChallengeProvider) => DnsChallengeProvider;
  /** Reuse already synthesized definitions (default: the on-disk cache, synthesized when the sources changed). */
  readonly definitions?: LocalDefinitions;
  /** Told when the definitions have to be synthesized (local/definition-cache.ts synthesisProgress prints it). */
  readonly onSynthesis?: DefinitionCacheOptions['onProgress'];
  /** The declared inventory and scan limits, for the scheduled scan. */
  readonly certificates?: readonly ManagedCertificate[];
  readonly scan?: ScanSettings;
  /**
   * The embedded Pebble directory's trust anchors. Default: every root this Pebble made at start
   * (`GET /roots/<i>` on its management listener: the default chain's and each alternate chain's);
   * tests pass a wrong one to see a chain refused.
   */
  readonly trustAnchors?: (pebble: RunningPebble) => Promise<readonly string[]>;
  /** The steps' clock (default: the system's); tests move it past a Retry-After instead of waiting. */
  readonly now?: () => Date;
}

/** Its lifetime when a request names none: AWS Private CA's short-lived maximum. */
const LOCAL_PRIVATE_CA_LIFETIME_DAYS = 7;

/** What runs the state machine on the local default, whoever runs the CA. */
export interface LocalRunner {
  readonly store: FileCertificateStore;
  readonly events: LocalEventLog;
  readonly deps: StepDeps;
  readonly executor: LocalExecutor;
  /** The ScanCertificates state machine; its Map starts RenewCertificate runs on `executor`. */
  readonly scanExecutor: LocalExecutor;
  /** The RevokeCertificate state machine; a reissue runs RenewCertificate on `executor`. */
  readonly revokeExecutor: LocalExecutor;
  /** The private issuer (issuer privateCa): root key under `<root>/private-ca/`. */
  readonly privateCa: LocalPrivateCa;
  readonly log: Logger;
  /** Where the CA is: its ACME directory and the DNS server it validates through. */
  readonly ca: { readonly directoryUrl: string; readonly dnsPort: number; readonly shared: boolean };
  stop(): Promise<void>;
}

export interface LocalPipeline extends LocalRunner {
  readonly pebble: RunningPebble;
  readonly dnsServer: LocalDnsServer;
}

/** A CA this process does not own (the `certflow local start` daemon): where it is and how to trust it. */
export interface SharedLocalCa {
  readonly directoryUrl: string;
  /** CA of Pebble's own HTTPS listener. */
  readonly tlsCaPem: string;
  /** The root Pebble signs with (fetched once when the daemon started). */
  readonly rootPem: string;
  /** Where challenge records go (files the daemon's DNS server answers from) and its UDP port. */
  readonly dns: LocalDnsTarget;
}

export type SharedPipelineOptions = Omit<LocalPipelineOptions, 'pebble' | 'trustAnchors'>;

/** The pipeline on a CA that is already running elsewhere; stop() stops nothing but this process's use of it. */
export async function connectLocalPipeline(ca: SharedLocalCa, options: SharedPipelineOptions): Promise<LocalRunner> {
  const definitions = options.definitions ?? (await cachedDefinitions({ onProgress: options.onSynthesis }));
  return await wire(options, definitions, {
    directoryUrl: ca.directoryUrl,
    tlsCaPem: ca.tlsCaPem,
    trustAnchors: [ca.rootPem],
    dns: ca.dns,
    explainStepError: (error) => error,
    shared: true,
    stop: async () => {},
  });
}

interface WiredCa {
  readonly directoryUrl: string;
  readonly tlsCaPem: string;
  readonly trustAnchors: readonly string[];
  readonly dns: LocalDnsTarget;
  readonly explainStepError: (error: unknown) => unknown;
  readonly shared: boolean;
  stop(): Promise<void>;
}

/** The ScanCertificates state machine, its Map starting RenewCertificate runs on `executor` (local default and AWS path alike). */
export function scanExecutorFor(definitions: LocalDefinitions, deps: StepDeps, executor: LocalExecutor, explainStepError?: (error: unknown) => unknown): LocalExecutor {
  // startExecution.sync:2 — run the child, answer like Step Functions does.
  const runChild = async (parameters: unknown) => {
    const child = await executor.run((parameters as { Input: unknown }).Input);
    if (child.status === 'SUCCEEDED') return { Output: child.output, Status: 'SUCCEEDED', ExecutionArn: child.executionId };
    const failure = new Error(JSON.stringify({ error: child.error, cause: child.cause, executionArn: child.executionId }));
    failure.name = 'States.TaskFailed';
    throw failure;
  };
  // A private issuance's execution (named privateCa-… on AWS) runs the same machine.
  return new LocalExecutor(definitions.scan, deps, { RenewCertificate: runChild, RenewPrivateCertificate: runChild }, explainStepError);
}

async function wire(options: SharedPipelineOptions, definitions: LocalDefinitions, ca: WiredCa): Promise<LocalRunner> {
  const zones = options.zones ?? LOCAL_ZONES;
  // A root rotation in progress decides which root issues and which roots the truststores hold (ADR 0013).
  const rotation = rotationTrust(await new FileRootRotations(options.root).rotation(LOCAL_PRIVATE_CA));
  const privateCa = await LocalPrivateCa.open(path.join(options.root, 'private-ca'), rotation.issuing ? { root: rotation.issuing.authority } : {});
  // One account key for the embedded CA, whatever port this run's Pebble got: runs don't pile up
  // account folders. Pebble forgot the account of the previous run; the store then hands out the
  // key without its old URL and CreateOrder registers it again.
  const store = new FileCertificateStore(options.root, {
    accountName: (directoryUrl) => (directoryUrl === ca.directoryUrl ? EMBEDDED_PEBBLE_ACCOUNT : directoryUrl),
  });
  const events = new LocalEventLog(path.join(options.root, 'events.jsonl'));
  const log = jsonLogger(options.logSink ?? (() => {}));
  const dns = new LocalDnsProvider(ca.dns);
  const deps: StepDeps = {
    settings: {
      zones,
      defaultDirectoryUrl: ca.directoryUrl,
      allowedDirectories: [ca.directoryUrl],
      trustAnchors: { [ca.directoryUrl]: ca.trustAnchors, [LOCAL_PRIVATE_CA]: rotation.trusted?.map((root) => root.pem) ?? [privateCa.rootPem] },
      privateCa: { certificateAuthorityArn: LOCAL_PRIVATE_CA, mode: 'SHORT_LIVED_CERTIFICATE', defaultLifetimeDays: LOCAL_PRIVATE_CA_LIFETIME_DAYS },
      defaultContact: [],
      // Pebble picks a profile at random for an order that names none; Let's Encrypt's default is classic.
      defaultAcmeProfile: PEBBLE_DEFAULT_PROFILE,
      secretPrefix: LOCAL_SECRET_PREFIX,
      acmeCaBundlePem: ca.tlsCaPem,
      certificates: options.certificates ?? [],
      scan: options.scan ?? DEFAULT_SCAN,
    },
    dns: options.wrapDns ? options.wrapDns(dns) : dns,
    store,
    events,
    // Each local RenewCertificate execution places one order, like on AWS; a private issuance counts against no order budget.
    orders: { ordersSince: async (since) => executor.startedSince(since) },
    issuer: privateCa,
    // Executions run in the process that started them: its end is theirs.
    executions: new LocalExecutions(),
    rotations: new FileRootRotations(options.root),
    hosts: new LocalHostReports(events),
    queues: NO_GROUP_QUEUES,
    log,
    now: options.now ?? (() => new Date()),
  };
  const executor = new LocalExecutor(definitions.renew, deps, {}, ca.explainStepError);
  const scanExecutor = scanExecutorFor(definitions, deps, executor, ca.explainStepError);
  const revokeExecutor = revocationExecutor(definitions.revoke, deps, executor, ca.explainStepError);
  return { store, events, deps, executor, scanExecutor, revokeExecutor, privateCa, log, ca: { directoryUrl: ca.directoryUrl, dnsPort: ca.dns.port, shared: ca.shared }, stop: () => ca.stop() };
}

export async function startLocalPipeline(options: LocalPipelineOptions): Promise<LocalPipeline> {
  const zones = options.zones ?? LOCAL_ZONES;
  // Before Pebble starts: a synthesis that fails leaves no process behind.
  const definitions = options.definitions ?? (await cachedDefinitions({ onProgress: options.onSynthesis }));
  const dnsServer = new LocalDnsServer(new LocalZoneData(zones));
  const { pebble } = await startPebbleWithDns(dnsServer, options.pebble);
  // Pebble makes new roots at every start: the only directory allowed here, anchored to those roots.
  let trustAnchors: readonly string[];
  try {
    trustAnchors = options.trustAnchors ? await options.trustAnchors(pebble) : await pebble.rootPems();
  } catch (error) {
    await pebble.stop();
    await dnsServer.stop();
    throw error;
  }
  // A step failing after our own Pebble died says so: the ACME error alone reads ECONNREFUSED.
  const explainStepError = (error: unknown) => {
    if (!pebble.exited || !(error instanceof Error)) return error;
    const explained = new Error(`${describePebbleExit(pebble.exited)}\n(${error.message})`);
    explained.name = error.name;
    return explained;
  };
  const runner = await wire(options, definitions, {
    directoryUrl: pebble.directoryUrl,
    tlsCaPem: pebble.tlsCaPem,
    trustAnchors,
    dns: dnsServer,
    explainStepError,
    shared: false,
    async stop() {
      await pebble.stop();
      await dnsServer.stop();
    },
  });
  return { ...runner, pebble, dnsServer };
}
