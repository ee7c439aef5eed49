/**
 * Revocation's AWS side against the AWS API emulator (test/support/aws.ts) or AWS_ENDPOINT_URL:
 * the Secrets Manager store marks a revoked version with a tag and never rewrites the version; the
 * EventBridge publisher's "Certificate Revoked" / "Certificate Revocation Failed" reach a rule's
 * target as published. Each test states the AWS behaviour it relies on.
 */
import { CreateEventBusCommand, DeleteEventBusCommand, DeleteRuleCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand, RemoveTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateKeyCommand, KMSClient, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { DeleteSecretCommand, DescribeSecretCommand, GetSecretValueCommand, ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBridgePublisher } from '../../domain/adapters/aws/eventbridge-events';
import { SecretsManagerCertificateStore } from '../../domain/adapters/aws/secrets-store';
import type { CertificateMetadata } from '../../domain/core/certificate';
import { StoreInconsistent } from '../../domain/core/errors';
import type { CertificateRevocationFailedEvent, CertificateRevokedEvent } from '../../domain/ports';
import { aws, awsClientConfig, uniqueSuffix } from '../support/aws';
import { detailErrors } from '../support/schemas';

const run = uniqueSuffix();
const prefix = `certflow-revoke-${run}/`;

const metadata = (serialNumber: string): CertificateMetadata => ({
  names: [`${serialNumber}.revoke.example`],
  serialNumber,
  notBefore: '2026-01-01T00:00:00.000Z',
  notAfter: '2026-04-01T00:00:00.000Z',
  fingerprintSha256: 'ab'.repeat(32),
  keyType: 'ec-p256',
  issuer: 'CN=Contract',
});

describe.skipIf(!aws.endpoint)(`revocation on AWS against ${aws.endpoint || `(skipped: ${aws.skipReason})`}`, () => {
  const secrets = new SecretsManagerClient(awsClientConfig());
  const kms = new KMSClient(awsClientConfig());
  const eventBridge = new EventBridgeClient(awsClientConfig());
  const sqs = new SQSClient(awsClientConfig());
  let keyId = '';
  let store: SecretsManagerCertificateStore;

  beforeAll(async () => {
    keyId = (await kms.send(new CreateKeyCommand({ Description: `certflow revocation contract ${run}` }))).KeyMetadata!.KeyId!;
    store = new SecretsManagerCertificateStore(secrets, { prefix, kmsKeyId: keyId });
  });
  afterAll(async () => {
    const { SecretList = [] } = await secrets.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [prefix] }] }));
    for (const { Name } of SecretList) if (Name?.startsWith(prefix)) await secrets.send(new DeleteSecretCommand({ SecretId: Name, ForceDeleteWithoutRecovery: true })).catch(() => undefined);
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 })).catch(() => undefined);
  });

  /** FinalizeOrder then PackageAndStore, as the handlers call the store. */
  async function issue(id: string, serial: string) {
    const { pending, privateKeyPem } = await store.pendingKey(id, `https://ca/${id}/order/${serial}`, async () => `KEY-${serial}`);
    return store.promote(pending, { certificatePem: `CERT-${serial}\n`, chainPem: 'ISSUER\n', privateKeyPem, metadata: metadata(serial) });
  }

  // AWS: tags belong to the secret, not a version (API_TagResource.html); TagResource adds or
  // overwrites keys and never creates a version. A version is read by VersionId whatever its labels
  // (API_GetSecretValue.html). https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_TagResource.html
  it('marks a version with a tag keyed by its VersionId: the bundle, its labels and the inventory stay as they were; the first mark stays', async () => {
    const first = await issue('marked', '01');
    const second = await issue('marked', '02');
    const name = `${prefix}certificates/marked`;
    const read = (versionId: string) => secrets.send(new GetSecretValueCommand({ SecretId: name, VersionId: versionId }));
    const before = { value: (await read(first.version)).SecretString, stages: (await secrets.send(new DescribeSecretCommand({ SecretId: name }))).VersionIdsToStages };

    expect(await store.issuedCertificate('marked')).toEqual({ certificateId: 'marked', version: second.version, certificatePem: 'CERT-02\n', metadata: metadata('02') });
    const issued = await store.issuedCertificate('marked', first.version);
    expect(issued).toMatchObject({ version: first.version, certificatePem: 'CERT-01\n' });
    expect(issued).not.toHaveProperty('revoked');

    const mark = { reason: 'keyCompromise', revokedAt: '2026-02-01T10:00:00.000Z' } as const;
    expect(await store.markRevoked('marked', first.version, mark)).toEqual(mark);
    // Idempotent: a later mark (another reason) returns the first and changes nothing.
    expect(await store.markRevoked('marked', first.version, { reason: 'superseded', revokedAt: '2026-02-02T10:00:00.000Z' })).toEqual(mark);

    const { Tags = [], VersionIdsToStages } = await secrets.send(new DescribeSecretCommand({ SecretId: name }));
    expect(Tags.filter((tag) => tag.Key!.startsWith('certflow:revoked:'))).toEqual([{ Key: `certflow:revoked:${first.version}`, Value: 'keyCompromise 2026-02-01T10:00:00.000Z' }]);
    expect(VersionIdsToStages).toEqual(before.stages);
    expect((await read(first.version)).SecretString).toBe(before.value);
    expect((await store.issuedCertificate('marked', first.version))?.revoked).toEqual(mark);
    expect((await store.issuedCertificate('marked'))?.revoked).toBeUndefined();
    // The scan's view: still the current version, readable.
    const state = (await store.inventory()).find((candidate) => candidate.certificateId === 'marked')!;
    expect(state.current?.version).toBe(second.version);
    expect(state).not.toHaveProperty('unreadable');
  });

  it('has nothing for a version or certificate that is not there, and refuses to mark a secret that does not exist', async () => {
    await issue('present', '01');
    expect(await store.issuedCertificate('absent')).toBeUndefined();
    expect(await store.issuedCertificate('present', '00000000-0000-4000-8000-000000000000')).toBeUndefined();
    expect(await store.issuedCertificate('present', '1')).toBeUndefined(); // not a VersionId
    await expect(store.markRevoked('absent', '00000000-0000-4000-8000-000000000000', { reason: 'unspecified', revokedAt: '2026-02-01T10:00:00.000Z' })).rejects.toThrow(StoreInconsistent);
  });

  // EventBridge: a rule on a custom bus delivers matching events to an SQS target as the event
  // envelope (detail-type, source, detail). https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-targets.html
  it('publishes "Certificate Revoked" and "Certificate Revocation Failed" on the bus, delivered as published', async () => {
    const busName = `certflow-revoke-${run}`;
    await eventBridge.send(new CreateEventBusCommand({ Name: busName }));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `certflow-revoke-${run}` }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    const rule = `certflow-revoke-${run}`;
    await eventBridge.send(new PutRuleCommand({ Name: rule, EventBusName: busName, EventPattern: JSON.stringify({ source: ['certflow'], 'detail-type': ['Certificate Revoked', 'Certificate Revocation Failed'] }) }));
    await eventBridge.send(new PutTargetsCommand({ Rule: rule, EventBusName: busName, Targets: [{ Id: 'queue', Arn: Attributes!.QueueArn! }] }));
    try {
      const publisher = new EventBridgePublisher(eventBridge, busName);
      const revoked: CertificateRevokedEvent = {
        certificateId: 'broker',
        version: '6f1c1b2a-0000-4000-8000-000000000001',
        serialNumber: '04a1b2',
        fingerprintSha256: 'ab'.repeat(32),
        notAfter: '2026-04-01T00:00:00.000Z',
        reason: 'keyCompromise',
        reasonCode: 1,
        revokedAt: '2026-02-01T10:00:00.000Z',
        alreadyRevoked: false,
        reissue: true,
        executionId: `arn:aws:states:us-east-1:000000000000:execution:certflow-RevokeCertificate:${run}`,
      };
      const failed: CertificateRevocationFailedEvent = { certificateId: 'broker', step: 'RevokeAtCa', error: 'AcmeRequestRejected', message: 'unauthorized', executionId: revoked.executionId };
      await publisher.revoked(revoked);
      await publisher.revocationFailed(failed);

      const received: { 'detail-type': string; source: string; detail: object }[] = [];
      for (let attempt = 0; attempt < 20 && received.length < 2; attempt += 1) {
        const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
        received.push(...Messages.map((message) => JSON.parse(message.Body!)));
      }
      const byType = Object.fromEntries(received.map((event) => [event['detail-type'], event]));
      expect(byType['Certificate Revoked']).toMatchObject({ source: 'certflow', detail: revoked });
      expect(byType['Certificate Revocation Failed']).toMatchObject({ source: 'certflow', detail: failed });
      for (const event of received) expect(detailErrors(event['detail-type'], event.detail)).toEqual([]);
    } finally {
      await eventBridge.send(new RemoveTargetsCommand({ Rule: rule, EventBusName: busName, Ids: ['queue'] })).catch(() => undefined);
      await eventBridge.send(new DeleteRuleCommand({ Name: rule, EventBusName: busName })).catch(() => undefined);
      await eventBridge.send(new DeleteEventBusCommand({ Name: busName })).catch(() => undefined);
      await sqs.send(new DeleteQueueCommand({ QueueUrl })).catch(() => undefined);
    }
  });
});
