/**
 * How long a certificate of an ACME profile lives. The directory names profiles (`meta.profiles`)
 * but not their lifetimes, so Let's Encrypt's are kept here, with the dates they change (its
 * public announcements, FIELD-NOTES "Let's Encrypt in December 2026"); other CAs state theirs in
 * the config (`acme.profileLifetimeHours`). The one place that knows these numbers: the config
 * check, the default scan schedule and the fleet simulation read them from here. Pure: the date
 * is an argument.
 */

/** A lifetime from `from` (UTC date of issuance) until the next entry's date. */
export interface LifetimeStep {
  readonly from: string;
  readonly hours: number;
}

const DAYS = 24;

/** Let's Encrypt production and staging, by profile; entries oldest first. */
export const LETS_ENCRYPT_PROFILE_LIFETIMES: Readonly<Record<string, readonly LifetimeStep[]>> = {
  classic: [
    { from: '2015-09-14', hours: 90 * DAYS },
    { from: '2027-02-10', hours: 64 * DAYS },
    { from: '2028-02-16', hours: 45 * DAYS },
  ],
  tlsserver: [
    { from: '2025-02-20', hours: 90 * DAYS },
    { from: '2026-05-13', hours: 45 * DAYS },
  ],
  // "Just over six days": 160 hours.
  shortlived: [{ from: '2026-01-15', hours: 160 }],
};

/** The profile an order that names none gets at Let's Encrypt. */
export const LETS_ENCRYPT_DEFAULT_PROFILE = 'classic';

/** The lifetime of a profile's certificate issued at `at`, in hours; undefined for a profile the table does not know. */
export function lifetimeHoursAt(steps: readonly LifetimeStep[] | undefined, at: Date): number | undefined {
  if (!steps || steps.length === 0) return undefined;
  const atMs = at.getTime();
  let hours = steps[0]!.hours;
  for (const step of steps) if (Date.parse(step.from) <= atMs) hours = step.hours;
  return hours;
}

/** The shortest lifetime a profile will have from `at` on (the current one, or a later, shorter one). */
export function shortestLifetimeHoursFrom(steps: readonly LifetimeStep[] | undefined, at: Date): number | undefined {
  const current = lifetimeHoursAt(steps, at);
  if (current === undefined) return undefined;
  return (steps ?? []).filter((step) => Date.parse(step.from) > at.getTime()).reduce((low, step) => Math.min(low, step.hours), current);
}

/** `160 h` or `64 d`, as messages show a lifetime. */
export function formatLifetime(hours: number): string {
  return hours % DAYS === 0 ? `${hours / DAYS} d` : `${hours} h`;
}
