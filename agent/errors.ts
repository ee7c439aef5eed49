/**
 * The agent's errors, one base: a version this host did not install, or not all the way (fetched,
 * verified, written, reloaded, served), and why. Each names itself; none is retried in place — the
 * message is left for redelivery, and the next reconcile tries again.
 */
export class InstallFailed extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A message that is not a well-formed "Certificate Renewed" event. */
export class InvalidEvent extends InstallFailed {}

/** A fetched bundle that must not be installed: malformed, or failing verification. */
export class BundleRejected extends InstallFailed {}

/** The source has no such version (yet: Secrets Manager reads are eventually consistent). */
export class VersionNotFound extends InstallFailed {}

/** The reload action did not succeed (non-zero exit, timeout, no such process). */
export class ReloadFailed extends InstallFailed {}

/** The service reloaded but did not present the installed certificate in time (`--verify-tls`). */
export class NotServed extends InstallFailed {
  readonly endpoint: string;
  /** What the endpoint presented instead, when it answered a handshake. */
  readonly servedSerialNumber?: string;

  constructor(message: string, details: { endpoint: string; servedSerialNumber?: string }, options?: { cause?: unknown }) {
    super(message, options);
    this.endpoint = details.endpoint;
    if (details.servedSerialNumber !== undefined) this.servedSerialNumber = details.servedSerialNumber;
  }
}

/** Bad options: wrong flags, unreadable directories, missing secret ids. Nothing can be installed with them. */
export class AgentConfigError extends InstallFailed {}

export { errorMessage } from '../domain/core/errors';
