/** The agent's errors. Each names itself; none is retried in place — the message is left for redelivery. */
abstract class AgentError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A message that is not a well-formed "Certificate Renewed" event. */
export class InvalidEvent extends AgentError {}

/** A fetched bundle that must not be installed: malformed, or failing verification. */
export class BundleRejected extends AgentError {}

/** The source has no such version (yet: Secrets Manager reads are eventually consistent). */
export class VersionNotFound extends AgentError {}

/** The reload action did not succeed (non-zero exit, timeout, no such process). */
export class ReloadFailed extends AgentError {}

/** The service reloaded but did not present the installed certificate in time (`--verify-tls`). */
export class NotServed extends AgentError {
  readonly endpoint: string;
  /** What the endpoint presented instead, when it answered a handshake. */
  readonly servedSerialNumber?: string;

  constructor(message: string, details: { endpoint: string; servedSerialNumber?: string }, options?: { cause?: unknown }) {
    super(message, options);
    this.endpoint = details.endpoint;
    if (details.servedSerialNumber !== undefined) this.servedSerialNumber = details.servedSerialNumber;
  }
}

/** Bad options: wrong flags, unreadable directories, missing secret ids. */
export class AgentConfigError extends AgentError {}

export { errorMessage } from '../domain/core/errors';
