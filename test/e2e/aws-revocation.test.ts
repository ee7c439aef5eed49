/**
 * RevokeCertificate on the AWS path, against the AWS API emulator (test/support/aws.ts) with Pebble
 * as the CA: the synthesized definition with the Secrets Manager and EventBridge adapters. The
 * version is marked by a tag and never rewritten; the reissue stores a bundle with a new key as
 * AWSCURRENT; the events reach the bus's observer queue, each valid against its schema.
 */
import { createPublicKey } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { DescribeSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAwsPipeline, type AwsPipeline } from '../../local/aws-environment';
import { aws, awsClientConfig, uniqueSuffix } from '../support/aws';
import { detailErrors } from '../support/schemas';

const ID = 'aws-revoked';

describe.skipIf(!aws.endpoint)(`RevokeCertificate on the AWS path against ${aws.endpoint || `(skipped: ${aws.skipReason})`}`, () => {
  let pipeline: AwsPipeline;
  let root: string;

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-aws-revoke-'));
    pipeline = await startAwsPipeline({ clientConfig: awsClientConfig(), suffix: uniqueSuffix(), root, subscriberCertificateIds: [ID] });
  });
  afterAll(async () => {
    await pipeline?.stop();
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  const secretName = () => `${pipeline.resources.secretPrefix}certificates/${ID}`;
  const bundle = async (versionId: string) => {
    const { SecretString = '' } = await pipeline.clients.secrets.send(new GetSecretValueCommand({ SecretId: secretName(), VersionId: versionId }));
    return { text: SecretString, files: (JSON.parse(SecretString) as { files: Record<string, string> }).files };
  };
  const pem = (files: Record<string, string>, name: string) => Buffer.from(files[name]!, 'base64').toString('utf8');
  const spki = (text: string) => createPublicKey(text).export({ type: 'spki', format: 'der' }).toString('base64');

  async function observed(): Promise<{ 'detail-type': string; detail: Record<string, unknown> }[]> {
    const envelopes: { 'detail-type': string; detail: Record<string, unknown> }[] = [];
    for (;;) {
      const { Messages = [] } = await pipeline.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: pipeline.resources.observerQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if (Messages.length === 0) return envelopes;
      for (const message of Messages) {
        envelopes.push(JSON.parse(message.Body!));
        await pipeline.clients.sqs.send(new DeleteMessageCommand({ QueueUrl: pipeline.resources.observerQueueUrl, ReceiptHandle: message.ReceiptHandle! }));
      }
    }
  }

  function caStatus(serialNumber: string): Promise<{ Status: string; Reason?: number }> {
    return new Promise((resolve, reject) => {
      https
        .get(`${pipeline.pebble.managementUrl}/cert-status-by-serial/${serialNumber}`, { ca: pipeline.pebble.tlsCaPem }, (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
          response.on('end', () => resolve(JSON.parse(body) as { Status: string; Reason?: number }));
        })
        .on('error', reject);
    });
  }

  it('revoke --reissue: Pebble revoked it, a tag marks the version (bundle untouched), a new key is current, Revoked then Renewed on the bus', async () => {
    const issued = await pipeline.executor.run({ certificateId: ID, names: [`${ID}.certflow.test`] });
    expect(issued.status, `${issued.error}: ${issued.cause}`).toBe('SUCCEEDED');
    const first = (await pipeline.store.current(ID))!;
    const before = await bundle(first.version);
    await observed();

    const result = await pipeline.revokeExecutor.run({ certificateId: ID, reason: 'keyCompromise', reissue: true });
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');

    expect(await caStatus(first.metadata.serialNumber)).toMatchObject({ Status: 'Revoked', Reason: 1 });
    const { Tags = [], VersionIdsToStages = {} } = await pipeline.clients.secrets.send(new DescribeSecretCommand({ SecretId: secretName() }));
    expect(Tags.find((tag) => tag.Key === `certflow:revoked:${first.version}`)?.Value).toMatch(/^keyCompromise \d{4}-\d\d-\d\dT/);
    expect((await bundle(first.version)).text).toBe(before.text);

    const current = (await pipeline.store.current(ID))!;
    expect(current.version).not.toBe(first.version);
    expect(VersionIdsToStages[current.version]).toContain('AWSCURRENT');
    expect(VersionIdsToStages[first.version]).toContain('AWSPREVIOUS');
    const now = (await bundle(current.version)).files;
    expect(spki(pem(now, 'cert.pem'))).toBe(spki(pem(now, 'privkey.pem')));
    expect(spki(pem(now, 'cert.pem'))).not.toBe(spki(pem(before.files, 'cert.pem')));
    expect((await pipeline.store.issuedCertificate(ID, first.version))?.revoked?.reason).toBe('keyCompromise');

    const events = await observed();
    expect(events.map((event) => event['detail-type'])).toEqual(['Certificate Revoked', 'Certificate Renewed']);
    for (const event of events) expect(detailErrors(event['detail-type'], event.detail)).toEqual([]);
    expect(events[0]!.detail).toMatchObject({ certificateId: ID, version: first.version, reason: 'keyCompromise', reissue: true });
    expect(events[1]!.detail).toMatchObject({ certificateId: ID, version: current.version });
  });

  it('a version that is not there: NothingToRevoke, one "Certificate Revocation Failed" on the bus, the secret as it was', async () => {
    const describeSecret = () => pipeline.clients.secrets.send(new DescribeSecretCommand({ SecretId: secretName() }));
    const before = await describeSecret();
    const result = await pipeline.revokeExecutor.run({ certificateId: ID, version: '00000000-0000-4000-8000-000000000000' });
    expect(result).toMatchObject({ status: 'FAILED', error: 'NothingToRevoke' });
    const after = await describeSecret();
    expect(after.Tags).toEqual(before.Tags);
    expect(after.VersionIdsToStages).toEqual(before.VersionIdsToStages);
    const events = await observed();
    expect(events.map((event) => event['detail-type'])).toEqual(['Certificate Revocation Failed']);
    expect(events[0]!.detail).toMatchObject({ certificateId: ID, step: 'RevokeAtCa', error: 'NothingToRevoke' });
    expect(detailErrors('Certificate Revocation Failed', events[0]!.detail)).toEqual([]);
  });
});
