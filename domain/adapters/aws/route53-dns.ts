/**
 * DNS-01 on Route 53, behaving like lego's and cert-manager's solvers:
 * - zone by longest suffix among the configured hosted zones (ids from config, else looked up by
 *   name: the one public zone of exactly that name);
 * - a zone with a `roleArn` is in another account: all its calls go through the client for that
 *   role (zone-clients.ts; docs/cross-account-zones.md);
 * - CNAME-delegated challenges write to the configured validation record instead;
 * - one ChangeBatch per zone for all records of an order; TXT sets merged (apex and wildcard
 *   share a name; values written by others are kept); cleanup removes only our values and
 *   deletes the set only when nothing else remains; already gone is success; TTL 60 s;
 * - sync is `GetChange` = INSYNC (the state machine loops); when a retried step finds its values
 *   already written (the change id was lost with the failed attempt) it submits nothing and
 *   checks the zone's authoritative name servers instead;
 * - throttling (`Throttling`, `PriorRequestNotComplete`: ./throttling.ts) surfaces as DnsThrottled,
 *   which the state machine retries with backoff and jitter.
 *
 * Minimal IAM (see infra/iam.ts): route53:ChangeResourceRecordSets on the configured zones,
 * only TXT, only `_acme-challenge.*` names (condition keys); route53:ListResourceRecordSets and
 * route53:GetHostedZone on those zones; route53:GetChange on change/*; route53:ListHostedZonesByName
 * only when a zone is configured without its id. For a cross-account zone: sts:AssumeRole on its
 * role, which holds these Route 53 permissions in the zone's account.
 */
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  GetHostedZoneCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  type Change,
  type ListHostedZonesByNameCommandInput,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import { normalizeName, zoneFor, type HostedZone } from '../../core/dns-names';
import { DnsChangeRejected, DnsThrottled } from '../../core/errors';
import { challengeTarget, containsAll, mergeTxtValues, removeTxtValues, type ChallengeDelegation } from '../../core/txt-values';
import type { ChangeRef, DnsChallengeProvider, TxtRecord } from '../../ports';
import { awsErrorName, isThrottled } from './throttling';
import type { ZoneClients } from './zone-clients';

const CHALLENGE_TTL_SECONDS = 60;
/** ChangeRef id for a zone whose values a previous attempt already wrote. */
export const ALREADY_PRESENT = 'already-present';
/** Zones sharing one name are few (one public, a private one per VPC group): one page nearly always does. */
const ZONE_LOOKUP_PAGE_SIZE = 10;

/** Do all authoritative servers of the zone answer these values? (Injected: real DNS in Lambda.) */
export type AuthoritativeCheck = (nameServers: string[], records: readonly TxtRecord[]) => Promise<boolean>;

export interface Route53DnsOptions {
  readonly zones: readonly HostedZone[];
  readonly delegations?: readonly ChallengeDelegation[];
  /** Also require every authoritative name server to answer before reporting sync. */
  readonly verifyAuthoritative?: boolean;
  readonly authoritativeCheck: AuthoritativeCheck;
}

interface ZoneBatch {
  readonly zoneId: string;
  /** The client for this zone's account. */
  readonly route53: Route53Client;
  readonly records: TxtRecord[];
}

async function aws<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const message = `Route 53 ${what}: ${(error as Error).message}`;
    if (isThrottled(error)) throw new DnsThrottled(message);
    throw new DnsChangeRejected(message, { cause: error });
  }
}

const fqdn = (name: string) => `${normalizeName(name)}.`;
const bareZoneId = (id: string) => id.replace(/^\/hostedzone\//, '');

export class Route53DnsProvider implements DnsChallengeProvider {
  private readonly zoneIds = new Map<string, string>();
  private readonly clientFor: ZoneClients;

  /** `route53`: one client for every zone, or the client for each zone (cross-account zones). */
  constructor(
    route53: Route53Client | ZoneClients,
    private readonly options: Route53DnsOptions,
  ) {
    this.clientFor = typeof route53 === 'function' ? route53 : () => route53;
    for (const zone of options.zones) if (zone.id) this.zoneIds.set(normalizeName(zone.name), bareZoneId(zone.id));
  }

  private async zoneId(zone: HostedZone): Promise<string> {
    const name = normalizeName(zone.name);
    const known = this.zoneIds.get(name);
    if (known) return known;
    const id = await this.lookUpPublicZone(zone);
    this.zoneIds.set(name, id);
    return id;
  }

  /**
   * ListHostedZonesByName is a listing sorted by name (then id) that starts at DNSName, not an
   * exact lookup: private zones of the same name come in any order, on any page.
   */
  private async lookUpPublicZone(zone: HostedZone): Promise<string> {
    const name = normalizeName(zone.name);
    const route53 = this.clientFor(zone);
    const found: string[] = [];
    let page: ListHostedZonesByNameCommandInput = { DNSName: name, MaxItems: ZONE_LOOKUP_PAGE_SIZE };
    for (;;) {
      const result = await aws('ListHostedZonesByName', () => route53.send(new ListHostedZonesByNameCommand(page)));
      for (const candidate of result.HostedZones ?? []) {
        if (candidate.Id && normalizeName(candidate.Name ?? '') === name && !candidate.Config?.PrivateZone) found.push(bareZoneId(candidate.Id));
      }
      // Once the next zone has another name, no later one has ours.
      if (!result.IsTruncated || !result.NextDNSName || normalizeName(result.NextDNSName) !== name) break;
      page = { DNSName: result.NextDNSName, HostedZoneId: result.NextHostedZoneId, MaxItems: ZONE_LOOKUP_PAGE_SIZE };
    }
    const where = zone.roleArn ? ` (account of ${zone.roleArn})` : '';
    if (found.length === 0) throw new DnsChangeRejected(`no public hosted zone named ${name}${where}`);
    if (found.length > 1) {
      throw new DnsChangeRejected(`${found.length} public hosted zones are named ${name}${where}: ${found.join(', ')}; configure the id of the one to use (hostedZones[].id)`);
    }
    return found[0]!;
  }

  /** Our records, redirected through CNAME delegations and grouped by the zone they land in. */
  private async batches(records: readonly TxtRecord[]): Promise<ZoneBatch[]> {
    const byZone = new Map<string, ZoneBatch>();
    for (const record of records) {
      const name = challengeTarget(normalizeName(record.name), this.options.delegations ?? []);
      const zone = zoneFor(name, this.options.zones);
      if (!zone) throw new DnsChangeRejected(`${name} is in no configured hosted zone`);
      const zoneId = await this.zoneId(zone);
      const batch = byZone.get(zoneId) ?? { zoneId, route53: this.clientFor(zone), records: [] };
      batch.records.push({ name, value: record.value });
      byZone.set(zoneId, batch);
    }
    return [...byZone.values()];
  }

  /** The TXT set at `name`: raw (quoted) values and TTL; no values when there is no such set. */
  private async txtSet({ zoneId, route53 }: ZoneBatch, name: string): Promise<{ values: string[]; ttl: number }> {
    const { ResourceRecordSets = [] } = await aws('ListResourceRecordSets', () =>
      route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: fqdn(name), StartRecordType: 'TXT', MaxItems: 1 })),
    );
    const set = ResourceRecordSets.find((candidate) => candidate.Name === fqdn(name) && candidate.Type === 'TXT');
    return { values: (set?.ResourceRecords ?? []).map((record) => record.Value ?? ''), ttl: set?.TTL ?? CHALLENGE_TTL_SECONDS };
  }

  private static byName(records: readonly TxtRecord[]): Map<string, string[]> {
    const names = new Map<string, string[]>();
    for (const { name, value } of records) names.set(name, [...(names.get(name) ?? []), value]);
    return names;
  }

  private async submit({ zoneId, route53 }: ZoneBatch, changes: Change[], comment: string): Promise<string> {
    const { ChangeInfo } = await aws('ChangeResourceRecordSets', () =>
      route53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Comment: comment, Changes: changes } })),
    );
    if (!ChangeInfo?.Id) throw new DnsChangeRejected('Route 53 returned no change id');
    return ChangeInfo.Id.replace(/^\/change\//, '');
  }

  async present(records: readonly TxtRecord[]): Promise<ChangeRef[]> {
    const refs: ChangeRef[] = [];
    for (const batch of await this.batches(records)) {
      const changes: Change[] = [];
      for (const [name, values] of Route53DnsProvider.byName(batch.records)) {
        const { values: existing } = await this.txtSet(batch, name);
        if (containsAll(existing, values)) continue;
        changes.push({
          Action: 'UPSERT',
          ResourceRecordSet: {
            Name: fqdn(name),
            Type: 'TXT',
            TTL: CHALLENGE_TTL_SECONDS,
            ResourceRecords: mergeTxtValues(existing, values).map((Value) => ({ Value })),
          },
        });
      }
      const id = changes.length === 0 ? ALREADY_PRESENT : await this.submit(batch, changes, 'certflow: ACME DNS-01 challenge');
      refs.push({ zone: batch.zoneId, id });
    }
    return refs;
  }

  async isInSync(changes: readonly ChangeRef[], records: readonly TxtRecord[]): Promise<boolean> {
    const batches = await this.batches(records);
    for (const change of changes) {
      // A change belongs to its zone's account: GetChange must go through that zone's client.
      const batch = batches.find((candidate) => candidate.zoneId === change.zone);
      if (!batch) throw new DnsChangeRejected(`change ${change.id} is for hosted zone ${change.zone}, which holds none of the records`);
      if (change.id !== ALREADY_PRESENT) {
        const { ChangeInfo } = await aws('GetChange', () => batch.route53.send(new GetChangeCommand({ Id: change.id })));
        if (ChangeInfo?.Status !== 'INSYNC') return false;
      }
      if (change.id === ALREADY_PRESENT || this.options.verifyAuthoritative) {
        if (!(await this.options.authoritativeCheck(await this.nameServers(batch), batch.records))) return false;
      }
    }
    return true;
  }

  private async nameServers({ zoneId, route53 }: ZoneBatch): Promise<string[]> {
    const { DelegationSet } = await aws('GetHostedZone', () => route53.send(new GetHostedZoneCommand({ Id: zoneId })));
    return DelegationSet?.NameServers ?? [];
  }

  async cleanup(records: readonly TxtRecord[]): Promise<void> {
    for (const batch of await this.batches(records)) {
      // A set changed by someone else between our read and write fails the batch: read again once.
      for (let attempt = 1; ; attempt += 1) {
        try {
          await this.removeFromZone(batch);
          break;
        } catch (error) {
          if (attempt >= 2 || awsErrorName((error as Error).cause) !== 'InvalidChangeBatch') throw error;
        }
      }
    }
  }

  private async removeFromZone(batch: ZoneBatch): Promise<void> {
    const changes: Change[] = [];
    for (const [name, values] of Route53DnsProvider.byName(batch.records)) {
      const { values: existing, ttl } = await this.txtSet(batch, name);
      const remaining = removeTxtValues(existing, values);
      if (remaining.length === existing.length) continue; // ours are already gone
      changes.push(
        remaining.length === 0
          ? // DELETE must repeat the set exactly, TTL included.
            { Action: 'DELETE', ResourceRecordSet: { Name: fqdn(name), Type: 'TXT', TTL: ttl, ResourceRecords: existing.map((Value) => ({ Value })) } }
          : { Action: 'UPSERT', ResourceRecordSet: { Name: fqdn(name), Type: 'TXT', TTL: ttl, ResourceRecords: remaining.map((Value) => ({ Value })) } },
      );
    }
    if (changes.length > 0) await this.submit(batch, changes, 'certflow: remove ACME DNS-01 challenge');
  }
}

Route53DnsProvider satisfies new (route53: Route53Client | ZoneClients, options: Route53DnsOptions) => DnsChallengeProvider;
