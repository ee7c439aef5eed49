/**
 * `certflow renew --all` on the local default: renew what is due, like `certbot renew` (`--force`
 * renews every declaration, bin/commands/local-run.ts). Not a second policy: it runs the
 * synthesized ScanCertificates state machine on the declarations, as the schedule does on AWS, so
 * ARI (renewalInfo per certificate, `replaces` on the order), the lifetime rule and the order
 * budget decide here too. With `certflow local start` running, its CA remembers what it issued and
 * answers ARI; a CA started for this command alone does not know the certificates (its renewalInfo
 * answers 404) and the lifetime rule decides, with one warning in the scan's log.
 *
 * Before the scan it looks at the private root's rotation under way (ADR 0013): the next phase when
 * every host's report passed this one's gate, with the reissue that phase needs — what the scan
 * state machine's AdvanceRotation step does on AWS. The scan then starts on the record as it is.
 */
import type { ManagedCertificate } from '../../domain/contracts/settings';
import { plannedRenewals } from '../../domain/core/scan-plan';
import { RotationConflict } from '../../domain/core/root-rotation';
import type { RotationDrive } from './ca-rotate';
import { messageOf } from './cause';
import { EXIT } from './exit';

interface Outcome {
  readonly certificateId: string;
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly error?: string;
  /** The child execution's failure, as the scan's RenewalFailed state keeps it (JSON with its cause). */
  readonly cause?: string;
}

/** The renewal's own error and message out of the scan's record of the failed child execution. */
function childFailure({ error, cause }: Outcome): { error: string; message: string } {
  try {
    const parsed = JSON.parse(cause ?? '') as { error?: unknown; cause?: unknown };
    if (typeof parsed.error === 'string') return { error: parsed.error, message: messageOf(typeof parsed.cause === 'string' ? parsed.cause : undefined) };
  } catch {
    // not the local runner's JSON: show it as it is
  }
  return { error: error ?? 'unknown error', message: messageOf(cause) };
}

interface DueRow {
  readonly certificateId: string;
  readonly status: 'SUCCEEDED' | 'FAILED' | 'NOT_DUE';
  readonly version?: string;
  readonly serialNumber?: string;
  readonly notAfter?: string;
  /** NOT_DUE: when the lifetime rule plans it (the CA's ARI window may bring it earlier). */
  readonly renewAt?: string;
  readonly error?: string;
  readonly message?: string;
}

export interface RenewDueOptions {
  readonly json?: boolean;
  readonly write: (text: string) => void;
  readonly out: (line: string) => void;
}

export async function runLocalRenewDue(declared: readonly ManagedCertificate[], source: string, options: RenewDueOptions): Promise<number> {
  const { write, out } = options;
  write(`Renewing what is due of the ${declared.length} certificate(s) declared in ${source} (--force: every one)\n`);
  const rotation = await lookAtRotation(write);
  const { certflowHome, startLocalDefault } = await import('../../local/default');
  const pipeline = await startLocalDefault({ root: certflowHome(), write, certificates: declared });
  const rows: DueRow[] = [];
  try {
    const started = performance.now();
    const result = await pipeline.scanExecutor.run({});
    if (result.status !== 'SUCCEEDED') {
      process.stderr.write(`\nFAILED: the scan: ${result.error}: ${messageOf(result.cause)}\n`);
      return EXIT.failed;
    }
    const outcomes = new Map(((result.output as { outcomes: Outcome[] }).outcomes ?? []).map((outcome) => [outcome.certificateId, outcome]));
    const stored = await pipeline.store.inventory();
    const planned = plannedRenewals({ declared, stored, now: new Date(), intervalHours: pipeline.deps.settings.scan?.intervalHours });
    for (const { id } of declared) {
      const outcome = outcomes.get(id);
      const current = outcome?.status === 'SUCCEEDED' ? await pipeline.store.current(id) : undefined;
      const renewAt = planned.get(id)?.renewAt;
      rows.push({
        certificateId: id,
        status: outcome?.status ?? 'NOT_DUE',
        ...(current ? { version: current.version, serialNumber: current.metadata.serialNumber, notAfter: current.metadata.notAfter } : {}),
        ...(outcome ? {} : renewAt ? { renewAt } : {}),
        ...(outcome?.status === 'FAILED' ? childFailure(outcome) : {}),
      });
    }
    rows.forEach((row, index) => write(`[${index + 1}/${rows.length}] ${line(row)}\n`));
    write(`(scan ${Math.round(performance.now() - started)} ms)\n`);
  } finally {
    await pipeline.stop();
  }
  const count = (status: DueRow['status']) => rows.filter((row) => row.status === status);
  const [renewed, failed, notDue] = [count('SUCCEEDED'), count('FAILED'), count('NOT_DUE')];
  const rotationView = rotation.drive ? { rotation: (await import('./ca-rotate')).rotationDriveView(rotation.drive) } : {};
  if (options.json) out(JSON.stringify({ renewed: renewed.length, failed: failed.length, notDue: notDue.length, certificates: rows, ...rotationView }, null, 2));
  else out(`\nRenewed ${renewed.length} of ${rows.length}${failed.length ? `; failed: ${failed.map((row) => row.certificateId).join(', ')}` : ''}${notDue.length ? `; not due: ${notDue.length}` : ''}`);
  return failed.length || rotation.failed ? EXIT.failed : EXIT.ok;
}

/** The rotation under way, moved on when its gate passed; its line in the output. A reissue that failed fails the run. */
async function lookAtRotation(write: (text: string) => void): Promise<{ drive?: RotationDrive; failed: boolean }> {
  const { driveRotation, rotationDriveLine } = await import('./ca-rotate');
  try {
    const drive = await driveRotation(write);
    if (drive) write(`${rotationDriveLine(drive)}\n`);
    return { ...(drive ? { drive } : {}), failed: (drive?.failed.length ?? 0) > 0 };
  } catch (error) {
    // Another run (ca rotate --advance, a second scan) moved it first: that run reissues.
    if (!(error instanceof RotationConflict)) throw error;
    write(`Root rotation: ${error.message}\n`);
    return { failed: false };
  }
}

function line(row: DueRow): string {
  if (row.status === 'SUCCEEDED') return `✓ ${row.certificateId}  version ${row.version}  serial ${row.serialNumber}  notAfter ${row.notAfter}`;
  if (row.status === 'FAILED') return `✗ ${row.certificateId}  ${row.error}: ${row.message}`;
  return `· ${row.certificateId}  not due${row.renewAt ? ` (planned ${row.renewAt}, sooner if the CA's ARI window says so)` : ''}`;
}
