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
import { SecretsManagerCertificateStore, versionToken } from '../../../../domain/adapters/aws/secrets-store';
import { namesHash } from '../../../../domain/core/scan-plan';
import { toBundle } from '../../../../domain/core/bundle';
import type { CertificateMetadata } from '../../../../domain/core/certificate';

const sm = mockClient(SecretsManagerClient);
const store = new SecretsManagerCertificateStore(new SecretsManagerClient({ region: 'eu-west-1' }), {
  prefix: 'certflow/',
  kmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/k-1',
});
const SECRET = 'certflow/certificates/broker';
const PENDING_SECRET = 'certflow/pending/broker';
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
  usages: ['serverAuth'],
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
  const keyDocument = (privateKeyPem: string) => JSON.stringify({ kind: 'pending-key', certificateId: 'broker', privateKeyPem });

  it('first issuance: creates the pending-keys secret (marker first) and the empty certificate secret, then writes the key as AWSPENDING', async () => {
    sm.on(GetSecretValueCommand).rejectsOnce(notFound()).resolves({ SecretString: keyDocument('NEWKEY') });
    sm.on(PutSecretValueCommand).rejectsOnce(notFound()).resolves({ ARN, VersionId: pending.pendingId, VersionStages: ['AWSPENDING'] });
    sm.on(CreateSecretCommand).resolves({ ARN });

    const result = await store.pendingKey('broker', 'https://ca/order/1', async () => 'NEWKEY');

    expect(result).toEqual({ pending, privateKeyPem: 'NEWKEY' });
    const common = { KmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/k-1', Description: 'Managed by certflow', Tags: [{ Key: 'managed-by', Value: 'certflow' }, { Key: 'certflow:certificate-id', Value: 'broker' }] };
    expect(sm.commandCalls(CreateSecretCommand).map((call) => call.args[0].input)).toEqual([
      { Name: PENDING_SECRET, ...common, SecretString: JSON.stringify({ kind: 'pending-keys', certificateId: 'broker' }) },
      { Name: SECRET, ...common },
    ]);
    expect(sm.commandCalls(PutSecretValueCommand).map((call) => call.args[0].input)).toEqual(
      Array(2).fill({ SecretId: PENDING_SECRET, ClientRequestToken: pending.pendingId, SecretString: keyDocument('NEWKEY'), VersionStages: ['AWSPENDING'] }),
    );
    expect(sm.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input)).toEqual(Array(2).fill({ SecretId: PENDING_SECRET, VersionId: pending.pendingId }));
  });

  it('a retried finalize gets the same key back and writes nothing', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: keyDocument('FIRSTKEY') });
    const result = await store.pendingKey('broker', 'https://ca/order/1', async () => 'OTHERKEY');
    expect(result.privateKeyPem).toBe('FIRSTKEY');
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('a racing finalize for the same order (ResourceExists) returns the key that was stored', async () => {
    sm.on(GetSecretValueCommand).rejectsOnce(notFound()).resolves({ SecretString: keyDocument('WINNER') });
    sm.on(PutSecretValueCommand).rejects(exists());
    expect((await store.pendingKey('broker', 'https://ca/order/1', async () => 'LOSER')).privateKeyPem).toBe('WINNER');
  });

  it('refuses a pending version that is not a key of this certificate', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ kind: 'pending-key', certificateId: 'other', privateKeyPem: 'K' }) });
    await expect(store.readPendingKey(pending)).rejects.toMatchObject({ name: 'StoreInconsistent' });
  });

  it('discarding removes AWSPENDING from that version of the pending-keys secret only', async () => {
    sm.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { [pending.pendingId]: ['AWSPENDING'], marker: ['AWSCURRENT'] } });
    await store.discardPending(pending);
    expect(sm.commandCalls(DescribeSecretCommand)[0]!.args[0].input).toEqual({ SecretId: PENDING_SECRET });
    expect(sm.commandCalls(UpdateSecretVersionStageCommand).map((call) => call.args[0].input)).toEqual([
      { SecretId: PENDING_SECRET, VersionStage: 'AWSPENDING', RemoveFromVersionId: pending.pendingId },
    ]);
  });

  it('discarding a version that no longer holds AWSPENDING (a later order took it) moves nothing', async () => {
    sm.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { [pending.pendingId]: [], later: ['AWSPENDING'], marker: ['AWSCURRENT'] } });
    await store.discardPending(pending);
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
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

  const inventoryTags = [
    { Key: 'certflow:serial', Value: '0abc' },
    { Key: 'certflow:not-before', Value: '2026-01-01T00:00:00.000Z' },
    { Key: 'certflow:not-after', Value: '2026-04-01T00:00:00.000Z' },
    { Key: 'certflow:key-type', Value: 'ec-p256' },
    { Key: 'certflow:version', Value: issuedVersion },
    { Key: 'certflow:names-sha256', Value: namesHash(['mq.example.com', '*.mq.example.com']) },
    { Key: 'certflow:names', Value: 'mq.example.com,*.mq.example.com' },
    { Key: 'certflow:ari-cert-id', Value: '' },
    { Key: 'certflow:profile', Value: '' },
    { Key: 'certflow:usages', Value: 'serverAuth' },
    // ACME leaves: no private root to record (a root rotation reads these, ADR 0013).
    { Key: 'certflow:anchor-sha256', Value: '' },
    { Key: 'certflow:trust-anchors-sha256', Value: '' },
  ];

  it('writes the bundle as AWSCURRENT in one call (the previous becomes AWSPREVIOUS by itself), then tags every inventory key', async () => {
    sm.on(PutSecretValueCommand).resolves({ ARN, VersionId: issuedVersion, VersionStages: ['AWSCURRENT'] });

    const stored = await store.promote(pending, material);

    expect(sm.commandCalls(PutSecretValueCommand).map((call) => call.args[0].input)).toEqual([
      { SecretId: SECRET, ClientRequestToken: issuedVersion, SecretString: bundleString, VersionStages: ['AWSCURRENT'] },
    ]);
    expect(sm.commandCalls(TagResourceCommand).map((call) => call.args[0].input)).toEqual([{ SecretId: SECRET, Tags: inventoryTags }]);
    expect(stored).toEqual({ certificateId: 'broker', version: issuedVersion, location: ARN, metadata, formats: ['pem'] });
    expect(sm.commandCalls(DescribeSecretCommand)).toHaveLength(0);
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(0); // nothing read back
  });

  it('first certificate without a secret yet: creates it empty, so the bundle is its first version', async () => {
    sm.on(PutSecretValueCommand).rejectsOnce(notFound()).resolves({ ARN, VersionId: issuedVersion, VersionStages: ['AWSCURRENT'] });
    sm.on(CreateSecretCommand).resolves({ ARN });
    await store.promote(pending, material);
    expect(sm.commandCalls(CreateSecretCommand).map((call) => call.args[0].input)).toEqual([
      {
        Name: SECRET,
        KmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/k-1',
        Description: 'Managed by certflow',
        Tags: [{ Key: 'managed-by', Value: 'certflow' }, { Key: 'certflow:certificate-id', Value: 'broker' }],
      },
    ]);
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(2);
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
  });

  it('a retried store step whose version is already current (ResourceExists: keystores packaged again) moves no label', async () => {
    sm.on(PutSecretValueCommand).rejects(exists());
    sm.on(DescribeSecretCommand).resolves({ ARN, VersionIdsToStages: { [issuedVersion]: ['AWSCURRENT'], v1: ['AWSPREVIOUS'] } });
    const stored = await store.promote(pending, material);
    expect(stored).toMatchObject({ version: issuedVersion, location: ARN });
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
    expect(sm.commandCalls(TagResourceCommand).map((call) => call.args[0].input)).toEqual([{ SecretId: SECRET, Tags: inventoryTags }]);
  });

  it('a retry finding its version written but not current moves AWSCURRENT to it from the current one', async () => {
    sm.on(PutSecretValueCommand).resolves({ ARN, VersionId: issuedVersion, VersionStages: ['AWSPENDING'] }); // same data: AWS does nothing
    sm.on(DescribeSecretCommand).resolves({ ARN, VersionIdsToStages: { [issuedVersion]: ['AWSPENDING'], v1: ['AWSCURRENT'] } });
    await store.promote(pending, material);
    expect(sm.commandCalls(UpdateSecretVersionStageCommand).map((call) => call.args[0].input)).toEqual([
      { SecretId: SECRET, VersionStage: 'AWSCURRENT', MoveToVersionId: issuedVersion, RemoveFromVersionId: 'v1' },
    ]);
  });

  it('a version missing after ResourceExists is an inconsistency', async () => {
    sm.on(PutSecretValueCommand).rejects(exists());
    sm.on(DescribeSecretCommand).resolves({ ARN, VersionIdsToStages: { v1: ['AWSCURRENT'] } });
    await expect(store.promote(pending, material)).rejects.toMatchObject({ name: 'StoreInconsistent' });
  });

  it('tags an empty names value when the names exceed a tag value, the ARI certID when there is one, every EKU, and an empty EKU value when the leaf has none', async () => {
    sm.on(PutSecretValueCommand).resolves({ ARN, VersionId: issuedVersion, VersionStages: ['AWSCURRENT'] });
    const names = Array.from({ length: 20 }, (_, i) => `host-${i}.mq.example.com`);
    await store.promote(pending, { ...material, metadata: { ...metadata, names, ariCertId: 'aki.serial', usages: ['serverAuth', 'clientAuth'] } });
    const { usages: _none, ...withoutUsages } = metadata;
    await store.promote(pending, { ...material, metadata: withoutUsages });
    expect(sm.commandCalls(TagResourceCommand)[1]!.args[0].input.Tags).toContainEqual({ Key: 'certflow:usages', Value: '' });
    const tags = sm.commandCalls(TagResourceCommand)[0]!.args[0].input.Tags;
    expect(tags).toContainEqual({ Key: 'certflow:usages', Value: 'serverAuth,clientAuth' });
    expect(tags).toContainEqual({ Key: 'certflow:names', Value: '' });
    expect(tags).toContainEqual({ Key: 'certflow:names-sha256', Value: namesHash(names) });
    expect(tags).toContainEqual({ Key: 'certflow:ari-cert-id', Value: 'aki.serial' });
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
  it('reads AWSCURRENT; no secret, or a secret without a version, means no current version', async () => {
    sm.on(GetSecretValueCommand).rejects(Object.assign(new Error('can’t find the specified secret value for staging label: AWSCURRENT'), { name: 'ResourceNotFoundException' }));
    expect(await store.current('broker')).toBeUndefined();
    expect(sm.commandCalls(GetSecretValueCommand)[0]!.args[0].input).toEqual({ SecretId: SECRET, VersionStage: 'AWSCURRENT' });
  });

  it('a current version that is not a bundle (the key document certflow before #9 left) is no certificate', async () => {
    sm.on(GetSecretValueCommand).resolves({ ARN, VersionId: 'k1', SecretString: JSON.stringify({ kind: 'pending-key', certificateId: 'broker', privateKeyPem: 'K' }) });
    expect(await store.current('broker')).toBeUndefined();
    expect(await store.currentKeystorePassword('broker')).toBeUndefined();
  });

  describe('rollback', () => {
    const previous = toBundle('broker', 'v1', { ...metadata, serialNumber: '01' }, { 'cert.pem': Buffer.from('OLD\n') });

    it('checks the AWSPREVIOUS version is a bundle, moves AWSCURRENT to it, and tags the inventory from it', async () => {
      sm.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { v2: ['AWSCURRENT'], v1: ['AWSPREVIOUS'], v0: [] } });
      sm.on(GetSecretValueCommand).resolves({ ARN, VersionId: 'v1', SecretString: JSON.stringify(previous) });

      expect(await store.rollback('broker')).toEqual({ from: 'v2', to: 'v1' });

      expect(sm.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input)).toEqual([{ SecretId: SECRET, VersionId: 'v1' }]);
      expect(sm.commandCalls(UpdateSecretVersionStageCommand).map((call) => call.args[0].input)).toEqual([
        { SecretId: SECRET, VersionStage: 'AWSCURRENT', MoveToVersionId: 'v1', RemoveFromVersionId: 'v2' },
      ]);
      const tags = sm.commandCalls(TagResourceCommand)[0]!.args[0].input;
      expect(tags.SecretId).toBe(SECRET);
      expect(tags.Tags).toContainEqual({ Key: 'certflow:version', Value: 'v1' });
      expect(tags.Tags).toContainEqual({ Key: 'certflow:serial', Value: '01' });
    });

    it('refuses without a previous version, or without a secret', async () => {
      sm.on(DescribeSecretCommand).resolvesOnce({ VersionIdsToStages: { v1: ['AWSCURRENT'] } }).rejects(notFound());
      await expect(store.rollback('broker')).rejects.toThrow(/nothing to roll back to \(no previous version\)/);
      await expect(store.rollback('broker')).rejects.toThrow(/nothing to roll back to \(no certificate was ever stored\)/);
      expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
    });

    it('refuses to roll onto a previous version that is not a bundle, and moves nothing', async () => {
      sm.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { v2: ['AWSCURRENT'], k1: ['AWSPREVIOUS'] } });
      sm.on(GetSecretValueCommand).resolves({ ARN, VersionId: 'k1', SecretString: JSON.stringify({ kind: 'pending-key', certificateId: 'broker', privateKeyPem: 'K' }) });
      await expect(store.rollback('broker')).rejects.toMatchObject({ name: 'StoreInconsistent', message: expect.stringMatching(/previous version k1 is not a certificate/) });
      expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
      expect(sm.commandCalls(TagResourceCommand)).toHaveLength(0);
    });
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
              { Key: 'certflow:ari-cert-id', Value: '' },
              { Key: 'certflow:usages', Value: 'serverAuth' },
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
