/**
 * `certflow renew --all` on the local default: renew what is due, like `certbot renew` (`--force`
 * renews every declaration, bin/commands/local-run.ts). Not a second policy: it runs the
 * synthesized ScanCertificates state machine on the declarations, as the schedule does on AWS, so
 * ARI (renewalInfo per certificate, `replaces` on the order), the lifetime rule and the order
 * budget decide here too. With `certflow local start` running, its CA remembers what it issued and
 * answers ARI; a CA started for this command alone does not know the certificates (its renewalInfo
 * answers 404) and the lifetime rule decides, with one warning in the scan's log.
 *
 * The scan's first step, AdvanceRotation, looks at the private root's rotation under way (ADR 0013):
 * the next phase when every host's report passed this one's gate, and the reissues that phase needs
 * lead the scan's renewals (certificates `certflow issue` made, undeclared, get a row of their own).
 */
import type { ManagedCertificate } from '../../domain/contracts/settings';
import { plannedRenewals } from '../../domain/core/scan-plan';
import type { RotationScan } from '../../lambdas/handlers/advance-rotation';
import { holderLine } from './ca-rotate';
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
  const { certflowHome, startLocalDefault } = await import('../../local/default');
  const pipeline = await startLocalDefault({ root: certflowHome(), write, certificates: declared });
  const rows: DueRow[] = [];
  let rotation: (RotationScan & { error?: string }) | undefined;
  try {
    const started = performance.now();
    const result = await pipeline.scanExecutor.run({});
    if (result.status !== 'SUCCEEDED') {
      process.stderr.write(`\nFAILED: the scan: ${result.error}: ${messageOf(result.cause)}\n`);
      return EXIT.failed;
    }
    const output = result.output as { outcomes?: Outcome[]; rotation?: RotationScan & { error?: string } };
    const outcomes = new Map((output.outcomes ?? []).map((outcome) => [outcome.certificateId, outcome]));
    rotation = output.rotation;
    if (rotation?.error) write(`Root rotation: not read (${rotation.error}); the scan went on without it\n`);
    else if (rotation?.active) write(`${rotationLine(rotation)}\n`);
    const stored = await pipeline.store.inventory();
    const planned = plannedRenewals({ declared, stored, now: new Date(), intervalHours: pipeline.deps.settings.scan?.intervalHours });
    // The declared certificates, then any other the scan renewed (a rotation's reissue of a `certflow issue`d one).
    const ids = [...declared.map(({ id }) => id), ...[...outcomes.keys()].filter((id) => !declared.some((certificate) => certificate.id === id))];
    for (const id of ids) {
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
  const rotationField = rotation?.active ? { rotation: rotationView(rotation) } : {};
  if (options.json) out(JSON.stringify({ renewed: renewed.length, failed: failed.length, notDue: notDue.length, certificates: rows, ...rotationField }, null, 2));
  else out(`\nRenewed ${renewed.length} of ${rows.length}${failed.length ? `; failed: ${failed.map((row) => row.certificateId).join(', ')}` : ''}${notDue.length ? `; not due: ${notDue.length}` : ''}`);
  return failed.length ? EXIT.failed : EXIT.ok;
}

/** What the scan did with the rotation under way (AdvanceRotation). */
function rotationLine(rotation: RotationScan): string {
  const reissued = rotation.reissue.length ? `; reissuing ${rotation.reissue.map((request) => request.certificateId).join(', ')}` : '';
  const holders = (rotation.heldBy ?? []).map(holderLine).join(', ');
  if (rotation.advanced) return `Root rotation of ${rotation.ca}: phase ${rotation.from} → ${rotation.phase} (every host passed ${rotation.from})${reissued}`;
  return `Root rotation of ${rotation.ca}: held at phase ${rotation.phase}${holders ? ` by ${holders}` : ''}${reissued}`;
}

/** What `renew --all --json` says of the rotation. */
const rotationView = (rotation: RotationScan) => ({
  ca: rotation.ca,
  from: rotation.from,
  phase: rotation.phase,
  advanced: rotation.advanced ?? false,
  heldBy: rotation.heldBy ?? [],
  reissued: rotation.reissue.map((request) => request.certificateId),
});

function line(row: DueRow): string {
  if (row.status === 'SUCCEEDED') return `✓ ${row.certificateId}  version ${row.version}  serial ${row.serialNumber}  notAfter ${row.notAfter}`;
  if (row.status === 'FAILED') return `✗ ${row.certificateId}  ${row.error}: ${row.message}`;
  return `· ${row.certificateId}  not due${row.renewAt ? ` (planned ${row.renewAt}, sooner if the CA's ARI window says so)` : ''}`;
}
