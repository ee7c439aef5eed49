/**
 * Route 53 clients per zone role. Real SDK clients over a fake HTTP handler: what is signed with
 * which credentials, and how often STS is asked.
 */
import { GetChangeCommand, Route53Client } from '@aws-sdk/client-route-53';
import { describe, expect, it } from 'vitest';
import { zoneClients, type AssumeRole, type ZoneRole } from '../../../../domain/adapters/aws/zone-clients';

const ROLE = 'arn:aws:iam::222222222222:role/certflow-dns';
const OTHER_ROLE = 'arn:aws:iam::333333333333:role/certflow-dns';
const PIPELINE = { accessKeyId: 'AKIAPIPELINE', secretAccessKey: 'pipeline-secret' };

interface SeenRequest {
  readonly service: string;
  readonly accessKeyId: string;
  readonly params: URLSearchParams;
}

const GET_CHANGE = `<?xml version="1.0"?>
<GetChangeResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ChangeInfo><Id>/change/C1</Id><Status>INSYNC</Status><SubmittedAt>2026-01-01T00:00:00.000Z</SubmittedAt></ChangeInfo></GetChangeResponse>`;

const assumeRoleResponse = (accessKeyId: string, expiration: Date) => `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>${accessKeyId}</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>${expiration.toISOString()}</Expiration></Credentials>
<AssumedRoleUser><Arn>${ROLE}/certflow</Arn><AssumedRoleId>AROA:certflow</AssumedRoleId></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>`;

/** An HTTP handler answering Route 53 GetChange and STS AssumeRole, recording who signed what. */
function fakeAws(expiration = () => new Date(Date.now() + 3600_000)) {
  const seen: SeenRequest[] = [];
  let issued = 0;
  const requestHandler = {
    metadata: { handlerProtocol: 'http/1.1' },
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
    async handle(request: { hostname: string; headers: Record<string, string>; body?: unknown }) {
      const [, accessKeyId = '', service = ''] = /Credential=([^/]+)\/[^/]+\/[^/]+\/([^/]+)\//.exec(request.headers.authorization ?? '') ?? [];
      const params = new URLSearchParams(typeof request.body === 'string' ? request.body : '');
      seen.push({ service, accessKeyId, params });
      issued += service === 'sts' ? 1 : 0;
      const body = service === 'sts' ? assumeRoleResponse(`ASIAZONE${issued}`, expiration()) : GET_CHANGE;
      return { response: { statusCode: 200, headers: { 'content-type': 'text/xml' }, body: Buffer.from(body) } };
    },
  };
  return { seen, requestHandler: requestHandler as unknown as NonNullable<ConstructorParameters<typeof Route53Client>[0]>['requestHandler'] };
}

/** An injected AssumeRole: counts how often credentials are fetched. */
function countingAssumeRole(lifetimeMs: number) {
  const fetched: ZoneRole[] = [];
  const assumeRole: AssumeRole = (role) => async () => {
    fetched.push(role);
    return { accessKeyId: `ASIA${fetched.length}`, secretAccessKey: 's', sessionToken: 't', expiration: new Date(Date.now() + lifetimeMs) };
  };
  return { fetched, assumeRole };
}

describe('zoneClients', () => {
  it('uses the pipeline client for zones without a role and one client per role (and external id)', () => {
    const { assumeRole } = countingAssumeRole(3600_000);
    const clientFor = zoneClients({ clientConfig: { region: 'us-east-1', credentials: PIPELINE }, assumeRole });
    const home = clientFor({ name: 'example.com' });
    const partner = clientFor({ name: 'partner.example', roleArn: ROLE });
    expect(clientFor({ name: 'example.net', id: 'Z2' })).toBe(home);
    expect(partner).not.toBe(home);
    expect(clientFor({ name: 'other.partner.example', roleArn: ROLE })).toBe(partner);
    expect(clientFor({ name: 'third.example', roleArn: OTHER_ROLE })).not.toBe(partner);
    expect(clientFor({ name: 'fourth.example', roleArn: ROLE, externalId: 'certflow' })).not.toBe(partner);
  });

  it('keeps assumed credentials for their lifetime, and assumes the role again only near expiry', async () => {
    const aws = fakeAws();
    const long = countingAssumeRole(3600_000);
    const client = zoneClients({ clientConfig: { region: 'us-east-1', credentials: PIPELINE, requestHandler: aws.requestHandler }, assumeRole: long.assumeRole })({ name: 'partner.example', roleArn: ROLE, externalId: 'x-1' });
    await client.send(new GetChangeCommand({ Id: 'C1' }));
    await client.send(new GetChangeCommand({ Id: 'C1' }));
    expect(long.fetched).toEqual([{ roleArn: ROLE, externalId: 'x-1' }]);
    expect(aws.seen.map((request) => request.accessKeyId)).toEqual(['ASIA1', 'ASIA1']);

    // The SDK refreshes credentials that expire within five minutes (how often it asks is its business).
    const short = countingAssumeRole(120_000);
    const expiring = zoneClients({ clientConfig: { region: 'us-east-1', credentials: PIPELINE, requestHandler: aws.requestHandler }, assumeRole: short.assumeRole })({ name: 'partner.example', roleArn: ROLE });
    await expiring.send(new GetChangeCommand({ Id: 'C1' }));
    await expiring.send(new GetChangeCommand({ Id: 'C1' }));
    expect(short.fetched.length).toBeGreaterThanOrEqual(2);
  });

  it('by default asks STS AssumeRole with the pipeline credentials, the session name and the external id', async () => {
    const aws = fakeAws();
    const clientFor = zoneClients({ clientConfig: { region: 'us-east-1', credentials: PIPELINE, requestHandler: aws.requestHandler }, sessionName: 'certflow-present-challenges' });
    const partner = clientFor({ name: 'partner.example', roleArn: ROLE, externalId: 'certflow-ext' });
    await partner.send(new GetChangeCommand({ Id: 'C1' }));
    await clientFor({ name: 'other.partner.example', roleArn: ROLE, externalId: 'certflow-ext' }).send(new GetChangeCommand({ Id: 'C1' }));
    await clientFor({ name: 'example.com' }).send(new GetChangeCommand({ Id: 'C1' }));

    expect(aws.seen.map(({ service, accessKeyId }) => `${service} ${accessKeyId}`)).toEqual([
      'sts AKIAPIPELINE',
      'route53 ASIAZONE1',
      'route53 ASIAZONE1',
      'route53 AKIAPIPELINE',
    ]);
    const assume = aws.seen[0]!.params;
    expect(Object.fromEntries(assume)).toMatchObject({ Action: 'AssumeRole', RoleArn: ROLE, RoleSessionName: 'certflow-present-challenges', ExternalId: 'certflow-ext' });
  });
});
