/**
 * How often the scan must run for the certificates declared: one rule for every issuer. Each
 * certificate needs ATTEMPTS scans (first attempt, then retries or budget deferrals) between its
 * latest renewal point and the point it must not pass:
 *
 * - ACME (renewal-policy.ts): latest point never before ½ of the lifetime, floor at ⅙ left, so
 *   4 · interval ≤ (⅚ − ½) · lifetime, i.e. lifetime / 12 (13.3 h for a 160-h `shortlived`).
 * - A private CA's identity (private-renewal.ts): latest point 80 %, expiry at 100 %, so
 *   4 · interval ≤ 0.2 · lifetime, i.e. lifetime / 20 (8.4 h for 7 days, 1.2 h for 1 day).
 *
 * The schedule is the one stated, unless it is too coarse for a certificate (a problem naming the
 * certificate that binds); unstated, the order budget's window (a scan every window uses every
 * window's orders), shortened to the tightest bound. Pure; infra/config.ts applies it.
 */
import { formatLifetime } from './profile-lifetimes';
import { ATTEMPTS_BEFORE_FLOOR, FLOOR_FRACTION } from './renewal-policy';
import { PRIVATE_ATTEMPTS_BEFORE_EXPIRY, PRIVATE_RENEWAL_WINDOW } from './private-renewal';

export type RenewalRule = 'acme' | 'privateCa';

/** What one declared certificate needs of the schedule. */
export interface ScheduleNeed {
  readonly certificateId: string;
  readonly rule: RenewalRule;
  readonly lifetimeHours: number;
  /** What the lifetime comes from, for the message: `profile shortlived`, `private CA identity`. */
  readonly source: string;
}

const BOUNDS: Readonly<Record<RenewalRule, { readonly share: number; readonly attempts: number; readonly why: string }>> = {
  acme: { share: 1 - FLOOR_FRACTION - 1 / 2, attempts: ATTEMPTS_BEFORE_FLOOR, why: 'scans between its latest renewal point and ⅙ of its lifetime left; docs/renewal-policy.md' },
  // Rounded so 0.2 is 0.2, not 0.19999999999999996 (messages show the bound, floored to a tenth).
  privateCa: { share: Math.round((1 - PRIVATE_RENEWAL_WINDOW.latest) * 1e9) / 1e9, attempts: PRIVATE_ATTEMPTS_BEFORE_EXPIRY, why: 'scans between 80 % of its lifetime and expiry; docs/private-ca.md' },
};

/** The longest scan interval (hours) that keeps a certificate's attempts before its floor (ACME) or expiry (private CA). */
export function maxScanIntervalHours(rule: RenewalRule, lifetimeHours: number): number {
  const { share, attempts } = BOUNDS[rule];
  return (share * lifetimeHours) / attempts;
}

const floorTenth = (hours: number) => Math.floor(hours * 10) / 10;

export interface ScheduleInput {
  readonly needs: readonly ScheduleNeed[];
  /** `schedule.scanIntervalHours`, when stated. */
  readonly statedHours?: number;
  /** The order budget's window (hours): the default interval. */
  readonly windowHours: number;
}

export function scanSchedule({ needs, statedHours, windowHours }: ScheduleInput): { hours: number } | { problem: string } {
  let binding: { need: ScheduleNeed; bound: number } | undefined;
  for (const need of needs) {
    const bound = maxScanIntervalHours(need.rule, need.lifetimeHours);
    if (!binding || bound < binding.bound) binding = { need, bound };
  }
  if (binding && (statedHours ?? 1) > binding.bound) {
    const { need, bound } = binding;
    const needs = `certificates['${need.certificateId}'] (${need.source}, ${formatLifetime(need.lifetimeHours)}) needs a scan at least every ${floorTenth(bound)} h`;
    const why = `(${BOUNDS[need.rule].attempts} ${BOUNDS[need.rule].why})`;
    return { problem: statedHours === undefined ? `no schedule fits: ${needs} ${why}` : `${statedHours} h is too coarse for the shortest lifetime declared: ${needs} ${why}` };
  }
  if (statedHours !== undefined) return { hours: statedHours };
  return { hours: Math.max(1, Math.floor(Math.min(windowHours, binding?.bound ?? Infinity))) };
}
