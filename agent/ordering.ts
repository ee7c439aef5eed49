/**
 * Which version wins. Pure. Events can arrive twice, late and out of order (SQS standard queues,
 * redelivery after a failed reload, reconcile racing an event), so every host decides the same
 * way from the certificates themselves: the later notBefore wins.
 *
 * notBefore has one-second resolution, and two renewals can land in the same second (seen in the
 * e2e test). Serial numbers are random, so they cannot break that tie; the store can: of two
 * certificates with the same notBefore, the one the store calls current wins.
 */
import type { VersionIdentity } from './store-notice';

export type Ordered = Pick<VersionIdentity, 'serialNumber' | 'notBefore'>;

export interface InstalledVersion extends Ordered {
  /** The service was reloaded with it (or there is no reload action). */
  readonly reloaded: boolean;
}

export const DECISIONS = {
  /** Newer than what is installed (or nothing is): install, switch, reload. */
  install: 'install',
  /** Already installed but the service never took it (a crash before the reload): reload only. */
  reload: 'reload',
  /** Installed and loaded: nothing to do. */
  duplicate: 'duplicate',
  /** Older than what is installed: ignore. */
  older: 'older',
  /** Same notBefore as the installed one, another certificate: ask whether the store calls it current. */
  askStore: 'ask-store',
} as const;
export type Decision = (typeof DECISIONS)[keyof typeof DECISIONS];

export function sameCertificate(a: Ordered, b: Ordered): boolean {
  return Date.parse(a.notBefore) === Date.parse(b.notBefore) && BigInt(`0x${a.serialNumber}`) === BigInt(`0x${b.serialNumber}`);
}

/**
 * @param candidateIsStoreCurrent whether the store's current version is the candidate; only
 *   consulted for a same-second tie (undefined then yields `ask-store`).
 */
export function decide(installed: InstalledVersion | undefined, candidate: Ordered, candidateIsStoreCurrent?: boolean): Decision {
  if (installed === undefined) return DECISIONS.install;
  if (sameCertificate(installed, candidate)) return installed.reloaded ? DECISIONS.duplicate : DECISIONS.reload;
  const byTime = Date.parse(candidate.notBefore) - Date.parse(installed.notBefore);
  if (byTime > 0) return DECISIONS.install;
  if (byTime < 0) return DECISIONS.older;
  if (candidateIsStoreCurrent === undefined) return DECISIONS.askStore;
  return candidateIsStoreCurrent ? DECISIONS.install : DECISIONS.older;
}
