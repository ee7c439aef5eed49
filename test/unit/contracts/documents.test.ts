/** Stored documents are parsed with their contracts: messages name the field and never quote a key. */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SecretsManagerCertificateStore, versionToken } from '../../../domain/adapters/aws/secrets-store';
import { parseBundle } from '../../../agent/bundle-check';
import { BundleRejected } from '../../../agent/errors';
import { toBundle } from '../../../domain/core/bundle';

const sm = mockClient(SecretsManagerClient);
const store = new SecretsManagerCertificateStore(new SecretsManagerClient({ region: 'eu-west-1' }), { prefix: 'certflow/', kmsKeyId: 'k' });
const KEY = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n';
const metadata = {
  names: ['mq.example.com'],
  serialNumber: '0abc',
  notBefore: '2026-01-01T00:00:00.000Z',
  notAfter: '2026-04-01T00:00:00.000Z',
  fingerprintSha256: 'ff'.repeat(32),
  keyType: 'ec-p256' as const,
  issuer: 'CN=Test',
};

beforeEach(() => sm.reset());

describe('parseBundle', () => {
  const good = toBundle('broker', 'v1', metadata, { 'privkey.pem': Buffer.from(KEY) });

  it.each<[string, unknown, RegExp]>([
    ['not an object', 'PEM', /^malformed bundle: the bundle is not a JSON object$/],
    ['another schema', { ...good, schema: 'certflow.bundle/v0' }, /schema is "certflow.bundle\/v0", expected 'certflow.bundle\/v1'/],
    ['a bad certificate id', { ...good, certificateId: '../etc' }, /certificateId must be 1–64 of a-z 0-9/],
    ['no names', { ...good, metadata: { ...metadata, names: [] } }, /metadata.names has 0 entries, at least 1/],
    ['an unknown key type', { ...good, metadata: { ...metadata, keyType: 'dsa' } }, /metadata.keyType is unexpected, expected "ec-p256" or/],
    ['a missing serial', { ...good, metadata: { ...metadata, serialNumber: undefined } }, /metadata.serialNumber is missing/],
    ['formats that are not a list', { ...good, formats: 'pem' }, /formats is not a list/],
    ['a path for a file name', { ...good, files: { ...good.files, '../x': '' } }, /files\["..\/x"\] is not allowed as a file name/],
    ['a key that is not base64', { ...good, files: { 'privkey.pem': KEY } }, /files\["privkey.pem"\] is not base64/],
  ])('rejects %s, naming the field', (_case, value, message) => {
    let thrown: unknown;
    try {
      parseBundle(value);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(BundleRejected);
    expect((thrown as Error).message).toMatch(message);
    expect((thrown as Error).message).not.toContain('PRIVATE KEY');
  });

  it('reads back what toBundle writes', () => {
    expect(parseBundle(JSON.parse(JSON.stringify(good)))).toEqual(good);
  });
});

describe('Secrets Manager store documents', () => {
  const pending = { certificateId: 'broker', pendingId: versionToken('pending:https://ca/order/1') };

  it.each<[string, string, RegExp]>([
    ['not JSON', KEY, /is not a pending key of broker: it is not JSON/],
    ['no key', JSON.stringify({ kind: 'pending-key', certificateId: 'broker' }), /privateKeyPem is missing/],
    ['a marker', JSON.stringify({ kind: 'pending-keys', certificateId: 'broker' }), /kind is unexpected, expected "pending-key"/],
    ['another certificate', JSON.stringify({ kind: 'pending-key', certificateId: 'other', privateKeyPem: KEY }), /it names other/],
    ['a key that is not a string', JSON.stringify({ kind: 'pending-key', certificateId: 'broker', privateKeyPem: [KEY] }), /privateKeyPem is not a string$/],
  ])('a pending key that is %s is StoreInconsistent, and the message quotes no key', async (_case, secretString, message) => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: secretString });
    const read = store.readPendingKey(pending);
    await expect(read).rejects.toMatchObject({ name: 'StoreInconsistent', message: expect.stringMatching(message) });
    await expect(read).rejects.toSatisfy((error: Error) => !error.message.includes('PRIVATE KEY'));
  });

  it('an account document without a key is StoreInconsistent', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ directoryUrl: 'https://acme.example/dir', url: 'https://acme.example/acct/1' }) });
    await expect(store.account('https://acme.example/dir', async () => KEY)).rejects.toMatchObject({ name: 'StoreInconsistent', message: expect.stringMatching(/keyPem is missing/) });
  });

  it('a current version that is a bundle of the wrong shape is no certificate (the scan reissues)', async () => {
    const bundle = toBundle('broker', 'v1', metadata, { 'keystore.pass': Buffer.from('pw\n') });
    sm.on(GetSecretValueCommand).resolves({ VersionId: 'v1', SecretString: JSON.stringify({ ...bundle, metadata: { ...metadata, names: 'mq.example.com' } }) });
    expect(await store.current('broker')).toBeUndefined();
    sm.on(GetSecretValueCommand).resolves({ VersionId: 'v1', SecretString: JSON.stringify(bundle) });
    expect(await store.current('broker')).toMatchObject({ certificateId: 'broker', version: 'v1', formats: ['pem'] });
  });
});
