/**
 * TXT record sets as Route 53 holds them: each value a quoted character-string
 * (`"abc"`, or `"part1" "part2"` for long values). Our ACME values are 43-character base64url
 * digests, so they are always one plain quoted string; other writers' values are kept as-is.
 */
import type { ChallengeDelegation } from '../contracts/settings';

/** `abc` → `"abc"` (escaping `"` and `\`, as RFC 1035 zone syntax and Route 53 want). */
export function quoteTxt(value: string): string {
  return `"${value.replace(/[\\"]/g, (char) => `\\${char}`)}"`;
}

/** The record set after adding our values: existing values first, ours appended once. */
export function mergeTxtValues(existing: readonly string[], ours: readonly string[]): string[] {
  const merged = [...existing];
  for (const value of ours.map(quoteTxt)) if (!merged.includes(value)) merged.push(value);
  return merged;
}

/** The record set after removing only our values; others' values stay. */
export function removeTxtValues(existing: readonly string[], ours: readonly string[]): string[] {
  const remove = new Set(ours.map(quoteTxt));
  return existing.filter((value) => !remove.has(value));
}

export function containsAll(existing: readonly string[], ours: readonly string[]): boolean {
  return ours.every((value) => existing.includes(quoteTxt(value)));
}

// CNAME-delegated challenges are part of the settings' contract (domain/contracts/settings.ts).
export type { ChallengeDelegation };

/** Where the TXT for `_acme-challenge.<name>` really goes. Most specific match wins. */
export function challengeTarget(recordName: string, delegations: readonly ChallengeDelegation[]): string {
  const name = recordName.replace(/^_acme-challenge\./, '');
  const candidates = delegations.filter((d) => name === d.match || (!d.target && name.endsWith(`.${d.match}`)));
  const best = candidates.sort((a, b) => b.match.length - a.match.length)[0];
  if (!best) return recordName;
  if (best.target) return best.target;
  return `${name}.${best.targetZone}`;
}
