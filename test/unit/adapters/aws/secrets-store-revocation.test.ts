/** Secrets Manager store, revocation: exact request shapes (Prepare / Act / Assess). The mark is a tag; no value is ever written. */
import { DescribeSecretCommand, GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient, TagResourceCommand, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SecretsManagerCertificateStore } from '../../../../domain/adapters/aws/secrets-store';
import { toBundle } from '../../../../domain/core/bundle';
import type { CertificateMetadata } from '../../../../domain/core/certificate';
import { StoreInconsistent } from '../../../../domain/core/errors';

const sm = mockClient(SecretsManagerClient);
const store = new SecretsManagerCertificateStore(new SecretsManagerClient({ region: 'eu-west-1' }), { prefix: 'certflow/', kmsKeyId: 'k-1' });
const SECRET = 'certflow/certificates/broker';
const VERSION = '6f1c1b2a-0000-4000-8000-000000000001';
const metadata: CertificateMetadata = {
  names: ['mq.example.com'],
  serialNumber: '0abc',
  notBefore: '2026-01-01T00:00:00.000Z',
  notAfter: '2026-04-01T00:00:00.000Z',
  fingerprintSha256: 'ff'.repeat(32),
  keyType: 'ec-p256',
  issuer: 'CN=Test',
};
const bundle = toBundle('broker', VERSION, metadata, { 'cert.pem': Buffer.from('LEAF\n'), 'privkey.pem': Buffer.from('KEY\n') });
const mark = { reason: 'keyCompromise', revokedAt: '2026-02-01T10:00:00.000Z' } as const;

beforeEach(() => sm.reset());

describe('markRevoked', () => {
  it('tags the secret certflow:revoked:<VersionId> = "<reason> <revokedAt>" and writes nothing else', async () => {
    sm.on(DescribeSecretCommand).resolves({ Tags: [{ Key: 'certflow:version', Value: VERSION }] });
    sm.on(TagResourceCommand).resolves({});

    expect(await store.markRevoked('broker', VERSION, mark)).toEqual(mark);

    expect(sm.commandCalls(DescribeSecretCommand)[0]!.args[0].input).toEqual({ SecretId: SECRET });
    expect(sm.commandCalls(TagResourceCommand).map((call) => call.args[0].input)).toEqual([
      { SecretId: SECRET, Tags: [{ Key: `certflow:revoked:${VERSION}`, Value: 'keyCompromise 2026-02-01T10:00:00.000Z' }] },
    ]);
    expect(sm.commandCalls(PutSecretValueCommand)).toEqual([]);
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toEqual([]);
    expect(sm.commandCalls(GetSecretValueCommand)).toEqual([]);
  });

  it('keeps the first mark: a version marked already is not tagged again', async () => {
    sm.on(DescribeSecretCommand).resolves({ Tags: [{ Key: `certflow:revoked:${VERSION}`, Value: 'superseded 2026-01-15T00:00:00.000Z' }] });
    expect(await store.markRevoked('broker', VERSION, mark)).toEqual({ reason: 'superseded', revokedAt: '2026-01-15T00:00:00.000Z' });
    expect(sm.commandCalls(TagResourceCommand)).toEqual([]);
  });

  it('refuses a secret that is not there, and a mark tag it cannot read', async () => {
    sm.on(DescribeSecretCommand).rejects(Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' }));
    await expect(store.markRevoked('broker', VERSION, mark)).rejects.toThrow(StoreInconsistent);
    sm.reset();
    sm.on(DescribeSecretCommand).resolves({ Tags: [{ Key: `certflow:revoked:${VERSION}`, Value: 'garbage' }] });
    await expect(store.markRevoked('broker', VERSION, mark)).rejects.toThrow(/is not a revocation mark/);
  });
});

describe('issuedCertificate', () => {
  it('reads the version by VersionId (AWSCURRENT by default) and returns its leaf, metadata and mark only', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(bundle), VersionId: VERSION, ARN: 'arn' });
    sm.on(DescribeSecretCommand).resolves({ Tags: [{ Key: `certflow:revoked:${VERSION}`, Value: 'keyCompromise 2026-02-01T10:00:00.000Z' }] });

    const issued = await store.issuedCertificate('broker', VERSION);

    expect(issued).toEqual({ certificateId: 'broker', version: VERSION, certificatePem: 'LEAF\n', metadata, revoked: mark });
    expect(JSON.stringify(issued)).not.toContain('KEY');
    expect(sm.commandCalls(GetSecretValueCommand)[0]!.args[0].input).toEqual({ SecretId: SECRET, VersionId: VERSION });
    await store.issuedCertificate('broker');
    expect(sm.commandCalls(GetSecretValueCommand)[1]!.args[0].input).toEqual({ SecretId: SECRET, VersionStage: 'AWSCURRENT' });
  });

  it('has nothing for a version id Secrets Manager could not hold (no call made)', async () => {
    expect(await store.issuedCertificate('broker', '1')).toBeUndefined();
    expect(sm.calls()).toEqual([]);
  });
});
