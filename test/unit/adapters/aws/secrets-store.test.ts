/** Secrets Manager certificate store: exact request shapes (Prepare / Act / Assess). */
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  TagResourceCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SecretsManagerCertificateStore, versionToken } from '../../../../lambdas/adapters/aws/secrets-store';
import { namesHash } from '../../../../lambdas/core/scan-plan';
import { toBundle } from '../../../../lambdas/core/bundle';
import type { CertificateMetadata } from '../../../../lambdas/core/certificate';

const sm = mockClient(SecretsManagerClient);
const store = new SecretsManagerCertificateStore(new SecretsManagerClient({ region: 'eu-west-1' }), {
  prefix: 'certflow/',
  kmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/k-1',
});
const SECRET = 'certflow/certificates/broker';
const ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:certflow/certificates/broker-AbCdEf';
const notFound = () => Object.assign(new Error('Secrets Manager can’t find the specified secret.'), { name: 'ResourceNotFoundException' });
const exists = () => Object.assign(new Error('A resource with the ID you requested already exists.'), { name: 'ResourceExistsException' });

const metadata: CertificateMetadata = {
  names: ['mq.example.com', '*.mq.example.com'],
  serialNumber: '0abc',
  notBefore: '2026-01-01T00:00:00.000Z',
  notAfter: '2026-04-01T00:00:00.000Z',
  fingerprintSha256: 'ff'.repeat(32),
  keyType: 'ec-p256',
  issuer: 'CN=Test',
};
const material = {
  certificatePem: 'CERT\n',
  chainPem: 'CHAIN\n',
  privateKeyPem: 'KEY\n',
  metadata,
  files: { 'keystore.pass': Buffer.from('Pw123456789012345678901234567890\n') },
};
const pending = { certificateId: 'broker', pendingId: versionToken('pending:https://ca/order/1') };
const issuedVersion = versionToken(`issued:${pending.pendingId}`);

beforeEach(() => sm.reset());

describe('pending key', () => {
  it('first issuance: creates the secret (KMS key, tags, no value) and writes the key as AWSPENDING', async () => {
    sm.on(GetSecretValueCommand).rejectsOnce(notFound()).resolves({ SecretString: JSON.stringify({ kind: 'pending-key', certificateId: 'broker', privateKeyPem: 'NEWKEY' }) });
    sm.on(PutSecretValueCommand).rejectsOnce(notFound()).resolves({ ARN, VersionId: pending.pendingId });
    sm.on(CreateSecretCommand).resolves({ ARN });

    const result = await store.pendingKey('broker', 'https://ca/order/1', async () => 'NEWKEY');

    expect(result).toEqual({ pending, privateKeyPem: 'NEWKEY' });
    expect(sm.commandCalls(CreateSecretCommand)[0]!.args[0].input).toEqual({
      Name: SECRET,
      KmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/k-1',
      Description: 'Managed by certflow',
      Tags: [{ Key: 'managed-by', Value: 'certflow' }, { Key: 'certflow:certificate-id', Value: 'broker' }],
    });
    expect(sm.commandCalls(PutSecretValueCommand).map((call) => call.args[0].input)).toEqual(
      Array(2).fill({
        SecretId: SECRET,
        ClientRequestToken: pending.pendingId,
        SecretString: JSON.stringify({ kind: 'pending-key', certificateId: 'broker', privateKeyPem: 'NEWKEY' }),
        VersionStages: ['AWSPENDING'],
      }),
    );
    expect(sm.commandCalls(GetSecretValueCommand)[0]!.args[0].input).toEqual({ SecretId: SECRET, VersionId: pending.pendingId });
  });

  it('a retried finalize gets the same key back and writes nothing', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ kind: 'pending-key', certificateId: 'broker', privateKeyPem: 'FIRSTKEY' }) });
    const result = await store.pendingKey('broker', 'https://ca/order/1', async () => 'OTHERKEY');
    expect(result.privateKeyPem).toBe('FIRSTKEY');
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('discarding removes AWSPENDING from that version only', async () => {
    sm.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { [pending.pendingId]: ['AWSPENDING'], old: ['AWSCURRENT'] } });
    await store.discardPending(pending);
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)[0]!.args[0].input).toEqual({
      SecretId: SECRET,
      VersionStage: 'AWSPENDING',
      RemoveFromVersionId: pending.pendingId,
    });
  });
});

describe('promote', () => {
  const bundleString = JSON.stringify(toBundle('broker', issuedVersion, metadata, {
    'cert.pem': Buffer.from('CERT\n'),
    'chain.pem': Buffer.from('CHAIN\n'),
    'fullchain.pem': Buffer.from('CERT\nCHAIN\n'),
    'privkey.pem': Buffer.from('KEY\n'),
    'keystore.pass': Buffer.from('Pw123456789012345678901234567890\n'),
  }));

  it('writes the bundle as AWSPENDING, moves AWSCURRENT to it (previous becomes AWSPREVIOUS), clears AWSPENDING, tags', async () => {
    sm.on(PutSecretValueCommand).resolves({ ARN, VersionId: issuedVersion });
    sm.on(DescribeSecretCommand).resolves({ ARN, VersionIdsToStages: { v1: ['AWSCURRENT'], [issuedVersion]: ['AWSPENDING'] } });

    const stored = await store.promote(pending, material);

    expect(sm.commandCalls(PutSecretValueCommand)[0]!.args[0].input).toEqual({
      SecretId: SECRET,
      ClientRequestToken: issuedVersion,
      SecretString: bundleString,
      VersionStages: ['AWSPENDING'],
    });
    expect(sm.commandCalls(UpdateSecretVersionStageCommand).map((call) => call.args[0].input)).toEqual([
      { SecretId: SECRET, VersionStage: 'AWSCURRENT', MoveToVersionId: issuedVersion, RemoveFromVersionId: 'v1' },
      { SecretId: SECRET, VersionStage: 'AWSPENDING', RemoveFromVersionId: issuedVersion },
    ]);
    expect(sm.commandCalls(TagResourceCommand)[0]!.args[0].input).toEqual({
      SecretId: SECRET,
      Tags: [
        { Key: 'certflow:serial', Value: '0abc' },
        { Key: 'certflow:not-before', Value: '2026-01-01T00:00:00.000Z' },
        { Key: 'certflow:not-after', Value: '2026-04-01T00:00:00.000Z' },
        { Key: 'certflow:key-type', Value: 'ec-p256' },
        { Key: 'certflow:version', Value: issuedVersion },
        { Key: 'certflow:names-sha256', Value: namesHash(['mq.example.com', '*.mq.example.com']) },
        { Key: 'certflow:names', Value: 'mq.example.com,*.mq.example.com' },
      ],
    });
    expect(stored).toEqual({ certificateId: 'broker', version: issuedVersion, location: ARN, metadata, formats: ['pem'] });
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(0); // nothing read back
  });

  it('first version ever: moves AWSCURRENT without RemoveFromVersionId', async () => {
    sm.on(PutSecretValueCommand).resolves({ ARN });
    sm.on(DescribeSecretCommand).resolves({ ARN, VersionIdsToStages: { [issuedVersion]: ['AWSPENDING'] } });
    await store.promote(pending, material);
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)[0]!.args[0].input).toEqual({
      SecretId: SECRET,
      VersionStage: 'AWSCURRENT',
      MoveToVersionId: issuedVersion,
    });
  });

  it('a retried store step promotes the version it already wrote (ResourceExists)', async () => {
    sm.on(PutSecretValueCommand).rejects(exists());
    sm.on(DescribeSecretCommand).resolves({ ARN, VersionIdsToStages: { [issuedVersion]: ['AWSCURRENT', 'AWSPENDING'], v1: ['AWSPREVIOUS'] } });
    const stored = await store.promote(pending, material);
    expect(stored.version).toBe(issuedVersion);
    expect(sm.commandCalls(UpdateSecretVersionStageCommand).map((call) => call.args[0].input)).toEqual([
      { SecretId: SECRET, VersionStage: 'AWSPENDING', RemoveFromVersionId: issuedVersion },
    ]);
  });

  it('refuses a bundle over the 64 KB limit before writing anything', async () => {
    const huge = { ...material, files: { 'keystore.p12': Buffer.alloc(50_000) } };
    await expect(store.promote(pending, huge)).rejects.toMatchObject({ name: 'StoreRejected', message: expect.stringMatching(/over Secrets Manager's 65536-byte limit/) });
    expect(sm.calls()).toHaveLength(0);
  });

  it('throttling is the retryable StoreUnavailable', async () => {
    sm.on(PutSecretValueCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(store.promote(pending, material)).rejects.toMatchObject({ name: 'StoreUnavailable', retryable: true });
  });
});

describe('current, rollback, password, account', () => {
  it('reads AWSCURRENT; no secret or only a pending key means no current version', async () => {
    sm.on(GetSecretValueCommand).rejects(Object.assign(new Error('can’t find the specified secret value for staging label: AWSCURRENT'), { name: 'ResourceNotFoundException' }));
    expect(await store.current('broker')).toBeUndefined();
    expect(sm.commandCalls(GetSecretValueCommand)[0]!.args[0].input).toEqual({ SecretId: SECRET, VersionStage: 'AWSCURRENT' });
  });

  it('rolls back by moving AWSCURRENT to the AWSPREVIOUS version', async () => {
    sm.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { v2: ['AWSCURRENT'], v1: ['AWSPREVIOUS'], v0: [] } });
    expect(await store.rollback('broker')).toEqual({ from: 'v2', to: 'v1' });
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)[0]!.args[0].input).toEqual({
      SecretId: SECRET,
      VersionStage: 'AWSCURRENT',
      MoveToVersionId: 'v1',
      RemoveFromVersionId: 'v2',
    });
  });

  it('refuses to roll back without a previous version', async () => {
    sm.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { v1: ['AWSCURRENT'] } });
    await expect(store.rollback('broker')).rejects.toThrow(/no previous version/);
  });

  it('keeps the keystore password stable by reading it from the current bundle', async () => {
    const bundle = toBundle('broker', 'v1', metadata, { 'keystore.pass': Buffer.from('Stable0123456789012345678901234\n') });
    sm.on(GetSecretValueCommand).resolves({ ARN, VersionId: 'v1', SecretString: JSON.stringify(bundle) });
    expect(await store.currentKeystorePassword('broker')).toBe('Stable0123456789012345678901234');
  });

  it('creates the account key once per directory; a racing creator loses to the stored key', async () => {
    const directoryUrl = 'https://acme.example/dir';
    sm.on(GetSecretValueCommand)
      .rejectsOnce(notFound())
      .resolves({ SecretString: JSON.stringify({ directoryUrl, keyPem: 'WINNER' }) });
    sm.on(CreateSecretCommand).rejects(exists());
    const account = await store.account(directoryUrl, async () => 'LOSER');
    expect(account).toEqual({ keyPem: 'WINNER' });
    const create = sm.commandCalls(CreateSecretCommand)[0]!.args[0].input;
    expect(create.Name).toMatch(/^certflow\/accounts\/[0-9a-f]{16}$/);
    expect(JSON.parse(create.SecretString!)).toEqual({ directoryUrl, keyPem: 'LOSER' });
    expect(create.KmsKeyId).toBe('arn:aws:kms:eu-west-1:111122223333:key/k-1');
  });
});

describe('inventory and failures (for the scheduled scan)', () => {
  it('lists certificates from tags only, following pages', async () => {
    sm.on(ListSecretsCommand)
      .resolvesOnce({
        SecretList: [
          {
            Name: 'certflow/certificates/broker',
            Tags: [
              { Key: 'certflow:serial', Value: '0abc' },
              { Key: 'certflow:not-before', Value: '2026-01-01T00:00:00.000Z' },
              { Key: 'certflow:not-after', Value: '2026-04-01T00:00:00.000Z' },
              { Key: 'certflow:key-type', Value: 'ec-p256' },
              { Key: 'certflow:version', Value: 'v1' },
              { Key: 'certflow:names-sha256', Value: 'h' },
              { Key: 'certflow:names', Value: 'mq.example.com,*.mq.example.com' },
            ],
          },
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({ SecretList: [{ Name: 'certflow/certificates/new', Tags: [{ Key: 'certflow:last-failure', Value: '2026-11-23T10:00:00.000Z CheckOrder OrderInvalid' }] }] });

    const inventory = await store.inventory();

    expect(sm.commandCalls(ListSecretsCommand).map((call) => call.args[0].input)).toEqual([
      { Filters: [{ Key: 'name', Values: ['certflow/certificates/'] }], MaxResults: 100 },
      { Filters: [{ Key: 'name', Values: ['certflow/certificates/'] }], MaxResults: 100, NextToken: 'page-2' },
    ]);
    expect(inventory).toEqual([
      {
        certificateId: 'broker',
        current: {
          version: 'v1',
          metadata: { ...metadata, fingerprintSha256: '', issuer: '' },
        },
        namesSha256: 'h',
      },
      { certificateId: 'new', lastFailure: { at: '2026-11-23T10:00:00.000Z', step: 'CheckOrder', error: 'OrderInvalid' } },
    ]);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it('records a failure as a tag; a certificate without a secret yet is fine', async () => {
    sm.on(TagResourceCommand).rejectsOnce(notFound()).resolves({});
    await store.recordFailure('new', { at: '2026-11-23T10:00:00.000Z', step: 'CheckOrder', error: 'OrderInvalid' });
    await store.recordFailure('broker', { at: '2026-11-23T10:00:00.000Z', step: 'CheckOrder', error: 'OrderInvalid' });
    expect(sm.commandCalls(TagResourceCommand)[1]!.args[0].input).toEqual({
      SecretId: SECRET,
      Tags: [{ Key: 'certflow:last-failure', Value: '2026-11-23T10:00:00.000Z CheckOrder OrderInvalid' }],
    });
  });
});
