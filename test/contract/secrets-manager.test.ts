/**
 * Contract tests for the Secrets Manager certificate store (issue #9) against the AWS API emulator
 * (test/support/aws.ts) or the endpoint AWS_ENDPOINT_URL names. Each test states the AWS behaviour
 * it relies on, with the API reference. Suites share one emulator: every name starts with this
 * run's prefix, and nothing is reset.
 */
import { CreateKeyCommand, KMSClient, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretsManagerCertificateSource } from '../../agent/adapters/aws/secrets-manager-source';
import { SecretsManagerCertificateStore, versionToken } from '../../domain/adapters/aws/secrets-store';
import { materialFiles, toBundle } from '../../domain/core/bundle';
import type { CertificateMetadata } from '../../domain/core/certificate';
import type { CertificateMaterial, PendingKey } from '../../domain/ports';
import { aws, awsClientConfig, uniqueSuffix } from '../support/aws';

const run = uniqueSuffix();
const prefix = `certflow-sm-${run}/`;

const metadata = (serialNumber: string, extra: Partial<CertificateMetadata> = {}): CertificateMetadata => ({
  names: [`${serialNumber}.contract.example`],
  serialNumber,
  notBefore: '2026-01-01T00:00:00.000Z',
  notAfter: '2026-04-01T00:00:00.000Z',
  fingerprintSha256: 'aa'.repeat(32),
  keyType: 'ec-p256',
  issuer: 'CN=Contract',
  ...extra,
});
const material = (serial: string, privateKeyPem: string, extra: Partial<CertificateMaterial> = {}): CertificateMaterial => ({
  certificatePem: `CERT-${serial}\n`,
  chainPem: 'ISSUER\n',
  privateKeyPem,
  metadata: metadata(serial),
  files: { 'keystore.pass': Buffer.from(`Password${serial}\n`) },
  ...extra,
});

describe.skipIf(!aws.endpoint)(`Secrets Manager certificate store against ${aws.endpoint || `(skipped: ${aws.skipReason})`}`, () => {
  const client = new SecretsManagerClient(awsClientConfig());
  const kms = new KMSClient(awsClientConfig());
  let keyId = '';
  let store: SecretsManagerCertificateStore;
  const agent = new SecretsManagerCertificateSource(client, { secretPrefix: prefix });
  const certificateSecret = (id: string) => `${prefix}certificates/${id}`;

  beforeAll(async () => {
    keyId = (await kms.send(new CreateKeyCommand({ Description: `certflow secrets-manager contract ${run}` }))).KeyMetadata!.KeyId!;
    store = new SecretsManagerCertificateStore(client, { prefix, kmsKeyId: keyId });
  });

  /** Names of this run's secrets, every page. */
  async function secretNames(): Promise<string[]> {
    const names: string[] = [];
    let NextToken: string | undefined;
    do {
      const page = await client.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [prefix] }], ...(NextToken ? { NextToken } : {}) }));
      names.push(...(page.SecretList ?? []).map((secret) => secret.Name!).filter((name) => name.startsWith(prefix)));
      NextToken = page.NextToken;
    } while (NextToken);
    return names;
  }

  afterAll(async () => {
    for (const name of await secretNames()) await client.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true })).catch(() => undefined);
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 })).catch(() => undefined);
  });

  /** FinalizeOrder, then PackageAndStore as lambdas/handlers/package-and-store.ts calls the store. */
  const finalize = (id: string, order: string, key = `KEY-${order}`) => store.pendingKey(id, `https://ca/${id}/order/${order}`, async () => key);
  const packageAndStore = async (pending: PendingKey, serial: string, extra: Partial<CertificateMaterial> = {}) => {
    const privateKeyPem = await store.readPendingKey(pending);
    await store.currentKeystorePassword(pending.certificateId);
    return store.promote(pending, material(serial, privateKeyPem, extra));
  };
  const issue = async (id: string, serial: string, extra: Partial<CertificateMaterial> = {}) => packageAndStore((await finalize(id, serial)).pending, serial, extra);

  const stagesOf = async (secretId: string) => (await client.send(new DescribeSecretCommand({ SecretId: secretId }))).VersionIdsToStages ?? {};
  const holding = (stages: Record<string, string[]>, label: string) => Object.keys(stages).find((version) => stages[version]!.includes(label));

  /** Every AWSCURRENT / AWSPREVIOUS label, in every secret under the prefix, that sits on a key-only document for `id`. */
  async function labelledKeyDocuments(id: string): Promise<string[]> {
    const found: string[] = [];
    for (const name of (await secretNames()).filter((candidate) => candidate.endsWith(`/${id}`))) {
      const stages = await stagesOf(name);
      for (const label of ['AWSCURRENT', 'AWSPREVIOUS']) {
        const version = holding(stages, label);
        if (!version) continue;
        const { SecretString = '' } = await client.send(new GetSecretValueCommand({ SecretId: name, VersionId: version }));
        const document = JSON.parse(SecretString) as { kind?: string; certificateId?: string };
        if (document.kind === 'pending-key' && document.certificateId === id) found.push(`${name} ${label}`);
      }
    }
    return found;
  }

  describe('first issuance (#9 finding 1)', () => {
    // AWS: "If this operation creates the first version for the secret, then Secrets Manager
    // automatically attaches the staging label AWSCURRENT to the new version", whatever
    // VersionStages names. A secret created without a value has no version at all.
    // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html
    // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html
    it('the first certificate becomes current; a pending key is never AWSCURRENT or AWSPREVIOUS', async () => {
      const { pending } = await finalize('first', '01');
      expect(await store.current('first')).toBeUndefined();
      expect(await store.currentKeystorePassword('first')).toBeUndefined();
      expect(await agent.current('first')).toBeUndefined();

      const stored = await packageAndStore(pending, '01');

      expect((await store.current('first'))?.version).toBe(stored.version);
      expect(await store.currentKeystorePassword('first')).toBe('Password01');
      expect((await agent.current('first'))?.version).toBe(stored.version);
      expect(await labelledKeyDocuments('first')).toEqual([]);
      await expect(store.rollback('first')).rejects.toThrow(/nothing to roll back to/);
    });

    it('discardPending, then a new issuance: the second order becomes the first certificate', async () => {
      const first = await finalize('discarded', '01');
      await store.discardPending(first.pending);
      await store.discardPending(first.pending); // already gone is fine

      const stored = await issue('discarded', '02');

      expect((await store.current('discarded'))?.metadata.serialNumber).toBe('02');
      expect((await agent.current('discarded'))?.files['privkey.pem']).toBe(Buffer.from('KEY-02').toString('base64'));
      expect(holding(await stagesOf(certificateSecret('discarded')), 'AWSCURRENT')).toBe(stored.version);
      expect(await labelledKeyDocuments('discarded')).toEqual([]);
    });

    // A secret written by certflow before the fix: created empty, then the key written as
    // AWSPENDING, which made it AWSCURRENT (API_PutSecretValue.html, as above).
    it('a secret the old code left with a key document as AWSCURRENT heals: no certificate, then a first issuance; rollback refuses the key document', async () => {
      const legacy = certificateSecret('legacy');
      const keyVersion = versionToken(`pending:https://ca/legacy/order/old`);
      await client.send(new CreateSecretCommand({ Name: legacy, KmsKeyId: keyId }));
      await client.send(
        new PutSecretValueCommand({
          SecretId: legacy,
          ClientRequestToken: keyVersion,
          SecretString: JSON.stringify({ kind: 'pending-key', certificateId: 'legacy', privateKeyPem: 'OLDKEY' }),
          VersionStages: ['AWSPENDING'],
        }),
      );
      expect((await stagesOf(legacy))[keyVersion]).toContain('AWSCURRENT'); // the emulator models AWS here

      expect(await store.current('legacy')).toBeUndefined();
      expect(await store.currentKeystorePassword('legacy')).toBeUndefined();
      expect(await agent.current('legacy')).toBeUndefined();
      await expect(store.rollback('legacy')).rejects.toThrow(/nothing to roll back to/);

      const stored = await issue('legacy', '01');

      expect((await store.current('legacy'))?.version).toBe(stored.version);
      expect((await agent.current('legacy'))?.version).toBe(stored.version);
      expect(holding(await stagesOf(legacy), 'AWSPREVIOUS')).toBe(keyVersion);
      await expect(store.rollback('legacy')).rejects.toThrow(/nothing to roll back to/);
      expect((await store.current('legacy'))?.version).toBe(stored.version);
    });

    it('rollback of a certificate never issued says there is nothing to roll back to', async () => {
      await expect(store.rollback('never')).rejects.toThrow(/nothing to roll back to/);
      await finalize('never', '01');
      await expect(store.rollback('never')).rejects.toThrow(/nothing to roll back to/);
    });
  });

  describe('promote is idempotent (#9 finding 2)', () => {
    // AWS: a PutSecretValue repeating a version's ClientRequestToken with the same data "succeeds
    // but does nothing"; with different data it fails (ResourceExistsException): versions are
    // immutable. https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html
    // Removing a label from a version that does not hold it is an InvalidParameterException, and
    // moving AWSCURRENT moves AWSPREVIOUS to the version it left.
    // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UpdateSecretVersionStage.html
    it('promoting twice with the same pending key and material: same version, still current, AWSPREVIOUS unchanged', async () => {
      const first = await issue('twice', '01');
      const { pending, privateKeyPem } = await finalize('twice', '02');
      const once = await store.promote(pending, material('02', privateKeyPem));
      const again = await store.promote(pending, material('02', privateKeyPem));

      expect(again).toEqual(once);
      const stages = await stagesOf(certificateSecret('twice'));
      expect(holding(stages, 'AWSCURRENT')).toBe(once.version);
      expect(holding(stages, 'AWSPREVIOUS')).toBe(first.version);
    });

    it('a retry that packaged the keystores again (other bytes, same version token) promotes the version already written', async () => {
      const first = await issue('repackaged', '01');
      const { pending, privateKeyPem } = await finalize('repackaged', '02');
      const once = await store.promote(pending, material('02', privateKeyPem, { files: { 'keystore.p12': Buffer.from('first packaging') } }));
      const again = await store.promote(pending, material('02', privateKeyPem, { files: { 'keystore.p12': Buffer.from('second packaging') } }));

      expect(again.version).toBe(once.version);
      const stages = await stagesOf(certificateSecret('repackaged'));
      expect(holding(stages, 'AWSCURRENT')).toBe(once.version);
      expect(holding(stages, 'AWSPREVIOUS')).toBe(first.version);
      expect((await agent.current('repackaged'))?.files['keystore.p12']).toBe(Buffer.from('first packaging').toString('base64'));
    });

    it('a promote that died after writing the version (before the tags) completes on retry', async () => {
      const first = await issue('crashed', '01');
      const { pending } = await finalize('crashed', '02');
      const dying = new SecretsManagerClient(awsClientConfig());
      const send = dying.send.bind(dying) as (command: unknown) => Promise<unknown>;
      (dying as { send: unknown }).send = async (command: unknown) => {
        if (command instanceof TagResourceCommand) throw Object.assign(new Error('Task timed out'), { name: 'TimeoutError' });
        return send(command);
      };
      await expect(new SecretsManagerCertificateStore(dying, { prefix, kmsKeyId: keyId }).promote(pending, material('02', 'KEY-02'))).rejects.toThrow(/Task timed out/);

      const stored = await packageAndStore(pending, '02');

      const stages = await stagesOf(certificateSecret('crashed'));
      expect(holding(stages, 'AWSCURRENT')).toBe(stored.version);
      expect(holding(stages, 'AWSPREVIOUS')).toBe(first.version);
      expect((await store.inventory()).find((state) => state.certificateId === 'crashed')?.current?.metadata.serialNumber).toBe('02');
    });

    it('a version written but never made current (a promote that died between PutSecretValue and the label moves) is promoted on retry', async () => {
      const first = await issue('half', '01');
      const { pending, privateKeyPem } = await finalize('half', '02');
      const version = versionToken(`issued:${pending.pendingId}`);
      const written = material('02', privateKeyPem);
      await client.send(
        new PutSecretValueCommand({
          SecretId: certificateSecret('half'),
          ClientRequestToken: version,
          SecretString: JSON.stringify(toBundle('half', version, written.metadata, materialFiles(written))),
          VersionStages: ['AWSPENDING'],
        }),
      );

      const stored = await store.promote(pending, written);

      expect(stored.version).toBe(version);
      const stages = await stagesOf(certificateSecret('half'));
      expect(stages[version]).toContain('AWSCURRENT');
      expect(holding(stages, 'AWSPREVIOUS')).toBe(first.version);
    });
  });

  describe('rollback (#9 finding 3)', () => {
    // AWS: tags belong to the secret, not to a version ("Attaches tags to a secret"), so moving
    // AWSCURRENT leaves them describing the newer version.
    // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_TagResource.html
    // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UpdateSecretVersionStage.html
    it('moves AWSCURRENT back and rewrites the inventory tags from the rolled-back-to version', async () => {
      const first = await issue('rolled', '01');
      const second = await issue('rolled', '02', { metadata: metadata('02', { ariCertId: 'aki.serial02' }) });
      expect((await store.inventory()).find((state) => state.certificateId === 'rolled')?.current?.metadata.ariCertId).toBe('aki.serial02');

      expect(await store.rollback('rolled')).toEqual({ from: second.version, to: first.version });

      expect((await store.current('rolled'))?.metadata.serialNumber).toBe('01');
      const state = (await store.inventory()).find((candidate) => candidate.certificateId === 'rolled');
      expect(state?.current?.version).toBe(first.version);
      expect(state?.current?.metadata).toMatchObject({ serialNumber: '01', names: ['01.contract.example'] });
      expect(state?.current?.metadata.ariCertId).toBeUndefined();
    });

    // A revocation mark is a tag of the secret (certflow:revoked:<VersionId>), which DescribeSecret
    // returns with the stages: the rollback reads both in one call.
    // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html
    it('the inventory (ListSecrets with the tags) says when the current version is revoked, not when an older one is', async () => {
      const first = await issue('revoked-now', '01');
      await store.markRevoked('revoked-now', first.version, { reason: 'keyCompromise', revokedAt: '2026-11-30T10:00:00.000Z' });
      const state = () => store.inventory().then((states) => states.find((candidate) => candidate.certificateId === 'revoked-now'));
      expect((await state())?.currentRevoked).toEqual({ reason: 'keyCompromise', revokedAt: '2026-11-30T10:00:00.000Z' });
      await issue('revoked-now', '02');
      expect(await state()).toMatchObject({ current: { metadata: { serialNumber: '02' } } });
      expect((await state())?.currentRevoked).toBeUndefined();
    });

    it('refuses to make a revoked previous version current again: AWSCURRENT and the tags stay', async () => {
      const first = await issue('revoked-prev', '01');
      const second = await issue('revoked-prev', '02');
      await store.markRevoked('revoked-prev', first.version, { reason: 'keyCompromise', revokedAt: '2026-11-30T10:00:00.000Z' });
      await expect(store.rollback('revoked-prev')).rejects.toThrow(`the previous version ${first.version} is revoked (keyCompromise, 2026-11-30T10:00:00.000Z)`);
      expect((await stagesOf(certificateSecret('revoked-prev')))[second.version]).toContain('AWSCURRENT');
      expect((await store.inventory()).find((state) => state.certificateId === 'revoked-prev')?.current?.version).toBe(second.version);
    });
  });

  describe('the current version without reading a value (PublishFailed)', () => {
    // AWS: DescribeSecret returns the secret's tags and never its value ("Retrieves the details of
    // a secret. It does not include the encrypted secret value"), so it needs no kms:Decrypt.
    // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html
    it('follows promotions and rollbacks through the inventory tags; unknown before the first issuance', async () => {
      expect(await store.currentVersion('looked-up')).toBeUndefined();
      await finalize('looked-up', 'x'); // the secret exists, empty, from the first order
      expect(await store.currentVersion('looked-up')).toBeUndefined();
      const first = await issue('looked-up', '01');
      expect(await store.currentVersion('looked-up')).toBe(first.version);
      const second = await issue('looked-up', '02');
      expect(await store.currentVersion('looked-up')).toBe(second.version);
      await store.rollback('looked-up');
      expect(await store.currentVersion('looked-up')).toBe(first.version);
    });
  });

  describe('pending keys', () => {
    it('pendingKey twice for the same order returns the same key and generates nothing the second time', async () => {
      const first = await store.pendingKey('same-order', 'https://ca/same-order/order/1', async () => 'KEY-A');
      const again = await store.pendingKey('same-order', 'https://ca/same-order/order/1', async () => {
        throw new Error('must not generate again');
      });
      expect(again).toEqual(first);
      expect(again.privateKeyPem).toBe('KEY-A');
    });

    it('two orders in flight keep their own keys, and either can be promoted', async () => {
      const a = await finalize('in-flight', 'a');
      const b = await finalize('in-flight', 'b');
      expect(b.pending.pendingId).not.toBe(a.pending.pendingId);
      expect(await store.readPendingKey(a.pending)).toBe('KEY-a');
      expect(await store.readPendingKey(b.pending)).toBe('KEY-b');

      const storedB = await packageAndStore(b.pending, '0b');
      const storedA = await packageAndStore(a.pending, '0a');

      expect((await agent.current('in-flight'))?.files['privkey.pem']).toBe(Buffer.from('KEY-a').toString('base64'));
      const stages = await stagesOf(certificateSecret('in-flight'));
      expect(holding(stages, 'AWSCURRENT')).toBe(storedA.version);
      expect(holding(stages, 'AWSPREVIOUS')).toBe(storedB.version);
      expect(await labelledKeyDocuments('in-flight')).toEqual([]);
    });
  });

  describe('failures, inventory, size', () => {
    it('recordFailure on a certificate never issued: nothing to tag before its first order, listed with the failure after it', async () => {
      const failure = { at: '2026-11-23T10:00:00.000Z', step: 'CheckOrder', error: 'OrderInvalid' };
      await store.recordFailure('unissued', failure);
      expect((await store.inventory()).some((state) => state.certificateId === 'unissued')).toBe(false);

      await finalize('unissued', '01');
      await store.recordFailure('unissued', failure);

      expect((await store.inventory()).find((state) => state.certificateId === 'unissued')).toEqual({ certificateId: 'unissued', lastFailure: failure });
    });

    // AWS: ListSecrets returns at most MaxResults (≤ 100) per call and a NextToken for the rest.
    // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ListSecrets.html
    it('inventory follows ListSecrets pages past 100 certificates, and lists certificates only', async () => {
      const pagingPrefix = `${prefix}paging/`;
      const ids = Array.from({ length: 103 }, (_, i) => `cert-${String(i).padStart(3, '0')}`);
      for (let i = 0; i < ids.length; i += 20) {
        await Promise.all(
          ids.slice(i, i + 20).map((id) =>
            client.send(new CreateSecretCommand({ Name: `${pagingPrefix}certificates/${id}`, Tags: [{ Key: 'certflow:last-failure', Value: `2026-11-23T10:00:00.000Z CheckOrder ${id}` }] })),
          ),
        );
      }
      await client.send(new CreateSecretCommand({ Name: `${pagingPrefix}accounts/not-a-certificate` }));

      const inventory = await new SecretsManagerCertificateStore(client, { prefix: pagingPrefix, kmsKeyId: keyId }).inventory();

      expect(inventory.map((state) => state.certificateId).sort()).toEqual(ids);
      expect(inventory.find((state) => state.certificateId === 'cert-102')?.lastFailure?.error).toBe('cert-102');
    });

    // AWS: a tag value holds up to 256 characters: letters, digits, spaces and _ . : / = + - @.
    // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_Tag.html
    it('recordAri keeps the CA\'s answer in one tag, read back by the inventory; nothing before the first issuance', async () => {
      const record = { certId: 'aBc-_1.AIdz', start: '2027-01-10T00:00:00.000Z', end: '2027-01-12T00:00:00.000Z', checkedAt: '2026-12-06T12:00:00.000Z', nextCheckAt: '2026-12-06T18:00:00.000Z' };
      await store.recordAri('ari-never', record);
      expect((await store.inventory()).some((state) => state.certificateId === 'ari-never')).toBe(false);

      await issue('ari', '01');
      await store.recordAri('ari', { ...record, explanationUrl: 'https://ca.test/incident/2026-12' });
      const tags = (await client.send(new DescribeSecretCommand({ SecretId: certificateSecret('ari') }))).Tags ?? [];
      expect(tags.find((tag) => tag.Key === 'certflow:ari')?.Value).toBe(`${record.certId} ${record.start} ${record.end} ${record.checkedAt} ${record.nextCheckAt} https://ca.test/incident/2026-12`);
      expect((await store.inventory()).find((state) => state.certificateId === 'ari')?.ari).toEqual({ ...record, explanationUrl: 'https://ca.test/incident/2026-12' });

      // A URL with characters a tag cannot hold is left out; the window is kept.
      await store.recordAri('ari', { ...record, explanationUrl: 'https://ca.test/why?id=1&x=%20' });
      expect((await store.inventory()).find((state) => state.certificateId === 'ari')?.ari).toEqual(record);
    });

    // AWS: SecretString holds at most 65,536 bytes.
    // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html
    it('refuses a bundle over 64 KB before writing anything; the current certificate stays', async () => {
      const first = await issue('huge', '01');
      const { pending, privateKeyPem } = await finalize('huge', '02');
      const huge = material('02', privateKeyPem, { files: { 'keystore.p12': Buffer.alloc(50_000, 1) } });

      await expect(store.promote(pending, huge)).rejects.toMatchObject({ name: 'StoreRejected', message: expect.stringMatching(/65536-byte limit/) });

      expect(Object.keys(await stagesOf(certificateSecret('huge')))).not.toContain(versionToken(`issued:${pending.pendingId}`));
      expect((await store.current('huge'))?.version).toBe(first.version);
    });
  });
});
