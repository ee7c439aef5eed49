/**
 * The renewal lease (one renewal per certificate at a time), the same contract for both stores:
 * the file store, and Secrets Manager against the AWS API emulator (skipped without it). It relies
 * on: O_EXCL-style link(2) locally; on AWS, CreateSecret failing with ResourceExistsException for an
 * existing name, and PutSecretValue failing with ResourceExistsException when a ClientRequestToken
 * is reused with other data (API reference, PutSecretValue: "If a version with this value already
 * exists and that version's SecretString … values differ from those in the request, then the request
 * fails").
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, describe, expect, it } from 'vitest';
import { SecretsManagerCertificateStore } from '../../domain/adapters/aws/secrets-store';
import { FileCertificateStore } from '../../domain/adapters/local/file-store';
import type { RenewalLeases } from '../../domain/ports';
import { aws, awsClientConfig, uniqueSuffix } from '../support/aws';

const roots: string[] = [];
afterAll(async () => Promise.all(roots.map((root) => fs.rm(root, { recursive: true, force: true }))));

const stores: [string, boolean, () => Promise<RenewalLeases>][] = [
  [
    'the file store',
    true,
    async () => {
      const root = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-lease-'));
      roots.push(root);
      return new FileCertificateStore(root);
    },
  ],
  [
    `Secrets Manager against ${aws.endpoint || `(skipped: ${aws.skipReason})`}`,
    Boolean(aws.endpoint),
    async () => {
      const kms = new KMSClient(awsClientConfig());
      const keyId = (await kms.send(new CreateKeyCommand({ Description: 'certflow lease contract' }))).KeyMetadata!.KeyId!;
      return new SecretsManagerCertificateStore(new SecretsManagerClient(awsClientConfig()), { prefix: `certflow-lease-${uniqueSuffix()}/`, kmsKeyId: keyId });
    },
  ],
];

const NOW = new Date('2026-03-01T12:00:00.000Z');
const inAnHour = new Date(NOW.getTime() + 3_600_000);
const lease = (certificateId: string, holder: string, expiresAt = inAnHour) => ({ certificateId, holder, expiresAt });
const outcome = (promise: Promise<void>) => promise.then(() => 'held', (error: Error) => error.name);

describe.each(stores)('the renewal lease in %s', (_name, available, make) => {
  it.skipIf(!available)('goes to exactly one of five executions racing for it; the holder takes it again (a retried step)', async () => {
    const store = await make();
    const results = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((holder) => outcome(store.acquireLease(lease('race', holder), NOW))));
    expect(results.filter((result) => result === 'held')).toHaveLength(1);
    expect(results.filter((result) => result !== 'held')).toEqual(Array(4).fill('RenewalInProgress'));
    const winner = ['a', 'b', 'c', 'd', 'e'][results.indexOf('held')]!;
    await expect(store.acquireLease(lease('race', winner), NOW)).resolves.toBeUndefined();
  });

  it.skipIf(!available)('is released by its holder only; then another execution takes it', async () => {
    const store = await make();
    await store.acquireLease(lease('release', 'first'), NOW);
    await store.releaseLease('release', 'second'); // not its lease: nothing happens
    await expect(store.acquireLease(lease('release', 'second'), NOW)).rejects.toThrow(/release is being renewed by first \(lease until 2026-03-01T13:00:00.000Z\)/);
    await store.releaseLease('release', 'first');
    await store.releaseLease('release', 'first'); // again: nothing left to release
    await expect(store.acquireLease(lease('release', 'second'), NOW)).resolves.toBeUndefined();
  });

  it.skipIf(!available)('is taken over once expired (its holder was killed); the old holder then releases nothing', async () => {
    const store = await make();
    await store.acquireLease(lease('expired', 'killed', new Date(NOW.getTime() - 1)), NOW);
    await expect(store.acquireLease(lease('expired', 'next'), NOW)).resolves.toBeUndefined();
    await store.releaseLease('expired', 'killed');
    await expect(store.acquireLease(lease('expired', 'third'), NOW)).rejects.toMatchObject({ name: 'RenewalInProgress' });
  });
});
