/**
 * The ports of the renewal pipeline. Core logic and handlers depend on these interfaces only;
 * each real system gets an adapter (local ones in domain/adapters/local, AWS ones beside them).
 * Everything that crosses a port into Step Functions state must be JSON and public.
 */
import type { CertificateMetadata } from './core/certificate';
import type {
  CertificateExpiringEvent,
  CertificateRenewalFailedEvent,
  CertificateRenewedEvent,
  CertificateRevocationFailedEvent,
  CertificateRevokedEvent,
  CertificateRolledBackEvent,
} from './contracts/events';
import type { RevocationMark } from './contracts/revocation';
import type { Usage } from './contracts/request';
import type { RotationPhase, RotationRecord } from './core/root-rotation';
import type { HostState, ReportEnvelope } from './core/host-inventory';

/** One DNS-01 TXT value at `_acme-challenge.<name>`. Public: it is published in DNS. */
export interface TxtRecord {
  readonly name: string;
  readonly value: string;
}

/** Opaque, JSON-safe handle for a submitted DNS change (Route 53: zone id + change id). */
export interface ChangeRef {
  readonly zone: string;
  readonly id: string;
}

export interface DnsChallengeProvider {
  /** Add our values (merged with what is there), one batch per zone. Idempotent. */
  present(records: readonly TxtRecord[]): Promise<ChangeRef[]>;
  /** True once every change is served by the zone's authoritative servers. */
  isInSync(changes: readonly ChangeRef[], records: readonly TxtRecord[]): Promise<boolean>;
  /** Remove only our values; a record that is already gone is success. */
  cleanup(records: readonly TxtRecord[]): Promise<void>;
}

/** Everything a stored version consists of. Private parts stay inside the store. */
export interface CertificateMaterial {
  readonly certificatePem: string;
  /** Issuer chain without the leaf, leaf's issuer first. */
  readonly chainPem: string;
  readonly privateKeyPem: string;
  readonly metadata: CertificateMetadata;
  /** Keystores and their password file, by file name. */
  readonly files?: Readonly<Record<string, Uint8Array>>;
}

/** Public description of a stored version: safe for state and events. */
export interface StoredVersion {
  readonly certificateId: string;
  readonly version: string;
  /** Where it lives: a directory for the file store, a secret ARN for Secrets Manager. */
  readonly location: string;
  readonly metadata: CertificateMetadata;
  readonly formats: string[];
}

export interface StoredAccount {
  readonly keyPem: string;
  readonly url?: string;
}

export type { RenewalFailureRecord } from './contracts/store-documents';
import type { RenewalFailureRecord } from './contracts/store-documents';
import type { AriRecord } from './core/ari-checks';

/** What the store knows of one certificate, for the scheduled scan. */
export interface StoredCertificateState {
  readonly certificateId: string;
  /** Absent when only a failed or pending attempt exists. */
  readonly current?: { readonly version: string; readonly metadata: CertificateMetadata };
  /** Why the current version could not be read (the scan then reissues). */
  readonly unreadable?: string;
  readonly lastFailure?: RenewalFailureRecord;
  /** SHA-256 of the sorted names, when the store knows the names only by hash (long lists). */
  readonly namesSha256?: string;
  /** The current version's revocation mark (a revoke without --reissue): hosts serve it until a renewal. */
  readonly currentRevoked?: RevocationMark;
  /** The CA's last renewalInfo answer and when the scan may ask again (RFC 9773 §4.3). */
  readonly ari?: AriRecord;
}

/** What a private issuer is asked for: the CSR, and the usages and lifetime that pick its template and Validity. */
export interface PrivateIssueRequest {
  readonly csrPem: string;
  readonly usages: readonly Usage[];
  readonly lifetimeDays: number;
  /** The same token gets the same certificate (a retried step issues once). */
  readonly idempotencyToken: string;
  /**
   * The authority to issue from when a root rotation names one (RotationRoot.authority: a Private CA
   * ARN, locally a root folder); absent: the configured CA.
   */
  readonly certificateAuthority?: string;
}

/** The issued certificate: the leaf first, then the CA's chain up to (and including) its root. */
export interface PrivateIssuedChain {
  readonly chain: string[];
}

/**
 * The private issuer (AWS Private CA; locally a CA under CERTFLOW_HOME). IAM: privateIssue
 * (acm-pca:IssueCertificate on the configured CA, end-entity templates only), privateFetch
 * (acm-pca:GetCertificate on it). No ACME account, no DNS.
 */
export interface PrivateIssuer {
  /** Submit the CSR; the certificate's reference (an ARN on AWS), public. */
  issue(request: PrivateIssueRequest): Promise<string>;
  /** The issued chain, or undefined while the CA is still issuing (RequestInProgressException). */
  fetch(certificateRef: string): Promise<PrivateIssuedChain | undefined>;
}

export interface PendingKey {
  readonly certificateId: string;
  /** Identifies the pending version; derived from the order so a retried step finds it again. */
  readonly pendingId: string;
}

// The certificate store, split by the capabilities IAM grants (infra/iam.ts): a step is given only
// the methods its capabilities allow (lambdas/catalogue.ts declares them; test/infra/ports.test.ts
// holds the two side by side). Adapters implement all of it: `CertificateStore`.

/** ACME accounts. IAM: accountRead (read the key), accountWrite (create it, save the URL). */
interface AccountStore {
  /** The ACME account for a directory: its key, created once even when executions race, and its URL once registered. */
  account(directoryUrl: string, generate: () => Promise<string>): Promise<StoredAccount>;
  /** Remember the account URL the CA assigned, so later orders skip registration. */
  saveAccountUrl(directoryUrl: string, accountUrl: string): Promise<void>;
}

/** Values kept for a reference. IAM: accountWrite (EAB credentials), certificateWrite (given keystore passwords). */
interface SecretReader {
  /** A secret value the store keeps for a reference (EAB credentials, given passwords). */
  readSecret(secretRef: string): Promise<string>;
}

/** Private keys of orders in flight. IAM: pendingWrite, pendingRead, pendingDiscard. */
interface PendingKeys {
  /** Create (or find again, for the same order) the pending version's private key. */
  pendingKey(certificateId: string, orderUrl: string, generate: () => Promise<string>): Promise<{ pending: PendingKey; privateKeyPem: string }>;
  /** Read back a pending version's private key. */
  readPendingKey(pending: PendingKey): Promise<string>;
  /** Forget a pending version (failure path). Missing is fine. */
  discardPending(pending: PendingKey): Promise<void>;
  /** Which pending version an order's key is (or would be) stored as; pure, no I/O. */
  pendingFor(certificateId: string, orderUrl: string): PendingKey;
}

/** Stored versions. IAM: certificateWrite (current, promote, the keystore password). */
interface VersionStore {
  current(certificateId: string): Promise<StoredVersion | undefined>;
  /** The keystore password of the current version, reused so broker configs stay valid. */
  currentKeystorePassword(certificateId: string): Promise<string | undefined>;
  /** Complete the pending version with its certificate and make it current, atomically. */
  promote(pending: PendingKey, material: CertificateMaterial): Promise<StoredVersion>;
}

/** What the scan reads and the failure path records. IAM: inventory, failureRecord. */
interface InventoryStore {
  /** Every certificate the store holds, with what the scan needs; no private material. */
  inventory(): Promise<StoredCertificateState[]>;
  /** Remember the last failed renewal (the scan retries it, the watchdog reports it). */
  recordFailure(certificateId: string, failure: RenewalFailureRecord): Promise<void>;
  /** The current version's id, from the inventory: no secret value is read. */
  currentVersion(certificateId: string): Promise<string | undefined>;
  /** Remember the CA's renewalInfo answer until its Retry-After (the scan; IAM: ariRecord). No certificate yet: nothing kept. */
  recordAri(certificateId: string, record: AriRecord): Promise<void>;
}

/** What a lease's holder has in flight once its order exists: ids and public TXT values only. */
export interface LeaseOrder {
  readonly orderUrl: string;
  readonly records: readonly TxtRecord[];
}

/**
 * Who renews a certificate, until when. An execution killed before it gives the lease back holds it
 * no longer: once it expires, or as soon as its holder is known to be over (ExecutionStatus).
 */
export interface RenewalLease {
  readonly certificateId: string;
  /**
   * The execution (its id): a retried step of the same execution takes the lease again. On AWS the
   * execution ARN; locally an id that names the process running it (domain/adapters/local/local-executions.ts).
   */
  readonly holder: string;
  readonly expiresAt: Date;
  /** The holder's order, noted by CreateOrder: what a taker must clean up if the holder never does. */
  readonly order?: LeaseOrder;
  /** Orders of earlier holders this one took over from: its cleanup removes their TXT values and pending keys. */
  readonly leftovers?: readonly LeaseOrder[];
}

export interface LeaseOptions {
  /** Take the lease over from this holder even before it expires: it is known to be over (ExecutionStatus.isGone). */
  readonly takeOverFrom?: string;
}

/** One renewal per certificate at a time. IAM: renewalLease. */
export interface RenewalLeases {
  /**
   * Take the certificate's lease for `holder`, or rewrite it when `holder` holds it already (a
   * retried step; CreateOrder noting its order). Throws RenewalInProgress, naming the holder, while
   * another holder's lease has not expired at `now`, unless that holder is `takeOverFrom`. A lease
   * taken over passes what its holder left out on as `leftovers` (domain/core/lease.ts). Returns the
   * lease it replaced when that was another holder's.
   */
  acquireLease(lease: RenewalLease, now: Date, options?: LeaseOptions): Promise<RenewalLease | undefined>;
  /** Give the lease back if `holder` holds it; otherwise (released, expired and taken over) nothing. */
  releaseLease(certificateId: string, holder: string): Promise<void>;
  /** The lease on a certificate, expired or not (status shows it; cleanup reads its leftovers); undefined when none. */
  heldLease(certificateId: string): Promise<RenewalLease | undefined>;
}

/** Whether an execution still runs. IAM: executionStatus (states:DescribeExecution on RenewCertificate's executions). */
export interface ExecutionStatus {
  /**
   * True only when the execution is certainly over: ended or stopped on AWS (Catch does not run on an
   * abort), or its process gone locally. False while it runs, and when it cannot be told.
   */
  isGone(executionId: string): Promise<boolean>;
}

export type { RevocationMark } from './contracts/revocation';

/** A stored version's certificate: public parts only (the leaf as the CA issued it), and its revocation mark. */
export interface IssuedCertificate {
  readonly certificateId: string;
  readonly version: string;
  readonly certificatePem: string;
  readonly metadata: CertificateMetadata;
  /** Set once the version is marked revoked. */
  readonly revoked?: RevocationMark;
}

/** Revocation. IAM: certificateRead (a version's certificate and mark), revocationMark (marking it). */
interface RevocationStore {
  /** A version's certificate, by default the current one's; undefined when there is no such version. */
  issuedCertificate(certificateId: string, version?: string): Promise<IssuedCertificate | undefined>;
  /**
   * Mark a version revoked, beside it: its material is never rewritten. Idempotent: a version marked
   * already keeps its first mark, which is returned.
   */
  markRevoked(certificateId: string, version: string, mark: RevocationMark): Promise<RevocationMark>;
}

/** The whole store, as adapters implement it. */
export interface CertificateStore extends AccountStore, SecretReader, PendingKeys, VersionStore, InventoryStore, RenewalLeases, RevocationStore {}

// The event details are contracts (domain/contracts/events.ts): types inferred from their schemas.
export {
  DETAIL_TYPES,
  EVENT_SOURCE,
  type CertificateExpiringEvent,
  type CertificateRenewalFailedEvent,
  type CertificateRenewedEvent,
  type CertificateRevocationFailedEvent,
  type CertificateRevokedEvent,
  type CertificateRolledBackEvent,
} from './contracts/events';

export interface EventPublisher {
  renewed(event: CertificateRenewedEvent): Promise<void>;
  failed(event: CertificateRenewalFailedEvent): Promise<void>;
  expiring(event: CertificateExpiringEvent): Promise<void>;
  revoked(event: CertificateRevokedEvent): Promise<void>;
  revocationFailed(event: CertificateRevocationFailedEvent): Promise<void>;
}

/** What operators' actions announce (the CLI, never a pipeline step). */
export interface OperatorEvents {
  rolledBack(event: CertificateRolledBackEvent): Promise<void>;
}

/** New ACME orders placed recently, for the per-account order budget (every ACME execution counts; private issuances do not). */
export interface OrderLedger {
  ordersSince(since: Date): Promise<number>;
}

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * The record of a private root's rotation, one per private CA (ADR 0013): FileRootRotations locally,
 * SecretsManagerRootRotations on AWS. IssuePrivate and PackageAndStorePrivate read it (which CA
 * issues, which roots the truststores hold); the scan's AdvanceRotation step also writes it.
 */
export interface RootRotations {
  /** The CA's record (the last rotation, done or not), or undefined when its root was never rotated. */
  rotation(ca: string): Promise<RotationRecord | undefined>;
  /**
   * Write the record, when the stored one is still in phase `expected` (undefined: no record);
   * another writer's change in between fails the call (RotationConflict), nothing written.
   */
  saveRotation(record: RotationRecord, expected: RotationPhase | undefined): Promise<void>;
}

/**
 * The hosts' own reports ("Certificate Installed", "Certificate Reload Failed") and the pipeline's
 * announcements ("Certificate Renewed", "Certificate Rolled Back"), folded per certificate and host
 * (domain/core/host-inventory.ts): events.jsonl locally, the inventory log group on AWS
 * (CloudWatchHostReports). The rotation's gates and the served check read them.
 */
export interface HostReports {
  /** The latest state of every (certificate, host) from the reports made at or after `since`. */
  hostStates(since: Date): Promise<HostState[]>;
  /** The reports and announcements made at or after `since`, in the order they were made. */
  reports(since: Date): Promise<ReportEnvelope[]>;
}

/** The queues whose name starts with a prefix: a host group's roster on AWS (domain/adapters/aws/group-queues.ts). */
export interface GroupQueues {
  queueNames(prefix: string): Promise<ReadonlySet<string>>;
}
