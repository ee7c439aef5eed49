/** Route 53 DNS-01 adapter: exact request shapes (Prepare / Act / Assess). */
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  GetHostedZoneCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
  type ListHostedZonesByNameCommandInput,
  type ListHostedZonesByNameCommandOutput,
} from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ALREADY_PRESENT, Route53DnsProvider, type AuthoritativeCheck } from '../../../../domain/adapters/aws/route53-dns';
import type { HostedZone } from '../../../../domain/core/dns-names';
import type { TxtRecord } from '../../../../domain/ports';

const route53 = mockClient(Route53Client);
const checks: { nameServers: string[]; records: readonly TxtRecord[] }[] = [];
let authoritativeAnswer = true;
const authoritativeCheck: AuthoritativeCheck = async (nameServers, records) => {
  checks.push({ nameServers, records });
  return authoritativeAnswer;
};

const zones = [
  { name: 'example.com', id: 'Z1COM' },
  { name: 'example.net', id: '/hostedzone/Z2NET' },
  { name: 'acme.example.org', id: 'Z3VALIDATION' },
];
const provider = (options: Partial<ConstructorParameters<typeof Route53DnsProvider>[1]> = {}) =>
  new Route53DnsProvider(new Route53Client({ region: 'us-east-1' }), { zones, authoritativeCheck, ...options });

function txtSet(name: string, values: string[], ttl = 60) {
  return { ResourceRecordSets: [{ Name: name, Type: 'TXT' as const, TTL: ttl, ResourceRecords: values.map((Value) => ({ Value })) }] };
}

const apex = { name: '_acme-challenge.example.com', value: 'apexValue' };
const wildcard = { name: '_acme-challenge.example.com', value: 'wildcardValue' };
const other = { name: '_acme-challenge.mq.example.net', value: 'mqValue' };

beforeEach(() => {
  route53.reset();
  checks.length = 0;
  authoritativeAnswer = true;
  route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [] });
  route53.on(ChangeResourceRecordSetsCommand).resolves({ ChangeInfo: { Id: '/change/C123', Status: 'PENDING', SubmittedAt: new Date() } });
});

describe('present', () => {
  it('writes one merged, quoted TXT set per name, one ChangeBatch per zone, keeping foreign values', async () => {
    route53
      .on(ListResourceRecordSetsCommand, { HostedZoneId: 'Z1COM', StartRecordName: '_acme-challenge.example.com.' })
      .resolves(txtSet('_acme-challenge.example.com.', ['"someone-else"'], 300));

    const refs = await provider().present([apex, wildcard, other]);

    expect(route53.commandCalls(ListResourceRecordSetsCommand).map((call) => call.args[0].input)).toEqual([
      { HostedZoneId: 'Z1COM', StartRecordName: '_acme-challenge.example.com.', StartRecordType: 'TXT', MaxItems: 1 },
      { HostedZoneId: 'Z2NET', StartRecordName: '_acme-challenge.mq.example.net.', StartRecordType: 'TXT', MaxItems: 1 },
    ]);
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand).map((call) => call.args[0].input)).toEqual([
      {
        HostedZoneId: 'Z1COM',
        ChangeBatch: {
          Comment: 'certflow: ACME DNS-01 challenge',
          Changes: [
            {
              Action: 'UPSERT',
              ResourceRecordSet: {
                Name: '_acme-challenge.example.com.',
                Type: 'TXT',
                TTL: 60,
                ResourceRecords: [{ Value: '"someone-else"' }, { Value: '"apexValue"' }, { Value: '"wildcardValue"' }],
              },
            },
          ],
        },
      },
      {
        HostedZoneId: 'Z2NET',
        ChangeBatch: {
          Comment: 'certflow: ACME DNS-01 challenge',
          Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: '_acme-challenge.mq.example.net.', Type: 'TXT', TTL: 60, ResourceRecords: [{ Value: '"mqValue"' }] } }],
        },
      },
    ]);
    expect(refs).toEqual([{ zone: 'Z1COM', id: 'C123' }, { zone: 'Z2NET', id: 'C123' }]);
  });

  it('follows a CNAME delegation into the validation zone', async () => {
    await provider({ delegations: [{ match: 'example.com', targetZone: 'acme.example.org' }] }).present([apex]);
    const [call] = route53.commandCalls(ChangeResourceRecordSetsCommand);
    expect(call!.args[0].input.HostedZoneId).toBe('Z3VALIDATION');
    expect(call!.args[0].input.ChangeBatch!.Changes![0]!.ResourceRecordSet!.Name).toBe('example.com.acme.example.org.');
  });

  it('on a retry whose values are already written, submits nothing and verifies the name servers instead', async () => {
    route53.on(ListResourceRecordSetsCommand).resolves(txtSet('_acme-challenge.example.com.', ['"apexValue"', '"wildcardValue"']));
    route53.on(GetHostedZoneCommand).resolves({ DelegationSet: { NameServers: ['ns-1.awsdns-01.org', 'ns-2.awsdns-02.com'] }, HostedZone: undefined });

    const dns = provider();
    const refs = await dns.present([apex, wildcard]);
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(0);
    expect(refs).toEqual([{ zone: 'Z1COM', id: ALREADY_PRESENT }]);

    authoritativeAnswer = false;
    expect(await dns.isInSync(refs, [apex, wildcard])).toBe(false);
    authoritativeAnswer = true;
    expect(await dns.isInSync(refs, [apex, wildcard])).toBe(true);
    expect(route53.commandCalls(GetHostedZoneCommand)[0]!.args[0].input).toEqual({ Id: 'Z1COM' });
    expect(route53.commandCalls(GetChangeCommand)).toHaveLength(0);
    expect(checks.at(-1)).toEqual({ nameServers: ['ns-1.awsdns-01.org', 'ns-2.awsdns-02.com'], records: [apex, wildcard] });
  });

  it.each(['Throttling', 'PriorRequestNotComplete'])('turns %s into the retryable DnsThrottled', async (name) => {
    route53.on(ChangeResourceRecordSetsCommand).rejects(Object.assign(new Error('Rate exceeded'), { name }));
    await expect(provider().present([apex])).rejects.toMatchObject({ name: 'DnsThrottled', retryable: true });
  });

  it('rejects names outside every configured zone', async () => {
    await expect(provider().present([{ name: '_acme-challenge.example.io', value: 'v' }])).rejects.toMatchObject({ name: 'DnsChangeRejected' });
  });
});

describe('isInSync', () => {
  it('is GetChange = INSYNC for every submitted change', async () => {
    route53.on(GetChangeCommand, { Id: 'C1' }).resolves({ ChangeInfo: { Id: '/change/C1', Status: 'INSYNC', SubmittedAt: new Date() } });
    route53.on(GetChangeCommand, { Id: 'C2' }).resolves({ ChangeInfo: { Id: '/change/C2', Status: 'PENDING', SubmittedAt: new Date() } });
    const dns = provider();
    expect(await dns.isInSync([{ zone: 'Z1COM', id: 'C1' }], [apex])).toBe(true);
    expect(await dns.isInSync([{ zone: 'Z1COM', id: 'C1' }, { zone: 'Z2NET', id: 'C2' }], [apex, other])).toBe(false);
    expect(route53.commandCalls(GetChangeCommand).map((call) => call.args[0].input)).toEqual([{ Id: 'C1' }, { Id: 'C1' }, { Id: 'C2' }]);
    expect(checks).toHaveLength(0);
  });

  it('also asks the authoritative name servers when configured to', async () => {
    route53.on(GetChangeCommand).resolves({ ChangeInfo: { Id: '/change/C1', Status: 'INSYNC', SubmittedAt: new Date() } });
    route53.on(GetHostedZoneCommand).resolves({ DelegationSet: { NameServers: ['ns-1.example'] }, HostedZone: undefined });
    authoritativeAnswer = false;
    expect(await provider({ verifyAuthoritative: true }).isInSync([{ zone: 'Z1COM', id: 'C1' }], [apex])).toBe(false);
    expect(checks).toEqual([{ nameServers: ['ns-1.example'], records: [apex] }]);
  });
});

describe('cleanup', () => {
  it('removes only our values, keeping the set (and its TTL) when foreign values remain', async () => {
    route53.on(ListResourceRecordSetsCommand).resolves(txtSet('_acme-challenge.example.com.', ['"someone-else"', '"apexValue"', '"wildcardValue"'], 300));
    await provider().cleanup([apex, wildcard]);
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)[0]!.args[0].input).toEqual({
      HostedZoneId: 'Z1COM',
      ChangeBatch: {
        Comment: 'certflow: remove ACME DNS-01 challenge',
        Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: '_acme-challenge.example.com.', Type: 'TXT', TTL: 300, ResourceRecords: [{ Value: '"someone-else"' }] } }],
      },
    });
  });

  it('deletes the set, repeating it exactly, when nothing else remains', async () => {
    route53.on(ListResourceRecordSetsCommand).resolves(txtSet('_acme-challenge.example.com.', ['"apexValue"'], 60));
    await provider().cleanup([apex]);
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)[0]!.args[0].input.ChangeBatch!.Changes).toEqual([
      { Action: 'DELETE', ResourceRecordSet: { Name: '_acme-challenge.example.com.', Type: 'TXT', TTL: 60, ResourceRecords: [{ Value: '"apexValue"' }] } },
    ]);
  });

  it('treats values that are already gone as done', async () => {
    route53.on(ListResourceRecordSetsCommand).resolves(txtSet('_acme-challenge.example.com.', ['"someone-else"']));
    await provider().cleanup([apex]);
    route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [] });
    await provider().cleanup([apex]);
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(0);
  });

  it('reads again once when the set changed under it (InvalidChangeBatch)', async () => {
    route53.on(ListResourceRecordSetsCommand).resolves(txtSet('_acme-challenge.example.com.', ['"apexValue"']));
    route53
      .on(ChangeResourceRecordSetsCommand)
      .rejectsOnce(Object.assign(new Error('Tried to delete resource record set but values do not match'), { name: 'InvalidChangeBatch' }))
      .resolves({ ChangeInfo: { Id: '/change/C9', Status: 'PENDING', SubmittedAt: new Date() } });
    await provider().cleanup([apex]);
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(2);
    expect(route53.commandCalls(ListResourceRecordSetsCommand)).toHaveLength(2);
  });
});

interface ListedZone {
  readonly id: string;
  readonly name: string;
  readonly private?: boolean;
}

/**
 * ListHostedZonesByName as the API reference describes it
 * (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListHostedZonesByName.html): zones
 * sorted by name with the labels reversed, then by id; the page starts at DNSName (and
 * HostedZoneId) and holds at most MaxItems (default 100); IsTruncated with NextDNSName and
 * NextHostedZoneId when more follow. The emulator ignores MaxItems, hence this fake.
 */
function listing(zones: readonly ListedZone[]) {
  const reversed = (name: string) => name.replace(/\.$/, '').split('.').reverse().join('.');
  const sorted = [...zones].sort((a, b) => reversed(a.name).localeCompare(reversed(b.name)) || a.id.localeCompare(b.id));
  return (input: ListHostedZonesByNameCommandInput): ListHostedZonesByNameCommandOutput => {
    const from = reversed(input.DNSName ?? '');
    const rest = sorted.filter((zone) => {
      const order = reversed(zone.name).localeCompare(from);
      return order > 0 || (order === 0 && (!input.HostedZoneId || zone.id >= input.HostedZoneId));
    });
    const maxItems = input.MaxItems ?? 100;
    const next = rest[maxItems];
    return {
      $metadata: {},
      HostedZones: rest.slice(0, maxItems).map((zone) => ({ Id: `/hostedzone/${zone.id}`, Name: `${zone.name}.`, CallerReference: zone.id, Config: { PrivateZone: zone.private ?? false } })),
      DNSName: input.DNSName,
      HostedZoneId: input.HostedZoneId,
      MaxItems: maxItems,
      IsTruncated: next !== undefined,
      ...(next ? { NextDNSName: `${next.name}.`, NextHostedZoneId: next.id } : {}),
    };
  };
}

describe('zone lookup by name (no id configured)', () => {
  const byName = () => new Route53DnsProvider(new Route53Client({ region: 'us-east-1' }), { zones: [{ name: 'lookup.test' }], authoritativeCheck });
  const record = { name: '_acme-challenge.www.lookup.test', value: 'v' };
  const lookups = () => route53.commandCalls(ListHostedZonesByNameCommand).map((call) => call.args[0].input);
  const changedZone = () => route53.commandCalls(ChangeResourceRecordSetsCommand)[0]?.args[0].input.HostedZoneId;
  const privateZones = (count: number) => Array.from({ length: count }, (_, i) => ({ id: `ZPRIVATE${i}`, name: 'lookup.test', private: true }));

  it('skips a private zone of the same name listed before the public one, and caches the id', async () => {
    route53.on(ListHostedZonesByNameCommand).callsFake(listing([...privateZones(1), { id: 'ZPUBLIC', name: 'lookup.test' }]));
    const dns = byName();
    await dns.present([record]);
    await dns.present([{ ...record, value: 'w' }]);
    expect(lookups()).toEqual([{ DNSName: 'lookup.test', MaxItems: 10 }]);
    expect(changedZone()).toBe('ZPUBLIC');
  });

  it('pages on (NextDNSName, NextHostedZoneId) while the listing still has zones of that name', async () => {
    // Private zones (one per VPC group) fill the first page; the public zone is on the second.
    route53.on(ListHostedZonesByNameCommand).callsFake(listing([...privateZones(10), { id: 'ZPUBLIC', name: 'lookup.test' }, { id: 'ZWWW', name: 'www.lookup.test' }]));
    await byName().present([record]);
    expect(lookups()).toEqual([
      { DNSName: 'lookup.test', MaxItems: 10 },
      { DNSName: 'lookup.test.', HostedZoneId: 'ZPUBLIC', MaxItems: 10 },
    ]);
    expect(changedZone()).toBe('ZPUBLIC');
  });

  it('stops at the first zone of another name', async () => {
    const subzones = Array.from({ length: 12 }, (_, i) => ({ id: `ZSUB${i}`, name: `host${i}.lookup.test` }));
    route53.on(ListHostedZonesByNameCommand).callsFake(listing([{ id: 'ZPUBLIC', name: 'lookup.test' }, ...subzones]));
    await byName().present([record]);
    expect(lookups()).toEqual([{ DNSName: 'lookup.test', MaxItems: 10 }]);
    expect(changedZone()).toBe('ZPUBLIC');
  });

  it('refuses to choose between several public zones of the same name, across pages', async () => {
    route53.on(ListHostedZonesByNameCommand).callsFake(listing([{ id: 'ZA', name: 'lookup.test' }, ...privateZones(10), { id: 'ZZ', name: 'lookup.test' }]));
    await expect(byName().present([record])).rejects.toMatchObject({
      name: 'DnsChangeRejected',
      message: '2 public hosted zones are named lookup.test: ZA, ZZ; configure the id of the one to use (hostedZones[].id)',
    });
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(0);
  });

  it('fails clearly when only private zones have the name', async () => {
    route53.on(ListHostedZonesByNameCommand).callsFake(listing([...privateZones(2), { id: 'ZOTHER', name: 'other.test' }]));
    await expect(byName().present([record])).rejects.toMatchObject({ name: 'DnsChangeRejected', message: 'no public hosted zone named lookup.test' });
  });
});

describe('cross-account zones: each zone through the client for its role', () => {
  const ROLE_PARTNER = 'arn:aws:iam::222222222222:role/certflow-dns';
  const ROLE_LOOKUP = 'arn:aws:iam::333333333333:role/certflow-dns';
  // One client per account; the class-level mock tells them apart by the instance a call went to.
  const clients = { home: new Route53Client({ region: 'us-east-1' }), partner: new Route53Client({ region: 'us-east-1' }), lookup: new Route53Client({ region: 'us-east-1' }) };
  type Account = keyof typeof clients;
  const accountOf = (client: unknown) => (Object.keys(clients) as Account[]).find((account) => clients[account] === client)!;
  const crossZones: HostedZone[] = [
    { name: 'example.com', id: 'Z1COM' },
    { name: 'partner.example', id: 'ZPARTNER', roleArn: ROLE_PARTNER },
    { name: 'lookup.example', roleArn: ROLE_LOOKUP },
  ];
  const asked: string[] = [];
  const clientFor = (zone: HostedZone) => {
    asked.push(`${zone.name} ${zone.roleArn ?? 'own account'}`);
    return zone.roleArn === ROLE_PARTNER ? clients.partner : zone.roleArn === ROLE_LOOKUP ? clients.lookup : clients.home;
  };
  const records = [
    { name: '_acme-challenge.example.com', value: 'home' },
    { name: '_acme-challenge.mq.partner.example', value: 'partner' },
    { name: '_acme-challenge.lookup.example', value: 'lookup' },
  ];
  /** Per account: the zone (or change) each kind of request named. */
  function requestsBy(account: Account) {
    const of = (command: Parameters<typeof route53.commandCalls>[0], field: string) =>
      route53
        .commandCalls(command)
        .filter((call) => accountOf(call.thisValue) === account)
        .map((call) => (call.args[0].input as Record<string, unknown>)[field]);
    return {
      lookups: of(ListHostedZonesByNameCommand, 'DNSName'),
      reads: [...new Set(of(ListResourceRecordSetsCommand, 'HostedZoneId'))],
      changes: of(ChangeResourceRecordSetsCommand, 'HostedZoneId'),
      getChange: of(GetChangeCommand, 'Id'),
      getHostedZone: of(GetHostedZoneCommand, 'Id'),
    };
  }

  beforeEach(() => {
    asked.length = 0;
    const lookupAccount = listing([{ id: 'ZLOOKUP', name: 'lookup.example' }]);
    route53.on(ListHostedZonesByNameCommand).callsFake((input, client) => (accountOf(client()) === 'lookup' ? lookupAccount(input) : listing([])(input)));
    route53.on(ChangeResourceRecordSetsCommand).callsFake((_, client) => ({ ChangeInfo: { Id: `/change/C-${accountOf(client())}`, Status: 'PENDING', SubmittedAt: new Date() } }));
    route53.on(GetChangeCommand).callsFake((_, client) => ({ ChangeInfo: { Id: `/change/C-${accountOf(client())}`, Status: 'INSYNC', SubmittedAt: new Date() } }));
    route53.on(GetHostedZoneCommand).callsFake((_, client) => ({ DelegationSet: { NameServers: [`ns.${accountOf(client())}.example`] } }));
  });

  it('present, isInSync and cleanup call each zone only through its own account', async () => {
    const dns = new Route53DnsProvider(clientFor, { zones: crossZones, authoritativeCheck, verifyAuthoritative: true });

    const refs = await dns.present(records);
    expect(refs).toEqual([{ zone: 'Z1COM', id: 'C-home' }, { zone: 'ZPARTNER', id: 'C-partner' }, { zone: 'ZLOOKUP', id: 'C-lookup' }]);
    route53.on(ListResourceRecordSetsCommand).callsFake((input: { StartRecordName: string }) => txtSet(input.StartRecordName, ['"home"', '"partner"', '"lookup"']));
    expect(await dns.isInSync(refs, records)).toBe(true);
    await dns.cleanup(records);

    expect(requestsBy('home')).toEqual({ lookups: [], reads: ['Z1COM'], changes: ['Z1COM', 'Z1COM'], getChange: ['C-home'], getHostedZone: ['Z1COM'] });
    expect(requestsBy('partner')).toEqual({ lookups: [], reads: ['ZPARTNER'], changes: ['ZPARTNER', 'ZPARTNER'], getChange: ['C-partner'], getHostedZone: ['ZPARTNER'] });
    expect(requestsBy('lookup')).toEqual({ lookups: ['lookup.example'], reads: ['ZLOOKUP'], changes: ['ZLOOKUP', 'ZLOOKUP'], getChange: ['C-lookup'], getHostedZone: ['ZLOOKUP'] });
    expect(checks.map((check) => check.nameServers)).toEqual([['ns.home.example'], ['ns.partner.example'], ['ns.lookup.example']]);
    expect(new Set(asked)).toEqual(new Set(['example.com own account', `partner.example ${ROLE_PARTNER}`, `lookup.example ${ROLE_LOOKUP}`]));
  });

  it('in a new container (check-dns-sync), finds the account of a change from its records', async () => {
    const dns = new Route53DnsProvider(clientFor, { zones: crossZones, authoritativeCheck });
    expect(await dns.isInSync([{ zone: 'ZPARTNER', id: 'C-partner' }], [records[1]!])).toBe(true);
    expect(requestsBy('partner').getChange).toEqual(['C-partner']);
    expect(requestsBy('home').getChange).toEqual([]);
  });

  it('rejects a change whose zone holds none of the records (no account to ask)', async () => {
    const dns = new Route53DnsProvider(clientFor, { zones: crossZones, authoritativeCheck });
    await expect(dns.isInSync([{ zone: 'ZPARTNER', id: 'C-partner' }], [records[0]!])).rejects.toMatchObject({ name: 'DnsChangeRejected' });
    expect(route53.commandCalls(GetChangeCommand)).toHaveLength(0);
  });

  it('names the role when a cross-account zone cannot be found', async () => {
    const dns = new Route53DnsProvider(clientFor, { zones: [{ name: 'missing.example', roleArn: ROLE_PARTNER }], authoritativeCheck });
    await expect(dns.present([{ name: '_acme-challenge.missing.example', value: 'v' }])).rejects.toMatchObject({
      name: 'DnsChangeRejected',
      message: `no public hosted zone named missing.example (account of ${ROLE_PARTNER})`,
    });
    expect(requestsBy('partner').lookups).toEqual(['missing.example']);
  });
});
