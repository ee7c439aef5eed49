/**
 * Contract tests for the AWS adapters against the AWS API emulator (test/support/aws.ts), or any
 * AWS-compatible endpoint named by AWS_ENDPOINT_URL. They create and delete their own zone, key,
 * secrets and bus.
 */
import { CreateEventBusCommand, DeleteEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateKeyCommand, KMSClient, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { CreateHostedZoneCommand, DeleteHostedZoneCommand, Route53Client } from '@aws-sdk/client-route-53';
import { DeleteSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBridgePublisher } from '../../domain/adapters/aws/eventbridge-events';
import { SecretsManagerCertificateStore } from '../../domain/adapters/aws/secrets-store';
import type { CertificateMetadata } from '../../domain/core/certificate';
import { aws, awsClientConfig, uniqueSuffix } from '../support/aws';

const run = uniqueSuffix();

describe.skipIf(!aws.endpoint)(`AWS adapters against ${aws.endpoint || `(skipped: ${aws.skipReason})`}`, () => {
  const route53 = new Route53Client(awsClientConfig());
  const secrets = new SecretsManagerClient(awsClientConfig());
  const kms = new KMSClient(awsClientConfig());
  const eventBridge = new EventBridgeClient(awsClientConfig());
  const zoneName = `certflow-${run}.test`;
  let zoneId = '';
  let keyId = '';
  const prefix = `certflow-contract-${run}/`;

  beforeAll(async () => {
    const zone = await route53.send(new CreateHostedZoneCommand({ Name: zoneName, CallerReference: run }));
    zoneId = zone.HostedZone!.Id!.replace('/hostedzone/', '');
    keyId = (await kms.send(new CreateKeyCommand({ Description: `certflow contract ${run}` }))).KeyMetadata!.KeyId!;
  });

  afterAll(async () => {
    for (const name of [`${prefix}certificates/contract`]) {
      await secrets.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true })).catch(() => undefined);
    }
    await route53.send(new DeleteHostedZoneCommand({ Id: zoneId })).catch(() => undefined);
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 })).catch(() => undefined);
  });

  // Route 53: test/contract/route53.test.ts; Secrets Manager in depth: test/contract/secrets-manager.test.ts.
  it('Secrets Manager: pending → current, previous kept, rollback', async () => {
    const store = new SecretsManagerCertificateStore(secrets, { prefix, kmsKeyId: keyId });
    const metadata = (serialNumber: string): CertificateMetadata => ({
      names: ['contract.example'], serialNumber, notBefore: '2026-01-01T00:00:00.000Z', notAfter: '2026-04-01T00:00:00.000Z',
      fingerprintSha256: 'aa'.repeat(32), keyType: 'ec-p256', issuer: 'CN=Contract',
    });
    const issue = async (order: string, serial: string) => {
      const { pending, privateKeyPem } = await store.pendingKey('contract', order, async () => `KEY-${serial}`);
      expect(privateKeyPem).toBe(`KEY-${serial}`);
      return store.promote(pending, { certificatePem: 'C\n', chainPem: 'I\n', privateKeyPem, metadata: metadata(serial) });
    };
    const first = await issue('https://ca/order/1', '01');
    const second = await issue('https://ca/order/2', '02');
    expect((await store.current('contract'))?.version).toBe(second.version);
    expect(await store.rollback('contract')).toEqual({ from: second.version, to: first.version });
    expect((await store.current('contract'))?.metadata.serialNumber).toBe('01');
  });

  it('EventBridge: the publisher puts to a custom bus', async () => {
    const busName = `certflow-contract-${run}`;
    await eventBridge.send(new CreateEventBusCommand({ Name: busName }));
    try {
      await new EventBridgePublisher(eventBridge, busName).failed({ certificateId: 'contract', step: 'CheckOrder', error: 'OrderInvalid', message: 'contract', executionId: run });
    } finally {
      await eventBridge.send(new DeleteEventBusCommand({ Name: busName }));
    }
  });
});
