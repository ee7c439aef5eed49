/**
 * Error names are the contract between the Lambdas and the state machine: Step Functions
 * matches Retry and Catch rules on `Error`, which Lambda fills with the thrown error's `name`.
 * Retryable errors are listed in RETRYABLE_ERRORS (the state machine's Retry rules use it);
 * every other name is final. The classes below look alike on purpose: each name is one entry of
 * that contract, so each stays a class of its own rather than a factory-made one.
 */
export abstract class CertflowError extends Error {
  abstract readonly retryable: boolean;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad request input, rejected by the first state before any ACME or DNS call. */
export class InvalidCertificateRequest extends CertflowError {
  readonly retryable = false;
}

/** The CA asks to slow down (which answers: caAnswerError, lambdas/acme/client.ts); `retryAfterSeconds` is its Retry-After. */
export class AcmeRateLimited extends CertflowError {
  readonly retryable = true;
  constructor(
    message: string,
    readonly retryAfterSeconds: number | undefined,
  ) {
    super(message);
  }
}

/** acme-client exhausted its own badNonce retries. */
export class AcmeBadNonce extends CertflowError {
  readonly retryable = true;
}

/** The CA could not be reached (connection refused, reset, timeout) or failed to answer (caAnswerError, lambdas/acme/client.ts). */
export class AcmeUnavailable extends CertflowError {
  readonly retryable = true;
}

/** The CA rejected a request for good (unauthorized, malformed, EAB refused, TLS untrusted). */
export class AcmeRequestRejected extends CertflowError {
  readonly retryable = false;
  /** The problem type the CA answered with (RFC 8555 §6.7, `urn:ietf:params:acme:error:…`), when it sent one. */
  readonly problemType?: string;

  constructor(message: string, options?: { cause?: unknown; problemType?: string }) {
    super(message, options);
    if (options?.problemType !== undefined) this.problemType = options.problemType;
  }
}

/** An authorization or the order became `invalid`; the message carries the CA's reason. */
export class OrderInvalid extends CertflowError {
  readonly retryable = false;
}

/** The DNS provider was throttled (Route 53 allows ~5 requests/s per account). */
export class DnsThrottled extends CertflowError {
  readonly retryable = true;
}

/** The DNS provider refused a change for good. */
export class DnsChangeRejected extends CertflowError {
  readonly retryable = false;
}

/** The issued certificate does not match what was asked for or the key we hold. */
export class CertificateVerificationFailed extends CertflowError {
  readonly retryable = false;
}

/**
 * The issued chain does not lead to a trust anchor configured for its ACME directory (another
 * root, an expired anchor or certificate, a self-signed leaf, no anchors configured).
 */
export class UntrustedChain extends CertflowError {
  readonly retryable = false;
}

/**
 * The issued leaf lacks an extended key usage its certificate declares (e.g. clientAuth, which
 * Let's Encrypt no longer issues). Final: the same order would get the same certificate.
 */
export class MissingExtendedKeyUsage extends CertflowError {
  readonly retryable = false;
}

/** The store could not find something a step depends on (e.g. the pending key). */
export class StoreInconsistent extends CertflowError {
  readonly retryable = false;
}

/**
 * Another execution holds the certificate's renewal lease (one renewal per certificate at a time).
 * Final: this execution ends cleanly and the other one renews.
 */
export class RenewalInProgress extends CertflowError {
  readonly retryable = false;
  constructor(
    message: string,
    /** The lease's holder: CreateOrder asks whether it still runs. */
    readonly holder?: string,
  ) {
    super(message);
  }
}

/**
 * Nothing to revoke: the store holds no certificate of that id (or not that version). Final: the
 * request names something that is not there.
 */
export class NothingToRevoke extends CertflowError {
  readonly retryable = false;
}

/** The secret store is throttled or briefly failing. */
export class StoreUnavailable extends CertflowError {
  readonly retryable = true;
}

/** The secret store refused for good (access denied, value too large, KMS key disabled…). */
export class StoreRejected extends CertflowError {
  readonly retryable = false;
}

/** The event bus refused the event(s). */
export class EventPublishFailed extends CertflowError {
  readonly retryable = true;
}

/** The private CA is throttled or briefly failing (ThrottlingException, 5xx, network). */
export class PrivateCaUnavailable extends CertflowError {
  readonly retryable = true;
}

/**
 * The private CA refused for good: a CA that is not ACTIVE, a validity its mode cannot issue, a
 * malformed CSR, an unknown CA or certificate, access denied, a quota.
 */
export class PrivateCaRejected extends CertflowError {
  readonly retryable = false;
}

/** Raised by the state machine itself (Pass states) when a bounded wait loop runs out. */
export const LOOP_TIMEOUT_ERRORS = {
  dnsSync: 'DnsSyncTimeout',
  orderReady: 'OrderValidationTimeout',
  certificateIssued: 'CertificateIssuanceTimeout',
} as const;

export const RETRYABLE_ERRORS = [
  AcmeRateLimited.name,
  AcmeBadNonce.name,
  AcmeUnavailable.name,
  DnsThrottled.name,
  StoreUnavailable.name,
  EventPublishFailed.name,
  PrivateCaUnavailable.name,
] as const;

export const FINAL_ERRORS = [
  InvalidCertificateRequest.name,
  AcmeRequestRejected.name,
  OrderInvalid.name,
  DnsChangeRejected.name,
  CertificateVerificationFailed.name,
  UntrustedChain.name,
  MissingExtendedKeyUsage.name,
  StoreInconsistent.name,
  StoreRejected.name,
  RenewalInProgress.name,
  NothingToRevoke.name,
  PrivateCaRejected.name,
] as const;

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A Node.js system error with one of these codes (`ENOENT`, `EEXIST`, …). */
export function isErrno(error: unknown, ...codes: string[]): boolean {
  return codes.includes((error as NodeJS.ErrnoException | undefined)?.code ?? '');
}
