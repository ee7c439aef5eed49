/**
 * Contract tests for the Route 53 DNS-01 adapter against the AWS API emulator
 * (test/support/aws.ts), or any endpoint named by AWS_ENDPOINT_URL. Each test names what the
 * Route 53 API reference promises and checks that the adapter relies on nothing more.
 *
 * The emulator does not model (covered by test/unit/adapters/aws/route53-dns.test.ts instead):
 * GetChange is always INSYNC; ListHostedZonesByName ignores MaxItems and returns every match in
 * one page (so paging is only unit-tested); IAM is not enforced (test/infra/iam.test.ts).
 *
 * API reference:
 * - ChangeResourceRecordSets: https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html
 * - ListResourceRecordSets: https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListResourceRecordSets.html
 * - ListHostedZonesByName: https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListHostedZonesByName.html
 * - STS AssumeRole: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
 */
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  DeleteHostedZoneCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
  type Change,
} from '@aws-sdk/client-route-53';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALREADY_PRESENT, Route53DnsProvider } from '../../domain/adapters/aws/route53-dns';
import { zoneClients } from '../../domain/adapters/aws/zone-clients';
import type { HostedZone } from '../../domain/core/dns-names';
import type { ChangeRef, TxtRecord } from '../../domain/ports';
import { aws, awsClientConfig, uniqueSuffix } from '../support/aws';

const run = uniqueSuffix();
const bareId = (id: string) => id.replace('/hostedzone/', '');

/** The TXT set at exactly `name` (values sorted), or undefined. */
async function txtSet(client: Route53Client, zoneId: string, name: string): Promise<{ values: string[]; ttl: number } | undefined> {
  const { ResourceRecordSets = [] } = await client.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
  const set = ResourceRecordSets.find((candidate) => candidate.Name === `${name}.` && candidate.Type === 'TXT');
  return set && { values: (set.ResourceRecords ?? []).map((record) => record.Value!).sort(), ttl: set.TTL! };
}

/** Another writer's UPSERT of a whole TXT set. */
async function writeTxt(client: Route53Client, zoneId: string, name: string, values: string[], ttl: number): Promise<void> {
  await client.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: `${name}.`, Type: 'TXT', TTL: ttl, ResourceRecords: values.map((Value) => ({ Value })) } }] },
    }),
  );
}

async function createZone(client: Route53Client, name: string, vpcId?: string): Promise<string> {
  const { HostedZone } = await client.send(
    new CreateHostedZoneCommand({
      Name: name,
      CallerReference: `${name}-${uniqueSuffix()}`,
      ...(vpcId ? { VPC: { VPCRegion: aws.region as 'us-east-1', VPCId: vpcId }, HostedZoneConfig: { PrivateZone: true } } : {}),
    }),
  );
  return bareId(HostedZone!.Id!);
}

/** Best effort: Route 53 deletes only zones holding nothing but their SOA and NS sets. */
async function deleteZone(client: Route53Client, zoneId: string): Promise<void> {
  const { ResourceRecordSets = [] } = await client.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId })).catch(() => ({ ResourceRecordSets: [] }));
  const changes: Change[] = ResourceRecordSets.filter((set) => set.Type !== 'SOA' && set.Type !== 'NS').map((set) => ({ Action: 'DELETE', ResourceRecordSet: set }));
  if (changes.length > 0) await client.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes: changes } })).catch(() => undefined);
  await client.send(new DeleteHostedZoneCommand({ Id: zoneId })).catch(() => undefined);
}

async function synced(dns: Route53DnsProvider, changes: ChangeRef[], records: TxtRecord[]): Promise<boolean> {
  for (let attempt = 0; attempt < 30; attempt += 1) if (await dns.isInSync(changes, records)) return true;
  return false;
}

describe.skipIf(!aws.endpoint)(`Route 53 adapter against ${aws.endpoint || `(skipped: ${aws.skipReason})`}`, () => {
  const route53 = new Route53Client(awsClientConfig());
  const zoneName = `certflow-r53-${run}.test`;
  const secondName = `certflow-r53b-${run}.test`;
  const created: string[] = [];
  let zoneId = '';
  let secondId = '';
  const nameServersAsked: string[][] = [];
  const provider = (zones: HostedZone[] = [{ name: zoneName, id: zoneId }, { name: secondName, id: secondId }]) =>
    new Route53DnsProvider(route53, {
      zones,
      authoritativeCheck: async (nameServers) => {
        nameServersAsked.push(nameServers);
        return true;
      },
    });

  beforeAll(async () => {
    zoneId = await createZone(route53, zoneName);
    secondId = await createZone(route53, secondName);
    created.push(zoneId, secondId);
  });

  afterAll(async () => {
    for (const id of created) await deleteZone(route53, id);
  });

  it('present merges our values into a set others wrote; cleanup removes only ours', async () => {
    // ChangeResourceRecordSets UPSERT replaces the whole set with the values in the request:
    // nothing merges for us, so the adapter must read, merge and write the union.
    const name = `_acme-challenge.merge.${zoneName}`;
    await writeTxt(route53, zoneId, name, ['"someone-else"'], 300);
    const dns = provider();
    const records = [{ name, value: 'ours' }];

    const changes = await dns.present(records);
    expect(await synced(dns, changes, records)).toBe(true);
    expect((await txtSet(route53, zoneId, name))?.values).toEqual(['"ours"', '"someone-else"']);

    await dns.cleanup(records);
    expect((await txtSet(route53, zoneId, name))?.values).toEqual(['"someone-else"']);
  });

  it('reads only the exact name: ListResourceRecordSets starts at StartRecordName, it does not filter', async () => {
    // "If the specified record name doesn't exist, the results begin with the first resource
    // record set that has a name greater than the value of name" (ListResourceRecordSets).
    const neighbour = `_acme-challenge.www.near.${zoneName}`;
    const name = `_acme-challenge.near.${zoneName}`;
    await writeTxt(route53, zoneId, neighbour, ['"neighbour"'], 60);
    const dns = provider();
    await dns.present([{ name, value: 'ours' }]);
    expect((await txtSet(route53, zoneId, name))?.values).toEqual(['"ours"']);
    expect((await txtSet(route53, zoneId, neighbour))?.values).toEqual(['"neighbour"']);
    await dns.cleanup([{ name, value: 'ours' }]);
    expect(await txtSet(route53, zoneId, name)).toBeUndefined();
    expect((await txtSet(route53, zoneId, neighbour))?.values).toEqual(['"neighbour"']);
  });

  it('apex and wildcard share one name: one set holding both values; cleanup deletes it', async () => {
    // A record set is name + type: two values at one name must be one set with two records.
    const name = `_acme-challenge.${zoneName}`;
    const records = [
      { name, value: 'apex' },
      { name, value: 'wildcard' },
    ];
    const dns = provider();
    const changes = await dns.present(records);
    expect(changes).toHaveLength(1);
    expect(await txtSet(route53, zoneId, name)).toEqual({ values: ['"apex"', '"wildcard"'], ttl: 60 });
    await dns.cleanup(records);
    expect(await txtSet(route53, zoneId, name)).toBeUndefined();
  });

  it('cleanup of values already gone succeeds and changes nothing', async () => {
    // DELETE of a set that does not exist is an InvalidChangeBatch error (ChangeResourceRecordSets):
    // the adapter must not send one.
    const name = `_acme-challenge.gone.${zoneName}`;
    const dns = provider();
    await dns.cleanup([{ name, value: 'never-written' }]);
    await writeTxt(route53, zoneId, name, ['"someone-else"'], 120);
    await dns.cleanup([{ name, value: 'never-written' }]);
    expect(await txtSet(route53, zoneId, name)).toEqual({ values: ['"someone-else"'], ttl: 120 });
  });

  it('DELETE repeats the set exactly, TTL included', async () => {
    // "To delete a resource record set, you must specify all the same values that you specified
    // when you created it" (ChangeResourceRecordSets, DELETE). Our value alone, at a TTL we
    // would not have chosen (an older version, or a hand edit):
    const name = `_acme-challenge.ttl.${zoneName}`;
    await writeTxt(route53, zoneId, name, ['"ours"'], 3600);
    await provider().cleanup([{ name, value: 'ours' }]);
    expect(await txtSet(route53, zoneId, name)).toBeUndefined();
  });

  it('one change per zone when the records span two zones', async () => {
    const records = [
      { name: `_acme-challenge.two.${zoneName}`, value: 'first' },
      { name: `_acme-challenge.two.${secondName}`, value: 'second' },
    ];
    const dns = provider();
    const changes = await dns.present(records);
    expect(changes.map((change) => change.zone)).toEqual([zoneId, secondId]);
    expect(await synced(dns, changes, records)).toBe(true);
    expect((await txtSet(route53, zoneId, records[0]!.name))?.values).toEqual(['"first"']);
    expect((await txtSet(route53, secondId, records[1]!.name))?.values).toEqual(['"second"']);
    expect(await txtSet(route53, secondId, `_acme-challenge.two.${zoneName}`)).toBeUndefined();
    await dns.cleanup(records);
    expect(await txtSet(route53, zoneId, records[0]!.name)).toBeUndefined();
    expect(await txtSet(route53, secondId, records[1]!.name)).toBeUndefined();
  });

  it('a retried present whose values are there submits nothing (ALREADY_PRESENT) and duplicates nothing', async () => {
    // Duplicate values in one change are an InvalidChangeBatch error (ChangeResourceRecordSets).
    const name = `_acme-challenge.retry.${zoneName}`;
    const records = [
      { name, value: 'apex' },
      { name, value: 'wildcard' },
    ];
    const dns = provider();
    await dns.present(records);
    const retried = await provider().present(records);
    expect(retried).toEqual([{ zone: zoneId, id: ALREADY_PRESENT }]);
    expect((await txtSet(route53, zoneId, name))?.values).toEqual(['"apex"', '"wildcard"']);
    // Nothing to poll: sync is the zone's name servers answering (GetHostedZone's delegation set).
    nameServersAsked.length = 0;
    expect(await dns.isInSync(retried, records)).toBe(true);
    expect(nameServersAsked).toHaveLength(1);
    expect(nameServersAsked[0]!.length).toBeGreaterThan(0);
    await dns.cleanup(records);
  });

  // The emulator accepts any VPC id; a real account needs one (CERTFLOW_TEST_VPC_ID).
  const vpcId = aws.isEmulator ? 'vpc-0certflowcontract' : process.env.CERTFLOW_TEST_VPC_ID;
  it.skipIf(!vpcId)('a zone configured by name only is the public one, even when a private zone shares its name', async () => {
    // ListHostedZonesByName lists zones sorted by name from DNSName on; private and public zones
    // of one name both appear, in an order not to rely on. The emulator lists both on one page
    // (it ignores MaxItems), the private one first here (created first): this checks the
    // PrivateZone filter only, and so also passed with the old MaxItems=1 lookup. The regression
    // (the private zone alone on page 1) and paging are unit-tested.
    const name = `split-${run}.test`;
    const privateId = await createZone(route53, name, vpcId);
    const publicId = await createZone(route53, name);
    created.push(privateId, publicId);
    const record = { name: `_acme-challenge.${name}`, value: 'public-only' };
    const dns = provider([{ name }]);

    const changes = await dns.present([record]);
    expect(changes).toEqual([{ zone: publicId, id: expect.any(String) }]);
    expect((await txtSet(route53, publicId, record.name))?.values).toEqual(['"public-only"']);
    expect(await txtSet(route53, privateId, record.name)).toBeUndefined();
    await dns.cleanup([record]);
    expect(await txtSet(route53, publicId, record.name)).toBeUndefined();
  });

  // A second account needs a real cross-account role on AWS; the emulator models accounts by
  // credentials: AssumeRole returns keys that act in the role's account.
  describe.skipIf(!aws.isEmulator)('a zone in another account, through STS AssumeRole (roleArn)', () => {
    const partnerAccount = '210987654321';
    const roleArn = `arn:aws:iam::${partnerAccount}:role/certflow-dns-${run}`;
    const partner = new Route53Client({
      ...awsClientConfig(),
      credentials: fromTemporaryCredentials({ params: { RoleArn: roleArn, RoleSessionName: 'contract-setup' }, clientConfig: awsClientConfig() }),
    });
    const name = `partner-${run}.test`;
    let partnerId = '';
    let decoyId = '';

    beforeAll(async () => {
      partnerId = await createZone(partner, name);
      // A public zone of the same name in the pipeline's own account: it must stay untouched.
      decoyId = await createZone(route53, name);
      created.push(decoyId);
    });

    afterAll(async () => {
      await deleteZone(partner, partnerId);
    });

    it('the emulator separates the accounts (else this test could not tell them apart)', async () => {
      await expect(route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: partnerId }))).rejects.toMatchObject({ name: 'NoSuchHostedZone' });
    });

    it('present, sync and cleanup write in the role account only, the zone looked up there by name', async () => {
      const dns = new Route53DnsProvider(zoneClients({ clientConfig: awsClientConfig(), sessionName: 'certflow-contract' }), {
        zones: [{ name: zoneName, id: zoneId }, { name, roleArn }],
        authoritativeCheck: async () => true,
      });
      const records = [
        { name: `_acme-challenge.${name}`, value: 'partner' },
        { name: `_acme-challenge.own.${zoneName}`, value: 'own' },
      ];

      const changes = await dns.present(records);
      expect(changes.map((change) => change.zone).sort()).toEqual([partnerId, zoneId].sort());
      expect(await synced(dns, changes, records)).toBe(true);
      expect((await txtSet(partner, partnerId, records[0]!.name))?.values).toEqual(['"partner"']);
      expect(await txtSet(route53, decoyId, records[0]!.name)).toBeUndefined();
      expect((await txtSet(route53, zoneId, records[1]!.name))?.values).toEqual(['"own"']);

      await dns.cleanup(records);
      expect(await txtSet(partner, partnerId, records[0]!.name)).toBeUndefined();
      expect(await txtSet(route53, zoneId, records[1]!.name)).toBeUndefined();
    });
  });
});
