import { rotating, nextRotationPhase, certificatesBehind, RotationConflict, rotationReissues, type Holder, type RotationPhase, type RotationReissue } from '../../domain/core/root-rotation';
import type { StepDeps } from '../deps';
import { lambdaHandler } from '../runtime/lambda';

/** What the scan learns of the private root's rotation; `reissue` joins the scan's requests. */
export interface RotationScan {
  /** No private CA, or no rotation under way: nothing else. */
  readonly active: boolean;
  readonly ca?: string;
  /** The phase before this look. */
  readonly from?: RotationPhase;
  readonly phase?: RotationPhase;
  readonly advanced?: boolean;
  /** Who holds the (new) phase up: host, certificate, reason (public). */
  readonly heldBy?: readonly Holder[];
  /** The RenewCertificate inputs this phase needs: every certificate on a change; while held, those behind it. */
  readonly reissue: readonly RotationReissue[];
}

/**
 * The scan's first step (ADR 0013): the private root's rotation under way moves to its next phase when
 * every member's report since the rotation started passes this phase's gate (the same pure
 * nextRotationPhase as `certflow ca rotate --advance`), and the scan reissues what the new phase
 * needs. Held, it reissues only the certificates behind the phase (a reissue that failed). A down host
 * holds it: never a timer. Another writer moving it first (RotationConflict) leaves the reissue to it.
 */
export async function advanceRotation(
  _input: unknown,
  deps: StepDeps<{ rotations: 'rotation' | 'saveRotation'; hosts: 'hostStates'; store: 'inventory' }>,
): Promise<RotationScan> {
  const ca = deps.settings.privateCa?.certificateAuthorityArn;
  const record = ca ? await deps.rotations.rotation(ca) : undefined;
  if (!record || !rotating(record)) return { active: false, reissue: [] };
  const states = await deps.hosts.hostStates(new Date(record.startedAt));
  const step = nextRotationPhase(record, states, deps.now());
  const stored = await deps.store.inventory();
  const current = new Map(stored.flatMap((state) => (state.current ? [[state.certificateId, state.current.metadata] as const] : [])));
  const declared = deps.settings.certificates ?? [];
  const view = { active: true, ca: record.ca, from: record.phase };
  if (!step.advanced) {
    const behind = certificatesBehind(record, current);
    deps.log.info('root rotation held', { ca: record.ca, phase: record.phase, heldBy: step.holders.length, behind });
    return { ...view, phase: record.phase, advanced: false, heldBy: step.holders, reissue: rotationReissues(behind, declared, current) };
  }
  try {
    await deps.rotations.saveRotation(step.record, record.phase);
  } catch (error) {
    if (!(error instanceof RotationConflict)) throw error;
    deps.log.warn('root rotation moved by another run', { ca: record.ca, phase: record.phase, reason: error.message });
    return { ...view, phase: record.phase, advanced: false, heldBy: [], reissue: [] };
  }
  deps.log.info('root rotation advanced', { ca: record.ca, from: record.phase, phase: step.record.phase });
  // Done changes nothing on the hosts: retire-old already left the old root out.
  const reissue = step.record.phase === 'done' ? [] : rotationReissues(step.record.certificateIds, declared, current);
  return { ...view, phase: step.record.phase, advanced: true, heldBy: step.holders, reissue };
}

export const handler = lambdaHandler(advanceRotation);
