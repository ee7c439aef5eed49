/** Route 53 DNS-01 adapter: exact request shapes (Prepare / Act / Assess). */
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  GetHostedZoneCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ALREADY_PRESENT, Route53DnsProvider, type AuthoritativeCheck } from '../../../../lambdas/adapters/aws/route53-dns';
import type { TxtRecord } from '../../../../lambdas/ports';

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

  it('looks a zone up by name when its id is not configured, skipping private zones', async () => {
    route53.on(ListHostedZonesByNameCommand).resolves({
      HostedZones: [
        { Id: '/hostedzone/ZPRIVATE', Name: 'lookup.test.', CallerReference: 'a', Config: { PrivateZone: true } },
        { Id: '/hostedzone/ZPUBLIC', Name: 'lookup.test.', CallerReference: 'b', Config: { PrivateZone: false } },
      ],
    });
    const dns = new Route53DnsProvider(new Route53Client({ region: 'us-east-1' }), { zones: [{ name: 'lookup.test' }], authoritativeCheck });
    await dns.present([{ name: '_acme-challenge.www.lookup.test', value: 'v' }]);
    await dns.present([{ name: '_acme-challenge.www.lookup.test', value: 'w' }]);
    expect(route53.commandCalls(ListHostedZonesByNameCommand).map((call) => call.args[0].input)).toEqual([{ DNSName: 'lookup.test', MaxItems: 1 }]);
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)[0]!.args[0].input.HostedZoneId).toBe('ZPUBLIC');
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
