/**
 * The ports of the host agent. The core (agent/certificate-agent.ts) depends on these only; each system gets an
 * adapter: the file store and events.jsonl locally, Secrets Manager and SQS on AWS.
 */
import type { CertificateInstalledEvent, CertificateReloadFailedEvent } from '../domain/contracts/events';
import type { CertificateBundle } from '../domain/core/bundle';

export interface CertificateSource {
  /** One stored version of a managed certificate, from where this agent is configured to read it (never from where an event points). */
  version(certificateId: string, version: string): Promise<CertificateBundle>;
  /** The version the store calls current, or undefined when nothing was ever stored. */
  current(certificateId: string): Promise<CertificateBundle | undefined>;
  /** Whether the store calls this version current (asked of the version itself, so a stale `current` read can't mislead). */
  isCurrent(certificateId: string, version: string): Promise<boolean>;
}

/** A delivered message: SQS message or a line of events.jsonl. */
export interface ReceivedEvent {
  /** Stable per message across deliveries (SQS MessageId). */
  readonly id: string;
  /** What acknowledges this delivery (SQS ReceiptHandle). */
  readonly receipt: string;
  /** The EventBridge envelope, JSON-parsed when it parses (the raw body otherwise). */
  readonly envelope: unknown;
  /** 1 for the first delivery. */
  readonly receiveCount: number;
}

export interface EventSource {
  /** Long poll: resolves with what arrived (possibly nothing) within the source's wait time. */
  receive(signal?: AbortSignal): Promise<ReceivedEvent[]>;
  /** Done with it: never deliver it again. */
  ack(event: ReceivedEvent): Promise<void>;
  /** Not done: deliver it again later (and dead-letter it after too many deliveries). */
  release(event: ReceivedEvent): Promise<void>;
}

/** What a reload action is told about the version it is asked to load. */
export interface ReloadContext {
  readonly certificateId: string;
  /** The store's version id (a number locally, a secret VersionId on AWS). */
  readonly version: string;
  readonly serialNumber: string;
  /** `<install dir>/live/<id>`. */
  readonly liveDir: string;
}

export interface ReloadAction {
  /** Human-readable, for logs ("command 'systemctl restart activemq'", "SIGHUP to pidfile …"). */
  readonly description: string;
  /** Resolves when the service took the new files; throws ReloadFailed otherwise. */
  reload(context: ReloadContext): Promise<void>;
}

/** A TLS endpoint the agent checks after a reload (`--verify-tls host:port`, `--verify-sni name`). */
export interface TlsEndpoint {
  readonly host: string;
  readonly port: number;
  readonly serverName?: string;
  /** As the operator wrote it (logs and reports). */
  readonly endpoint: string;
}

/** The leaf an endpoint presented in a handshake (serial as domain/core/certificate.ts writes it: lowercase hex). */
export interface PresentedLeaf {
  readonly serialNumber: string;
  readonly fingerprintSha256: string;
}

/** One TLS handshake: what the endpoint presents now (rejects when it does not answer within timeoutMs). */
export type TlsProbe = (endpoint: TlsEndpoint, timeoutMs: number) => Promise<PresentedLeaf>;

export type ServedEndpoint = NonNullable<CertificateInstalledEvent['endpoints']>[number];

/** After a reload: are the endpoints serving this leaf? */
export interface ServedVerifier {
  readonly endpoints: readonly string[];
  /** Resolves once every endpoint presents the leaf; NotServed when one does not within the bound. */
  confirm(expected: PresentedLeaf): Promise<ServedEndpoint[]>;
}

/**
 * What the host tells the fleet: "Certificate Installed" after every install, "Certificate Reload
 * Failed" after every failure to verify, install or reload (domain/contracts/events.ts).
 */
export interface HostReporter {
  installed(event: CertificateInstalledEvent): Promise<void>;
  failed(event: CertificateReloadFailedEvent): Promise<void>;
}

/** A group's restart turn as stored: who restarts now, and until when at most. */
export interface RestartTurn {
  readonly holder: string;
  readonly expiresAt: Date;
}

/** What taking the turn found: taken (from `from` when it took over an expired one), or another holder's. */
export type TurnTake = { readonly taken: true; readonly from?: RestartTurn } | { readonly taken: false; readonly held: RestartTurn };

/**
 * The group's restart turn in a store all its hosts share (ADR 0014): at most one holder at a time,
 * taken with a compare-and-set; a turn past its expiry is anyone's.
 */
export interface RestartTurnStore {
  /** Where it is kept (logs). */
  readonly description: string;
  /** Take it for `holder` until `expiresAt`, unless another holder's unexpired turn stands. */
  take(holder: string, expiresAt: Date, now: Date): Promise<TurnTake>;
  /** Give it back, if `holder` still holds it. */
  give(holder: string): Promise<void>;
  /** Who holds it now (undefined: nobody), whether or not its time is up. */
  held(): Promise<RestartTurn | undefined>;
}
