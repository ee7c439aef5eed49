/**
 * The embedded DNS server's zone data read from Route 53 (in tests: the AWS API emulator), so
 * Pebble validates exactly the TXT values the Route 53 adapter wrote. Every query is a fresh
 * ListResourceRecordSets: no cache between the adapter's write and the CA's lookup.
 */
import { ListResourceRecordSetsCommand, type Route53Client } from '@aws-sdk/client-route-53';
import type { ZoneSource } from '../domain/adapters/local/dns-server';
import { normalizeName, zoneFor, type HostedZone } from '../domain/core/dns-names';

/** `"abc"` or `"ab" "c"` (Route 53 zone-file syntax) → `abc`. */
function unquoteTxt(raw: string): string {
  const strings = raw.match(/"((?:[^"\\]|\\.)*)"/g);
  if (!strings) return raw;
  return strings.map((part) => part.slice(1, -1).replace(/\\(.)/g, '$1')).join('');
}

export class Route53ZoneSource implements ZoneSource {
  constructor(
    private readonly route53: Pick<Route53Client, 'send'>,
    /** Zones with their hosted zone ids. */
    readonly zones: readonly (HostedZone & { readonly id: string })[],
  ) {}

  async values(name: string): Promise<string[]> {
    const zone = zoneFor(name, this.zones);
    if (!zone) return [];
    const fqdn = `${normalizeName(name)}.`;
    const { ResourceRecordSets = [] } = await this.route53.send(
      new ListResourceRecordSetsCommand({ HostedZoneId: zone.id, StartRecordName: fqdn, StartRecordType: 'TXT', MaxItems: 1 }),
    );
    const set = ResourceRecordSets.find((candidate) => candidate.Name === fqdn && candidate.Type === 'TXT');
    return (set?.ResourceRecords ?? []).map((record) => unquoteTxt(record.Value ?? ''));
  }
}
