/** File store, revocation: the mark beside the archive (never in it), created once; a version's leaf read back. */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileCertificateStore } from '../../../domain/adapters/local/file-store';
import { certificateMetadata } from '../../support/certificate-metadata';
import { NothingToRevoke } from '../../../domain/core/errors';
import { LocalStoreAdmin } from '../../../local/store-admin';

const metadata = certificateMetadata;

let root: string;
let store: FileCertificateStore;

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-store-revoke-'));
  store = new FileCertificateStore(root);
});
afterEach(() => fs.rm(root, { recursive: true, force: true }));

async function issue(serial: string, order: string) {
  const { pending, privateKeyPem } = await store.pendingKey('web', `https://ca.test/order/${order}`, async () => `KEY-${serial}`);
  return store.promote(pending, { certificatePem: `CERT ${serial}\n`, chainPem: 'CHAIN\n', privateKeyPem, metadata: metadata(serial) });
}

describe('FileCertificateStore revocation', () => {
  it('reads a version\'s leaf and metadata (the current one by default), and nothing for one that is not there', async () => {
    await issue('01', '1');
    await issue('02', '2');
    expect(await store.issuedCertificate('web')).toEqual({ certificateId: 'web', version: '2', certificatePem: 'CERT 02\n', metadata: metadata('02') });
    expect(await store.issuedCertificate('web', '1')).toMatchObject({ version: '1', certificatePem: 'CERT 01\n' });
    expect(await store.issuedCertificate('web', '3')).toBeUndefined();
    expect(await store.issuedCertificate('web', '6f1c1b2a-0000-4000-8000-000000000001')).toBeUndefined();
    expect(await store.issuedCertificate('other')).toBeUndefined();
  });

  it('marks a version once, beside the archive: racing markers all get the first mark; the archive is untouched', async () => {
    await issue('01', '1');
    const archive = path.join(root, 'archive', 'web', '1');
    const before = await fs.readdir(archive);
    const marks = await Promise.all(
      (['keyCompromise', 'superseded', 'unspecified'] as const).map((reason, i) => store.markRevoked('web', '1', { reason, revokedAt: `2026-02-0${i + 1}T00:00:00.000Z` })),
    );
    expect(new Set(marks.map((mark) => JSON.stringify(mark))).size).toBe(1);
    expect(await fs.readdir(path.join(root, 'revoked', 'web'))).toEqual(['1.json']);
    expect(JSON.parse(await fs.readFile(path.join(root, 'revoked', 'web', '1.json'), 'utf8'))).toEqual(marks[0]);
    expect((await store.issuedCertificate('web', '1'))?.revoked).toEqual(marks[0]);
    expect(await fs.readdir(archive)).toEqual(before);
    // The inventory and the current version do not change; the inventory says the current one is revoked.
    expect((await store.inventory()).map((state) => [state.certificateId, state.current?.version, state.unreadable, state.currentRevoked])).toEqual([['web', '1', undefined, marks[0]]]);
    // Once a newer version is current, the mark stays with version 1 only.
    await issue('02', '2');
    expect((await store.inventory())[0]).toMatchObject({ current: { version: '2' } });
    expect((await store.inventory())[0]!.currentRevoked).toBeUndefined();
  });

  it('rollback never makes a revoked version current: the default passes over it, --to it is refused, none left is refused', async () => {
    const admin = new LocalStoreAdmin(root);
    for (const serial of ['01', '02', '03', '04']) await issue(serial, serial);
    await store.markRevoked('web', '3', { reason: 'keyCompromise', revokedAt: '2026-02-01T00:00:00.000Z' });
    await expect(admin.rollback('web', '3')).rejects.toThrow("version 3 of 'web' is revoked (keyCompromise, 2026-02-01T00:00:00.000Z)");
    expect((await store.current('web'))?.version).toBe('4');
    const back = await admin.rollback('web');
    expect({ from: back.from, to: back.to.version, skippedRevoked: back.skippedRevoked }).toEqual({ from: '4', to: '2', skippedRevoked: ['3'] });
    await store.markRevoked('web', '1', { reason: 'superseded', revokedAt: '2026-02-02T00:00:00.000Z' });
    await expect(admin.rollback('web')).rejects.toThrow("nothing to roll back to: 'web': every older version is revoked (1)");
    expect((await store.current('web'))?.version).toBe('2');
  });

  it('refuses a version that is not an archive number before it touches a path', async () => {
    await expect(store.markRevoked('web', '../1', { reason: 'unspecified', revokedAt: '2026-02-01T00:00:00.000Z' })).rejects.toThrow(/invalid version/);
  });

  it('creates no account key when the generator refuses (a revocation never registers): nothing is left behind', async () => {
    await expect(store.account('https://ca.test/dir', () => Promise.reject(new NothingToRevoke('no account')))).rejects.toThrow(NothingToRevoke);
    expect(await fs.readdir(root)).toEqual([]);
  });
});
