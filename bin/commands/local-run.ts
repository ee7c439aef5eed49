/**
 * `certflow issue|renew` on the embedded local default, in this process: on the CA of
 * `certflow local start` when it runs (no Pebble to start), else on a Pebble of its own. The same
 * synthesized RenewCertificate, the same store, the same output either way.
 */
import type { StoredVersion } from '../../domain/ports';
import type { LocalRenewalRequest } from '../../local/declared';
import type { ExecutionResult } from '../../local/runner';
import { messageOf } from './cause';
import { EXIT, UsageError } from './exit';
import { certflowHome } from '../../local/home';

const home = certflowHome;
const out = (line = '') => process.stdout.write(`${line}\n`);

const header = (request: LocalRenewalRequest) => `\nRenewCertificate for ${request.names.join(', ')} (${request.keyType ?? 'ec-p256'}) as '${request.certificateId}'\n`;

/** issue: the request as given; renew: a certificate declared in the config. */
export type LocalTarget = { readonly op: 'issue'; readonly request: LocalRenewalRequest } | { readonly op: 'renew'; readonly certificateId: string; readonly configFile?: string };

export interface LocalRunOptions {
  readonly json?: boolean;
  /** `renew --all`: every declared certificate, due or not. */
  readonly force?: boolean;
}

/** A NotDeclared (an undeclared id, no config) is the operator's to fix: exit 2. */
async function declared<T>(read: (module: typeof import('../../local/declared')) => Promise<T>): Promise<T> {
  const module = await import('../../local/declared');
  try {
    return await read(module);
  } catch (error) {
    throw error instanceof module.NotDeclared ? new UsageError(error.message) : error;
  }
}

// Loaded when a command runs: list/status/history stay fast and never start Pebble.
const startPipeline = async (write: (text: string) => void) => (await import('../../local/default')).startLocalDefault({ root: home(), write });

export async function runLocalRenewal(target: LocalTarget, options: LocalRunOptions = {}): Promise<number> {
  const asJson = options.json ?? false;
  const write = asJson ? (text: string) => process.stderr.write(text) : (text: string) => process.stdout.write(text);
  const request = target.op === 'issue' ? target.request : await declared(({ declaredCertificate }) => declaredCertificate(target.certificateId, target.configFile));
  const { progressPrinter } = await import('../../local/progress');
  const pipeline = await startPipeline(write);
  try {
    write(header(request));
    const result = await pipeline.executor.run(request, { onEvent: progressPrinter((line) => write(`${line}\n`)) });
    const current = result.status === 'SUCCEEDED' ? await pipeline.store.current(request.certificateId) : undefined;
    return report(result, current, asJson);
  } finally {
    await pipeline.stop();
  }
}

/** A failed execution for a person: its error name and the message, never the raw Lambda Cause document. */
export function failureLine(result: Pick<ExecutionResult, 'error' | 'cause'>): string {
  return `FAILED: ${result.error ?? 'unknown error'}: ${messageOf(result.cause)}`;
}

function report(result: ExecutionResult, current: StoredVersion | undefined, asJson: boolean): number {
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
    process.stderr.write(`\n${failureLine(result)}\n`);
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
  readonly status: ExecutionResult['status'];
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
 * every certificate declared in the config, one after another on one pipeline, one line each.
 * Exit 0 when every one renewed, 1 when any failed (the others still run).
 */
export async function runLocalRenewAll(configFile: string | undefined, options: LocalRunOptions = {}): Promise<number> {
  if (!options.force) {
    const inventory = await declared(({ declaredInventory }) => declaredInventory(configFile));
    if (inventory.length === 0) throw new UsageError(`no certificate is declared in ${configFile ?? 'certflow.config.ts'}`);
    const write = options.json ? (text: string) => process.stderr.write(text) : (text: string) => process.stdout.write(text);
    return (await import('./renew-due')).runLocalRenewDue(inventory, configFile ?? 'certflow.config.ts', { write, out, ...(options.json ? { json: true } : {}) });
  }
  const requests = await declared(({ declaredCertificates }) => declaredCertificates(configFile));
  const source = configFile ?? 'certflow.config.ts';
  if (requests.length === 0) throw new UsageError(`no certificate is declared in ${source}`);
  const write = options.json ? (text: string) => process.stderr.write(text) : (text: string) => process.stdout.write(text);
  write(`Renewing the ${requests.length} certificate(s) declared in ${source}\n`);
  const pipeline = await startPipeline(write);
  const rows: RenewedRow[] = [];
  try {
    for (const [index, request] of requests.entries()) {
      const started = performance.now();
      const result = await pipeline.executor.run(request);
      const current = result.status === 'SUCCEEDED' ? await pipeline.store.current(request.certificateId) : undefined;
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
    await pipeline.stop();
  }
  const failed = rows.filter((row) => row.status !== 'SUCCEEDED');
  if (options.json) out(JSON.stringify({ renewed: rows.length - failed.length, failed: failed.length, certificates: rows }, null, 2));
  else out(`\nRenewed ${rows.length - failed.length} of ${rows.length}${failed.length ? `; failed: ${failed.map((row) => row.certificateId).join(', ')}` : ''}`);
  return failed.length ? EXIT.failed : EXIT.ok;
}
