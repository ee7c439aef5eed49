/**
 * The ports of the host agent. The core (agent/certificate-agent.ts) depends on these only; each system gets an
 * adapter: the file store and events.jsonl locally, Secrets Manager and SQS on AWS.
 */
import type { CertificateBundle } from '../domain/core/bundle';

export interface CertificateSource {
  /**
   * One stored version. `location` is the event's location (the secret ARN on AWS); sources
   * that can find a version from the id alone ignore it.
   */
  version(certificateId: string, version: string, location?: string): Promise<CertificateBundle>;
  /** The version the store calls current, or undefined when nothing was ever stored. */
  current(certificateId: string): Promise<CertificateBundle | undefined>;
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

export const RELOAD_FAILED_DETAIL_TYPE = 'Certificate Reload Failed';

/** Detail of "Certificate Reload Failed". Public identifiers only, like every certflow event. */
export interface CertificateReloadFailedEvent {
  readonly certificateId: string;
  readonly host: string;
  /** The store version that failed to load. */
  readonly version: string;
  readonly serialNumber: string;
  readonly error: string;
  /** The store version `live/<id>` points at again, when there was one to go back to. */
  readonly rolledBackTo?: string;
  /** Whether the service reloaded the rolled-back version (undefined without a rollback). */
  readonly rollbackReloaded?: boolean;
  readonly rollbackError?: string;
}

export interface ReloadFailureReporter {
  reloadFailed(event: CertificateReloadFailedEvent): Promise<void>;
}
