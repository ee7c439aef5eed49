/** DNS-01 provider for the embedded DNS server; "in sync" is checked by real UDP queries. */
import { DnsChangeRejected } from '../../core/errors';
import { zoneFor } from '../../core/dns-names';
import type { ChangeRef, DnsChallengeProvider, TxtRecord } from '../../ports';
import { queryTxt, type LocalZoneStore } from './dns-server';

/** Where the records go and the UDP port that serves them (a LocalDnsServer, or the local CA daemon's). */
export interface LocalDnsTarget {
  readonly data: LocalZoneStore;
  readonly port: number;
}

export class LocalDnsProvider implements DnsChallengeProvider {
  constructor(private readonly server: LocalDnsTarget) {}

  private zoneOf(record: TxtRecord): string {
    const zone = zoneFor(record.name, this.server.data.zones);
    if (!zone) throw new DnsChangeRejected(`${record.name} is in no zone served by the local DNS server`);
    return zone.name;
  }

  async present(records: readonly TxtRecord[]): Promise<ChangeRef[]> {
    const byZone = new Map<string, TxtRecord[]>();
    for (const record of records) {
      const zone = this.zoneOf(record);
      byZone.set(zone, [...(byZone.get(zone) ?? []), record]);
    }
    return [...byZone].map(([zone, batch]) => ({ zone, id: this.server.data.add(batch) }));
  }

  async isInSync(changes: readonly ChangeRef[]): Promise<boolean> {
    for (const change of changes) {
      const records = this.server.data.change(change.id);
      if (!records) throw new DnsChangeRejected(`unknown change ${change.id}`);
      for (const record of records) {
        const served = await queryTxt({ host: '127.0.0.1', port: this.server.port }, record.name);
        if (!served.includes(record.value)) return false;
      }
    }
    return true;
  }

  async cleanup(records: readonly TxtRecord[]): Promise<void> {
    this.server.data.remove(records);
  }
}

LocalDnsProvider satisfies new (server: LocalDnsTarget) => DnsChallengeProvider;
