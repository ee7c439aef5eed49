/**
 * The shapes that travel through Step Functions state. Only URLs, ids and public data:
 * no private key, account key, EAB credential or keystore password ever appears here.
 */
import type { CertificateRequest } from '../domain/core/request';
import type { ChangeRef, PendingKey, StoredVersion, TxtRecord } from '../domain/ports';
import type { RevocationMark, RevocationReason } from '../domain/contracts/revocation';
import type { ReissueInput, RevocationRequest } from '../domain/core/revocation';
import type { RotationScan } from './handlers/advance-rotation';
import type { ServedCheckOutput } from './handlers/check-served';

export type { CertificateRequest };

export interface OrderRef {
  readonly accountUrl: string;
  readonly orderUrl: string;
  readonly finalizeUrl: string;
  /** Challenges still to answer (authorizations the CA already holds as valid are skipped). */
  readonly challengeUrls: string[];
  readonly records: TxtRecord[];
  /** The ACME profile the CA put on the order (draft-ietf-acme-profiles), when it says. */
  readonly profile?: string;
}

/** One bounded poll loop's state: the Choice after it reads `done` and `attempts`. */
interface PollState {
  readonly done: boolean;
  readonly attempts: number;
}

export interface DnsSyncState extends PollState {
  readonly changes: ChangeRef[];
}

export interface OrderPollState extends PollState {
  readonly status: string;
}

export interface IssuancePollState extends PollState {
  readonly status: string;
  readonly pending: PendingKey;
  /** Set once the order is valid. */
  readonly certificateUrl?: string;
}

/** The private path's issuance: the certificate's reference at the CA (an ARN on AWS) and its pending key. */
export interface PrivateIssuanceState extends PollState {
  readonly certificateRef: string;
  readonly pending: PendingKey;
}

export type CertificateSummary = StoredVersion;

/** The whole state object after each step, as the state machine's ResultPaths build it. */
export interface RenewalState {
  readonly request: CertificateRequest;
  readonly order?: OrderRef;
  readonly dns?: DnsSyncState;
  readonly validation?: OrderPollState;
  readonly issuance?: IssuancePollState;
  /** The private path (issuer privateCa) instead of order, dns, validation and issuance. */
  readonly privateIssuance?: PrivateIssuanceState;
  readonly certificate?: CertificateSummary;
}

/** Fields a step reads from the state, present by the time it runs: `StateFields<'request' | 'order'>`. */
export type StateFields<K extends keyof RenewalState> = Required<Pick<RenewalState, K>>;

/** What a failed state leaves in the state (its Catch's ResultPath; Lambda's Cause is a JSON document). */
export interface TaskFailure {
  readonly Error: string;
  readonly Cause?: string;
}

/** The state on the failure path: whatever the execution got to, the failure, and the state that failed. */
export interface FailureState extends Partial<RenewalState> {
  readonly failure: TaskFailure;
  readonly failedStep: string;
}

// ---- RevokeCertificate ------------------------------------------------------------------------

/** What RevokeAtCa leaves in `$.revoked`: the version the CA revoked, public data only. */
export interface RevokedCertificate {
  readonly certificateId: string;
  readonly version: string;
  readonly serialNumber: string;
  readonly fingerprintSha256: string;
  readonly notAfter: string;
  readonly reason: RevocationReason;
  readonly reasonCode: number;
  /** The CA had revoked it before this call (a repeated revocation). */
  readonly alreadyRevoked: boolean;
  /** The RenewCertificate input of the reissue (used only when the request asks for one). */
  readonly reissueInput: ReissueInput;
}

/** The RenewCertificate execution a reissue ran, as the Reissue task's result selector keeps it. */
interface ReissuedCertificate {
  readonly certificateId: string;
  readonly version: string;
  readonly executionArn: string;
}

/** The RevokeCertificate state object, as its ResultPaths build it. */
export interface RevocationState {
  readonly revocation?: RevocationRequest;
  readonly revoked?: RevokedCertificate;
  /** The store's mark on the revoked version (the first one, for a repeated revocation). */
  readonly mark?: RevocationMark;
  readonly reissued?: ReissuedCertificate;
}

/** The ScanCertificates state: AdvanceRotation's result, before ScanInventory reads it. */
export interface ScanState {
  readonly rotation?: RotationScan;
}

/** The CheckServed state: the served check's result, the execution's output. */
export interface ServedCheckState {
  readonly served?: ServedCheckOutput;
}
