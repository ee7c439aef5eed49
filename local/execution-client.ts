/**
 * The command's side of local/execution-protocol.ts: run one RenewCertificate execution in the
 * local CA daemon and follow it. Light on purpose (node:fs and node:net only): this is the whole
 * of what `certflow issue` loads when the daemon runs.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { StoredVersion } from '../domain/ports';
import type { LocalRenewalRequest } from './declared';
import { EXECUTION_PROTOCOL, type DaemonInfo, type ExecutionEndpoint, type ExecutionMessage, type ExecutionSummary, type ProgressEvent } from './execution-protocol';

export type DaemonTarget = { readonly op: 'issue'; readonly request: LocalRenewalRequest } | { readonly op: 'renew'; readonly certificateId: string; readonly configFile?: string };

export type DaemonOutcome =
  /** No daemon serves executions here (none runs, an older one, another build): run it in this process. */
  | { readonly kind: 'unavailable'; readonly why?: string }
  /** The operator's to fix: exit 2. */
  | { readonly kind: 'usage'; readonly message: string }
  | { readonly kind: 'done'; readonly request: LocalRenewalRequest; readonly daemon: DaemonInfo; readonly result: ExecutionSummary; readonly current: StoredVersion | null };

export interface DaemonHandlers {
  /** The daemon took the request (with the names it will issue for); progress follows. */
  readonly onAccepted?: (request: LocalRenewalRequest, daemon: DaemonInfo) => void;
  readonly onSynthesis?: (event: { readonly phase: 'start' } | { readonly phase: 'done'; readonly ms: number }) => void;
  readonly onEvent?: (event: ProgressEvent) => void;
  /** Every message as received (tests check that no secret is on the wire). */
  readonly onMessage?: (line: string) => void;
}

/** The daemon's published endpoint, read from its state.json (undefined: none, or one without executions). */
export function executionEndpoint(home: string): ExecutionEndpoint | undefined {
  try {
    const state = JSON.parse(fs.readFileSync(path.join(home, 'local-ca', 'state.json'), 'utf8')) as { executions?: Partial<ExecutionEndpoint> };
    const { socket, codeId } = state.executions ?? {};
    return typeof socket === 'string' && typeof codeId === 'string' ? { socket, codeId } : undefined;
  } catch {
    return undefined;
  }
}

const GONE = new Set(['ENOENT', 'ECONNREFUSED', 'ENOTSOCK']);

/**
 * Run `target` in the daemon of `home` when it serves this build (`codeId`). Resolves
 * `unavailable` only when nothing ran; once the daemon accepted, a lost connection is an error
 * (the execution may still be running there: running it here too would order twice).
 */
export async function executeInDaemon(home: string, target: DaemonTarget, codeId: string, handlers: DaemonHandlers = {}): Promise<DaemonOutcome> {
  const endpoint = executionEndpoint(home);
  if (!endpoint) return { kind: 'unavailable' };
  if (endpoint.codeId !== codeId) return { kind: 'unavailable', why: 'the local CA daemon runs another build of certflow: this command runs the execution itself (certflow local stop, then certflow local start, makes it fast again)' };
  return new Promise<DaemonOutcome>((resolve, reject) => {
    const socket = net.createConnection(endpoint.socket);
    let accepted: { request: LocalRenewalRequest; daemon: DaemonInfo } | undefined;
    let settled = false;
    const settle = (outcome: DaemonOutcome | Error) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    let buffered = '';
    const receive = (line: string) => {
      handlers.onMessage?.(line);
      const message = JSON.parse(line) as ExecutionMessage;
      switch (message.type) {
        case 'accepted':
          accepted = { request: message.request, daemon: message.daemon };
          handlers.onAccepted?.(message.request, message.daemon);
          break;
        case 'synthesis':
          handlers.onSynthesis?.(message);
          break;
        case 'event':
          handlers.onEvent?.(message.event);
          break;
        case 'result':
          if (!accepted) return settle(new Error('the local CA daemon answered a result before accepting the request'));
          return settle({ kind: 'done', ...accepted, result: message.result, current: message.current });
        case 'refused':
          return settle({ kind: 'unavailable', why: message.reason });
        case 'usage':
          return settle({ kind: 'usage', message: message.message });
        case 'error':
          return settle(new Error(`the local CA daemon: ${message.message}`));
      }
    };
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify({ protocol: EXECUTION_PROTOCOL, codeId, ...target })}\n`));
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let end: number;
      while (!settled && (end = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 1);
        try {
          receive(line);
        } catch (error) {
          settle(new Error(`the local CA daemon sent something unreadable: ${error instanceof Error ? error.message : String(error)}`));
        }
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // Before anything was accepted, a daemon that is gone just means: run it here.
      if (!accepted && GONE.has(error.code ?? '')) settle({ kind: 'unavailable' });
      else settle(new Error(`the connection to the local CA daemon failed: ${error.message}`));
    });
    socket.on('close', () =>
      settle(
        accepted
          ? new Error(`the local CA daemon closed the connection before the execution ended; it may still be running there (see ${path.join(home, 'local-ca', 'daemon.log')}, then certflow status ${accepted.request.certificateId})`)
          : { kind: 'unavailable', why: 'the local CA daemon closed the connection without an answer' },
      ),
    );
  });
}
