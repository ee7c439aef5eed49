/**
 * The root rotation record's store (RootRotations, ADR 0013), the same contract for both stores: the
 * file store, and Secrets Manager against the AWS API emulator (skipped without it). A change is
 * written only over the phase the writer read; of two writers racing from the same phase exactly one
 * wins. On AWS that rests on CreateSecret failing with ResourceExistsException for an existing name
 * and PutSecretValue failing with ResourceExistsException when a ClientRequestToken is reused with
 * other data (Secrets Manager API reference, PutSecretValue).
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, describe, expect, it } from 'vitest';
import { SecretsManagerRootRotations } from '../../domain/adapters/aws/secrets-rotations';
import { FileRootRotations } from '../../domain/adapters/local/file-rotations';
import type { RotationPhase, RotationRecord } from '../../domain/core/root-rotation';
import type { RootRotations } from '../../domain/ports';
import { aws, awsClientConfig, uniqueSuffix } from '../support/aws';

const roots: string[] = [];
afterAll(async () => Promise.all(roots.map((root) => fs.rm(root, { recursive: true, force: true }))));

const stores: [string, boolean, () => Promise<RootRotations>][] = [
  [
    'the file store',
    true,
    async () => {
      const root = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-rotations-'));
      roots.push(root);
      return new FileRootRotations(root);
    },
  ],
  [
    `Secrets Manager against ${aws.endpoint || `(skipped: ${aws.skipReason})`}`,
    Boolean(aws.endpoint),
    async () => new SecretsManagerRootRotations(new SecretsManagerClient(awsClientConfig()), { prefix: `certflow-rotation-${uniqueSuffix()}/` }),
  ],
];

const AT = '2026-12-06T12:00:00.000Z';
const root = (digit: string) => ({ fingerprintSha256: digit.repeat(64), pem: `-----BEGIN CERTIFICATE-----\n${digit}\n-----END CERTIFICATE-----\n`, authority: `roots/${digit}` });
const record = (ca: string, phase: RotationPhase): RotationRecord => ({
  ca,
  phase,
  oldRoot: root('a'),
  newRoot: root('b'),
  certificateIds: ['broker-1'],
  members: [{ certificateId: 'broker-1', host: 'host-a' }],
  startedAt: AT,
  phaseSince: AT,
  history: [{ phase, at: AT }],
});
const outcome = (promise: Promise<unknown>) => promise.then(() => 'saved', (error: Error) => error.name);

describe.each(stores)('root rotation records in %s', (_name, available, make) => {
  it.skipIf(!available)('reads back what it wrote, per CA; refuses a change over another phase than the one expected', async () => {
    const store = await make();
    expect(await store.rotation('ca-1')).toBeUndefined();
    await store.saveRotation(record('ca-1', 'distribute'), undefined);
    expect(await store.rotation('ca-1')).toEqual(record('ca-1', 'distribute'));
    expect(await store.rotation('ca-2')).toBeUndefined();
    await expect(store.saveRotation(record('ca-1', 'issue-new'), undefined)).rejects.toThrow(/in phase distribute, expected \(none\)/);
    await expect(store.saveRotation(record('ca-1', 'retire-old'), 'issue-new')).rejects.toMatchObject({ name: 'RotationConflict' });
    await store.saveRotation(record('ca-1', 'issue-new'), 'distribute');
    expect((await store.rotation('ca-1'))?.phase).toBe('issue-new');
  });

  it.skipIf(!available)('of two writers advancing from the same phase, exactly one wins; so for the first record', async () => {
    const store = await make();
    const created = await Promise.all([outcome(store.saveRotation(record('race', 'distribute'), undefined)), outcome(store.saveRotation({ ...record('race', 'distribute'), startedAt: '2026-12-06T12:00:01.000Z' }, undefined))]);
    expect(created.sort()).toEqual(['RotationConflict', 'saved']);
    const advanced = await Promise.all([outcome(store.saveRotation(record('race', 'issue-new'), 'distribute')), outcome(store.saveRotation({ ...record('race', 'issue-new'), phaseSince: '2026-12-06T12:00:02.000Z' }, 'distribute'))]);
    expect(advanced.sort()).toEqual(['RotationConflict', 'saved']);
    expect((await store.rotation('race'))?.phase).toBe('issue-new');
  });
});
