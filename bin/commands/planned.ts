/** The next renewal as `certflow list` shows it, locally and on AWS (domain/core/scan-plan.ts plannedRenewals). */
import type { Verdict } from '../../domain/core/renewal-policy';

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
