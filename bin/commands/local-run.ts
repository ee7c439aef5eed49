/**
 * `certflow issue|renew` on the embedded local default. With `certflow local start` running this
 * build, the daemon runs the execution (local/execution-client.ts: this process loads no pipeline);
 * otherwise this process runs it, on the daemon's CA when one runs, else on a Pebble of its own.
 * Either way: the same synthesized RenewCertificate, the same store, the same output.
 */
import * as path from 'node:path';
import type { StoredVersion } from '../../domain/ports';
import type { LocalRenewalRequest } from '../../local/declared';
import type { LocalRunner } from '../../local/environment';
import { executeInDaemon, type DaemonTarget } from '../../local/execution-client';
import type { ExecutionSummary } from '../../local/execution-protocol';
import type { ProgressLike } from '../../local/progress';
import { codeIdentity } from '../runtime';
import { messageOf } from './cause';
import { EXIT, UsageError } from './exit';

const home = () => path.resolve(process.env.CERTFLOW_HOME ?? '.certflow');
const out = (line = '') => process.stdout.write(`${line}\n`);

const header = (request: LocalRenewalRequest) => `\nRenewCertificate for ${request.names.join(', ')} (${request.keyType ?? 'ec-p256'}) as '${request.certificateId}'\n`;

export interface LocalRunOptions {
  readonly json?: boolean;
  /** Never hand the execution to the daemon. */
  readonly inProcess?: boolean;
  /** `renew --all`: every declared certificate, due or not. */
  readonly force?: boolean;
}

/** issue: the request as given; renew: the certificate declared in certflow.config.ts. */
export async function runLocalRenewal(target: DaemonTarget, options: LocalRunOptions = {}): Promise<number> {
  const asJson = options.json ?? false;
  const write = asJson ? (text: string) => process.stderr.write(text) : (text: string) => process.stdout.write(text);
  const [{ progressPrinter }, { synthesisProgress }] = await Promise.all([import('../../local/progress'), import('../../local/definition-cache')]);
  const progress = progressPrinter((line) => write(`${line}\n`));
  const codeId = codeIdentity();
  const answer = codeId && !options.inProcess
    ? await executeInDaemon(home(), target, codeId, {
        onAccepted: (request, daemon) =>
          write(`Using the local CA of certflow local start: Pebble ${daemon.directoryUrl}, DNS on 127.0.0.1:${daemon.dnsPort}/udp; its daemon (pid ${daemon.pid}) runs the execution\n${header(request)}`),
        onSynthesis: synthesisProgress(write),
        onEvent: progress,
      })
    : { kind: 'unavailable' as const };
  if (answer.kind === 'usage') throw new UsageError(answer.message);
  if (answer.kind === 'done') return report(answer.result, answer.current ?? undefined, asJson);
  if (answer.why) write(`(${answer.why})\n`);
  return runInProcess(target, asJson, write, progress);
}

async function runInProcess(target: DaemonTarget, asJson: boolean, write: (text: string) => void, onEvent: (event: ProgressLike) => void): Promise<number> {
  let request: LocalRenewalRequest;
  if (target.op === 'issue') request = target.request;
  else {
    const { declaredCertificate, NotDeclared } = await import('../../local/declared');
    try {
      request = await declaredCertificate(target.certificateId, target.configFile);
    } catch (error) {
      throw error instanceof NotDeclared ? new UsageError(error.message) : error;
    }
  }
  // Loaded here: list/status/history stay fast and never start Pebble.
  const { startLocalDefault } = await import('../../local/default');
  const pipeline = await startLocalDefault({ root: home(), write });
  try {
    write(header(request));
    const result = await pipeline.executor.run(request, { onEvent });
    const current = result.status === 'SUCCEEDED' ? await pipeline.store.current(request.certificateId) : undefined;
    return report(result, current, asJson);
  } finally {
    await pipeline.stop();
  }
}

function report(result: ExecutionSummary, current: StoredVersion | undefined, asJson: boolean): number {
  if (asJson) {
    out(
      JSON.stringify(
        {
          executionId: result.executionId,
          status: result.status,
          ...(result.error ? { error: result.error, cause: result.cause } : {}),
          ...(current ? { certificateId: current.certificateId, version: current.version, location: current.location, metadata: current.metadata, formats: current.formats } : {}),
          transitions: result.transitions,
          lambdaInvocations: result.lambdaInvocations,
        },
        null,
        2,
      ),
    );
  }
  if (result.status !== 'SUCCEEDED') {
    process.stderr.write(`\nFAILED: ${result.error}: ${result.cause}\n`);
    return EXIT.failed;
  }
  if (!current) throw new Error('the execution succeeded but the store has no current version');
  if (!asJson) {
    out(`\nIssued '${current.certificateId}' version ${current.version}`);
    out(`  names     ${current.metadata.names.join(', ')}`);
    out(`  serial    ${current.metadata.serialNumber}`);
    out(`  notAfter  ${current.metadata.notAfter}`);
    out(`  files     ${current.location}/ (formats: ${current.formats.join(', ')})`);
  }
  return EXIT.ok;
}

interface RenewedRow {
  readonly certificateId: string;
  readonly status: ExecutionSummary['status'];
  readonly executionId: string;
  readonly ms: number;
  readonly version?: string;
  readonly serialNumber?: string;
  readonly notAfter?: string;
  readonly error?: string;
  readonly message?: string;
}

/**
 * `renew --all`: what is due (bin/commands/renew-due.ts, like `certbot renew`); with `--force`
 * every certificate declared in the config, one after another, one line each. In the daemon when
 * it runs this build, else on one pipeline in this process. Exit 0 when every one renewed, 1 when
 * any failed (the others still run).
 */
export async function runLocalRenewAll(configFile: string | undefined, options: LocalRunOptions = {}): Promise<number> {
  const { declaredCertificates, declaredInventory, NotDeclared } = await import('../../local/declared');
  if (!options.force) {
    const declared = await declaredInventory(configFile).catch((error: unknown) => {
      throw error instanceof NotDeclared ? new UsageError(error.message) : error;
    });
    if (declared.length === 0) throw new UsageError(`no certificate is declared in ${configFile ?? 'certflow.config.ts'}`);
    const write = options.json ? (text: string) => process.stderr.write(text) : (text: string) => process.stdout.write(text);
    return (await import('./renew-due')).runLocalRenewDue(declared, configFile ?? 'certflow.config.ts', { write, out, ...(options.json ? { json: true } : {}) });
  }
  let requests: LocalRenewalRequest[];
  try {
    requests = await declaredCertificates(configFile);
  } catch (error) {
    throw error instanceof NotDeclared ? new UsageError(error.message) : error;
  }
  const source = configFile ?? 'certflow.config.ts';
  if (requests.length === 0) throw new UsageError(`no certificate is declared in ${source}`);
  const write = options.json ? (text: string) => process.stderr.write(text) : (text: string) => process.stdout.write(text);
  write(`Renewing the ${requests.length} certificate(s) declared in ${source}\n`);
  const codeId = codeIdentity();
  let pipeline: LocalRunner | undefined;
  const rows: RenewedRow[] = [];
  try {
    for (const [index, request] of requests.entries()) {
      const started = performance.now();
      // Once this process runs executions itself (no daemon for this build), it keeps doing so.
      const answer = codeId && !options.inProcess && !pipeline ? await executeInDaemon(home(), { op: 'issue', request }, codeId) : ({ kind: 'unavailable' } as const);
      if (answer.kind === 'usage') throw new UsageError(answer.message);
      let result: ExecutionSummary;
      let current: StoredVersion | undefined;
      if (answer.kind === 'done') {
        result = answer.result;
        current = answer.current ?? undefined;
      } else {
        if (answer.why) write(`(${answer.why})\n`);
        pipeline ??= await (await import('../../local/default')).startLocalDefault({ root: home(), write });
        result = await pipeline.executor.run(request);
        current = result.status === 'SUCCEEDED' ? await pipeline.store.current(request.certificateId) : undefined;
      }
      const row: RenewedRow = {
        certificateId: request.certificateId,
        status: result.status,
        executionId: result.executionId,
        ms: Math.round(performance.now() - started),
        ...(current ? { version: current.version, serialNumber: current.metadata.serialNumber, notAfter: current.metadata.notAfter } : {}),
        ...(result.error ? { error: result.error, message: messageOf(result.cause) } : {}),
      };
      rows.push(row);
      const counter = `[${index + 1}/${requests.length}]`;
      write(
        row.status === 'SUCCEEDED'
          ? `${counter} ✓ ${row.certificateId}  version ${row.version}  serial ${row.serialNumber}  notAfter ${row.notAfter}  ${row.ms} ms\n`
          : `${counter} ✗ ${row.certificateId}  ${row.error}: ${row.message}\n`,
      );
    }
  } finally {
    await pipeline?.stop();
  }
  const failed = rows.filter((row) => row.status !== 'SUCCEEDED');
  if (options.json) out(JSON.stringify({ renewed: rows.length - failed.length, failed: failed.length, certificates: rows }, null, 2));
  else out(`\nRenewed ${rows.length - failed.length} of ${rows.length}${failed.length ? `; failed: ${failed.map((row) => row.certificateId).join(', ')}` : ''}`);
  return failed.length ? EXIT.failed : EXIT.ok;
}
