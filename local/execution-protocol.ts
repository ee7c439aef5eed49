/**
 * Executions in the local CA daemon (`certflow local start`): the daemon runs RenewCertificate
 * for `certflow issue|renew` on its warm pipeline, so each command needs only a small client
 * (node's start, one socket, no pipeline, no CDK, no crypto libraries): ≈ 0.2 s instead of ≈ 1 s.
 *
 * The wire: a Unix socket (mode 0600, in the 0700 local-ca/ folder: only its owner connects),
 * one JSON line each way per message. The client sends one request; the daemon answers with
 * `accepted`, the execution's progress as `event`s, then one `result`. It refuses a client of
 * another build (`codeId` differs: the daemon would run other code than the command asked
 * for), and the client then runs the execution itself, as it does without a daemon.
 *
 * Public data only, as in Step Functions state: state names and timings, the execution's
 * status and error, the stored version's metadata. No key, no password, ever.
 */
import type { StoredVersion } from '../domain/ports';
import type { LocalRenewalRequest } from './declared';

export const EXECUTION_PROTOCOL = 1;

/** Where `executions` are served, as published in the daemon's state.json. */
export interface ExecutionEndpoint {
  readonly socket: string;
  /** The build the daemon runs (bin/cli.js: the bundle it loaded). */
  readonly codeId: string;
}

/** Who runs the execution: the daemon and its CA. */
export interface DaemonInfo {
  readonly pid: number;
  readonly directoryUrl: string;
  readonly dnsPort: number;
}

export type ExecutionRequest =
  | { readonly protocol: typeof EXECUTION_PROTOCOL; readonly codeId: string; readonly op: 'issue'; readonly request: LocalRenewalRequest }
  | { readonly protocol: typeof EXECUTION_PROTOCOL; readonly codeId: string; readonly op: 'renew'; readonly certificateId: string; readonly configFile?: string };

/** A state machine history event as the progress printer needs it (no state input or output). */
export interface ProgressEvent {
  readonly type: string;
  readonly timestamp: number;
  readonly state?: { readonly name: string; readonly type?: string };
  readonly Error?: string;
  readonly retry?: { readonly attempt?: number };
}

export interface ExecutionSummary {
  readonly executionId: string;
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly error?: string;
  readonly cause?: string;
  readonly transitions: number;
  readonly lambdaInvocations: number;
}

export type ExecutionMessage =
  | { readonly type: 'accepted'; readonly request: LocalRenewalRequest; readonly daemon: DaemonInfo }
  | { readonly type: 'synthesis'; readonly phase: 'start' }
  | { readonly type: 'synthesis'; readonly phase: 'done'; readonly ms: number }
  | { readonly type: 'event'; readonly event: ProgressEvent }
  | { readonly type: 'result'; readonly result: ExecutionSummary; readonly current: StoredVersion | null }
  /** Not run here: the client runs it itself (another build; the daemon is stopping). */
  | { readonly type: 'refused'; readonly reason: string }
  /** The request is the operator's to fix (e.g. renew of an undeclared id): exit 2. */
  | { readonly type: 'usage'; readonly message: string }
  | { readonly type: 'error'; readonly message: string };

/** Unix socket paths are limited to 108 bytes; a deep CERTFLOW_HOME gets no socket (and the in-process path). */
export const MAX_SOCKET_PATH = 100;

/** The history event, stripped to what progress shows. */
export function progressEvent(event: { readonly type: string; readonly timestamp: number; readonly state?: { readonly name: string; readonly type?: string }; readonly Error?: unknown; readonly retry?: unknown }): ProgressEvent {
  const attempt = (event.retry as { attempt?: unknown } | undefined)?.attempt;
  return {
    type: event.type,
    timestamp: event.timestamp,
    ...(event.state ? { state: { name: event.state.name, ...(event.state.type ? { type: event.state.type } : {}) } } : {}),
    ...(event.Error !== undefined ? { Error: String(event.Error) } : {}),
    ...(typeof attempt === 'number' ? { retry: { attempt } } : {}),
  };
}
