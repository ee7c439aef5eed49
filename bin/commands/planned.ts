/** The next renewal and the current version as `certflow list` and `status` show them, locally and on AWS. */
import type { Verdict } from '../../domain/core/renewal-policy';
import type { RevocationMark } from '../../domain/ports';

export interface NextRenewal {
  /** When it becomes due (absent when due because of what is stored or declared, e.g. names changed). */
  readonly at: string | null;
  readonly due: boolean;
  readonly reason: string;
}

export function nextRenewal(verdict: Verdict | undefined): NextRenewal | null {
  return verdict ? { at: verdict.renewAt ?? null, due: verdict.due, reason: verdict.reason } : null;
}

/** The table cell: the planned time, or "due now" (a due certificate is renewed by the next scan). */
export function nextRenewalCell(next: NextRenewal | null): string {
  if (!next) return '-';
  if (next.due) return next.at ? `due since ${next.at}` : 'due now';
  return next.at ?? '-';
}

/** The VERSION cell: a revoked current version says so (hosts serve it until a renewal). */
export function versionCell(version: string | null | undefined, revoked: RevocationMark | undefined): string {
  if (!version) return '-';
  return revoked ? `${version} (REVOKED)` : version;
}

export function revokedNote(revoked: RevocationMark): string {
  return ` — REVOKED (${revoked.reason}, ${revoked.revokedAt}): hosts serve it until a new one is issued`;
}
