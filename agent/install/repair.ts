/**
 * Start-up repair after a crash (power loss, SIGKILL mid-install): drop staging directories and
 * temporary links, and make sure `live/<id>` points at a complete version whose key matches its
 * certificate — the one it points at when that holds, otherwise the newest complete one that the
 * store vouches for. A version someone planted in `archive/` is complete and self-consistent, so
 * completeness alone must not let it go live: the store has to know its version and fingerprint.
 */
import type { VersionMetadata } from '../../domain/contracts/bundle';
import type { InstallDir } from './install-dir';

/** Does the store hold this version with this fingerprint? */
export type Vouch = (metadata: VersionMetadata) => Promise<boolean>;

export interface RepairResult {
  /** intact: nothing to fix; repaired: live/<id> was switched; empty: no complete version at all. */
  readonly outcome: 'intact' | 'repaired' | 'empty';
  /** Where live/<id> points now (undefined when empty). */
  readonly live?: number;
  /** Where it pointed before, when that was not a complete version. */
  readonly brokenLive?: number;
  readonly brokenReason?: string;
  /** Staging directories and temporary links that were removed. */
  readonly removed: string[];
  /** Complete versions passed over because the store does not know them (left in place, for an operator to look at). */
  readonly unknownToStore?: number[];
}

async function removeLeftovers(dir: InstallDir, certificateId: string): Promise<string[]> {
  const leftovers = [
    ...(await dir.stagingDirs(certificateId)),
    ...(await dir.temporaryLinks(certificateId)),
    ...(await dir.files.temporariesOf(dir.reloadedFile(certificateId))),
  ];
  for (const leftover of leftovers) await dir.files.fs.rm(leftover, { recursive: true, force: true });
  return leftovers;
}

export async function repairInstall(dir: InstallDir, certificateId: string, vouch: Vouch = async () => true): Promise<RepairResult> {
  const removed = await removeLeftovers(dir, certificateId);
  const live = await dir.liveVersion(certificateId);
  let brokenReason: string | undefined;
  if (live !== undefined) {
    const check = await dir.checkVersion(certificateId, live);
    if (check.complete) return { outcome: 'intact', live, removed };
    brokenReason = check.reason;
  } else if (await dir.files.fs.lstat(dir.liveLink(certificateId)).catch(() => undefined)) {
    brokenReason = 'live link points outside the archive';
  }
  const unknownToStore: number[] = [];
  const passedOver = () => (unknownToStore.length > 0 ? { unknownToStore } : {});
  for (const n of (await dir.versionNumbers(certificateId)).reverse()) {
    if (n === live) continue;
    const check = await dir.checkVersion(certificateId, n);
    if (!check.complete) continue;
    if (!(await vouch(check.metadata))) {
      unknownToStore.push(n);
      continue;
    }
    await dir.switchLive(certificateId, n);
    return { outcome: 'repaired', live: n, brokenLive: live, brokenReason, removed, ...passedOver() };
  }
  return { outcome: 'empty', brokenLive: live, brokenReason, removed, ...passedOver() };
}
