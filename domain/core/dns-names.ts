/** Pure helpers for domain names and DNS-01 record names. */
import type { HostedZone } from '../contracts/settings';

// A hosted zone is part of the settings' contract (domain/contracts/settings.ts).
export type { HostedZone };

/** Lowercase and drop one trailing dot: `Example.COM.` → `example.com`. */
export function normalizeName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** The name a DNS-01 challenge validates: wildcard `*.a.b` is validated at `a.b`. */
export function baseName(name: string): string {
  return name.startsWith('*.') ? name.slice(2) : name;
}

/** RFC 8555 §8.4: the TXT record lives at `_acme-challenge.<base name>`. */
export function challengeRecordName(name: string): string {
  return `_acme-challenge.${baseName(normalizeName(name))}`;
}

/** The configured zone with the longest suffix match for `name`, or undefined. */
export function zoneFor<Z extends HostedZone>(name: string, zones: readonly Z[]): Z | undefined {
  const fqdn = baseName(normalizeName(name));
  let best: Z | undefined;
  for (const zone of zones) {
    const apex = normalizeName(zone.name);
    const inside = fqdn === apex || fqdn.endsWith(`.${apex}`);
    if (inside && (!best || apex.length > normalizeName(best.name).length)) best = zone;
  }
  return best;
}
