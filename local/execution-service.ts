/**
 * The daemon's side of local/execution-protocol.ts: serves RenewCertificate executions for
 * `certflow issue|renew` on one warm pipeline (definitions loaded, modules compiled, the CA's
 * trust in hand), exactly as a command would run them in its own process: the same synthesized
 * definition, the same store under CERTFLOW_HOME, the same shared CA.
 *
 * An execution that a client stops following (Ctrl-C, a dropped connection) runs to its end, as
 * on Step Functions; its result is in the store and events.jsonl either way.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import { cachedDefinitions, definitionsKey, type DefinitionCacheOptions } from './definition-cache';
import { declaredCertificate, NotDeclared, type LocalRenewalRequest } from './declared';
import { connectLocalPipeline, type LocalRunner, type SharedLocalCa } from './environment';
import { EXECUTION_PROTOCOL, progressEvent, type ExecutionEndpoint, type ExecutionMessage, type ExecutionRequest } from './execution-protocol';

export interface ExecutionServiceOptions {
  /** CERTFLOW_HOME: the store and events.jsonl the executions write. */
  readonly home: string;
  readonly ca: SharedLocalCa;
  readonly endpoint: ExecutionEndpoint;
  /** Default: the on-disk definition cache, checked on every request (infra or config edits take effect). */
  readonly definitions?: DefinitionCacheOptions;
  /** Where the line per execution goes (default stderr: daemon.log). */
  readonly log?: (line: string) => void;
  /** Default: certflow.config.ts. */
  readonly declared?: (certificateId: string, configFile?: string) => Promise<LocalRenewalRequest>;
}

export interface ExecutionService {
  /** Load the definitions and wire the pipeline now, so the first command does not pay for it. */
  warm(): Promise<void>;
  close(): Promise<void>;
}

/** A request line longer than this is not a request. */
const MAX_REQUEST_BYTES = 64 * 1024;

function parseRequest(line: string): ExecutionRequest | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'the request is not JSON';
  }
  const request = value as Partial<ExecutionRequest> & { request?: Partial<LocalRenewalRequest>; certificateId?: unknown };
  if (typeof request !== 'object' || request === null) return 'the request is not an object';
  if (request.protocol !== EXECUTION_PROTOCOL) return `protocol ${String(request.protocol)} (this daemon speaks ${EXECUTION_PROTOCOL})`;
  if (typeof request.codeId !== 'string') return 'no codeId';
  if (request.op === 'renew' && typeof request.certificateId === 'string' && ['string', 'undefined'].includes(typeof (request as { configFile?: unknown }).configFile)) return request as ExecutionRequest;
  // The state machine's ValidateRequest checks every field; here only what the daemon itself reads.
  if (request.op === 'issue' && typeof request.request?.certificateId === 'string' && Array.isArray(request.request.names)) return request as ExecutionRequest;
  return 'neither an issue nor a renew request';
}

export async function serveExecutions(options: ExecutionServiceOptions): Promise<ExecutionService> {
  const { home, ca, endpoint } = options;
  const declared = options.declared ?? declaredCertificate;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const runners = new Map<string, Promise<LocalRunner>>();

  /** The pipeline for the current definitions (a new one when the infra sources or the config changed). */
  const runnerFor = (onSynthesis?: DefinitionCacheOptions['onProgress']): Promise<LocalRunner> => {
    const key = definitionsKey(options.definitions?.sourceRoot, options.definitions?.sources);
    let runner = runners.get(key);
    if (!runner) {
      runner = cachedDefinitions({ ...options.definitions, ...(onSynthesis ? { onProgress: onSynthesis } : {}) }).then((definitions) =>
        connectLocalPipeline(ca, { root: home, definitions }),
      );
      runner.catch(() => runners.delete(key));
      runners.clear(); // older definitions are not used again
      runners.set(key, runner);
    }
    return runner;
  };

  const handle = async (request: ExecutionRequest, send: (message: ExecutionMessage) => void): Promise<void> => {
    if (request.codeId !== endpoint.codeId) {
      send({ type: 'refused', reason: 'the local CA daemon runs another build of certflow (certflow local stop, then certflow local start, runs the current one)' });
      return;
    }
    let renewal: LocalRenewalRequest;
    if (request.op === 'renew') {
      try {
        renewal = await declared(request.certificateId, request.configFile);
      } catch (error) {
        if (error instanceof NotDeclared) return send({ type: 'usage', message: error.message });
        throw error;
      }
    } else renewal = request.request;
    send({ type: 'accepted', request: renewal, daemon: { pid: process.pid, directoryUrl: ca.directoryUrl, dnsPort: ca.dns.port } });
    const runner = await runnerFor((event) => send({ type: 'synthesis', ...event }));
    const started = performance.now();
    const result = await runner.executor.run(renewal, { onEvent: (event) => send({ type: 'event', event: progressEvent(event) }) });
    // One line per execution in daemon.log (its stderr): ids, outcome and time, nothing else.
    log(`${new Date().toISOString()} ${result.executionId} ${renewal.certificateId}: ${result.status}${result.error ? ` ${result.error}` : ''} in ${Math.round(performance.now() - started)} ms`);
    const current = result.status === 'SUCCEEDED' ? ((await runner.store.current(renewal.certificateId)) ?? null) : null;
    const { executionId, status, error, cause, transitions, lambdaInvocations } = result;
    send({ type: 'result', result: { executionId, status, ...(error ? { error } : {}), ...(cause ? { cause } : {}), transitions, lambdaInvocations }, current });
  };

  const server = net.createServer((socket) => {
    let buffered = '';
    let started = false;
    const send = (message: ExecutionMessage) => {
      if (!socket.destroyed) socket.write(`${JSON.stringify(message)}\n`);
    };
    socket.setEncoding('utf8');
    socket.on('error', () => {}); // a client that left: the execution goes on
    socket.on('data', (chunk: string) => {
      if (started) return;
      buffered += chunk;
      const end = buffered.indexOf('\n');
      if (end < 0) {
        if (buffered.length > MAX_REQUEST_BYTES) socket.destroy();
        return;
      }
      started = true;
      const request = parseRequest(buffered.slice(0, end));
      if (typeof request === 'string') {
        send({ type: 'error', message: `bad request: ${request}` });
        socket.end();
        return;
      }
      handle(request, send)
        .catch((error: unknown) => send({ type: 'error', message: error instanceof Error ? error.message : String(error) }))
        .finally(() => socket.end());
    });
  });

  fs.rmSync(endpoint.socket, { force: true }); // a socket file a killed daemon left behind
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(endpoint.socket, () => {
      server.off('error', reject);
      resolve();
    });
  });
  fs.chmodSync(endpoint.socket, 0o600);

  return {
    warm: async () => {
      await runnerFor();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        fs.rmSync(endpoint.socket, { force: true });
      }),
  };
}
