/**
 * The durable certbot layout shared by the file store and the agent: every step reaches the
 * disk in order (fsync of files before they are named, of folders after), and a crash between
 * any two steps leaves a state the readers and the agent's repair handle.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyBundle } from '../../../agent/bundle-check';
import { InstallDir } from '../../../agent/install/install-dir';
import { repairInstall } from '../../../agent/install/repair';
import { FileCertificateStore } from '../../../domain/adapters/local/file-store';
import type { CertificateBundle } from '../../../domain/core/bundle';
import type { CertificateMaterial } from '../../../domain/ports';
import { durabilityGaps, SimulatedCrash, watchedFs, type Step } from '../../support/watched-fs';
import { issueBundle, issueMaterial, tempDir } from '../agent/fixtures';

const ID = 'broker';
let root: string;

beforeEach(async () => {
  root = await tempDir('layout');
});
afterEach(async () => fs.rm(root, { recursive: true, force: true }));

const relative = (steps: readonly Step[], ...ops: string[]) => steps.filter(([op]) => ops.includes(op)).map(([op, file]) => `${op} ${path.relative(root, file)}`);
const install = async (dir: InstallDir, bundle: CertificateBundle) => dir.switchLive(ID, await dir.writeVersion(bundle, verifyBundle(bundle, { certificateId: ID }, new Date())));
const promote = async (store: FileCertificateStore, material: CertificateMaterial, order: string) =>
  store.promote((await store.pendingKey(ID, order, async () => material.privateKeyPem)).pending, material);

describe('durabilityGaps (the judge below)', () => {
  it('finds a rename before fsync and a missing folder fsync', () => {
    const steps: Step[] = [['open', '/d/f.tmp', 'wx'], ['write', '/d/f.tmp'], ['rename', '/d/f.tmp', '/d/f']];
    expect(durabilityGaps(steps)).toEqual(['rename /d/f.tmp: /d/f.tmp was not fsynced before', 'rename /d/f: /d was not fsynced after']);
    expect(durabilityGaps([...steps.slice(0, 2), ['fsync-file', '/d/f.tmp'], steps[2]!, ['fsync-dir', '/d']])).toEqual([]);
  });
});

describe('fsync of files and folders', () => {
  it('a version: every file and the staging folder before the rename that names it, archive/<id> after; live/ after the switch', async () => {
    const steps: Step[] = [];
    const dir = new InstallDir(root, { fs: watchedFs(steps) });
    const bundle = await issueBundle(ID, 'v-1');
    await install(dir, bundle);

    expect(durabilityGaps(steps)).toEqual([]);
    const staging = path.relative(root, steps.find(([op, file]) => op === 'rename' && path.basename(file).startsWith('.staging-'))![1]);
    const fileSyncs = relative(steps, 'fsync-file');
    expect(fileSyncs.sort()).toEqual([...Object.keys(bundle.files), 'metadata.json'].map((name) => `fsync-file ${staging}/${name}`).sort());
    // Folders: the new ones' parents (root, archive, live), the staging folder, archive/<id>, live/.
    expect(relative(steps, 'fsync-dir', 'rename')).toEqual([
      'fsync-dir archive', 'fsync-dir ', `fsync-dir ${staging}`, `rename ${staging}`, `fsync-dir archive/${ID}`,
      'fsync-dir ', expect.stringMatching(new RegExp(`^rename live/${ID}\\.tmp-[0-9a-f]{12}$`)), 'fsync-dir live',
    ]);
  });

  it('the agent\'s reload state: temporary file fsynced, renamed, folder fsynced', async () => {
    const steps: Step[] = [];
    await new InstallDir(root, { fs: watchedFs(steps) }).writeReloaded(ID, 3);
    expect(durabilityGaps(steps)).toEqual([]);
    expect(relative(steps, 'fsync-file', 'fsync-dir', 'rename').map((step) => step.replace(/\.tmp-[0-9a-f]+$/, '.tmp-…'))).toEqual([
      'fsync-dir ', `fsync-file state/${ID}.reloaded.tmp-…`, `rename state/${ID}.reloaded.tmp-…`, 'fsync-dir state',
    ]);
  });

  it.each([
    ['promote', async (store: FileCertificateStore) => {
      const material = await issueMaterial();
      // The pending key is not fsynced (see below): made by an unwatched store.
      const { pending } = await new FileCertificateStore(root).pendingKey(ID, 'o-1', async () => material.privateKeyPem);
      await store.promote(pending, material);
    }],
    ['acquireLease (created by link; its holder noting the order: by rename, no failed create first)', async (store: FileCertificateStore) => {
      const lease = { certificateId: ID, holder: 'execution-1', expiresAt: new Date('2026-11-23T12:00:00.000Z') };
      const now = new Date('2026-11-23T10:00:00.000Z');
      await store.acquireLease(lease, now);
      await store.acquireLease({ ...lease, order: { orderUrl: 'https://ca.test/order/1', records: [] } }, now);
    }],
    ['account (key by link, directory.url by rename)', (store: FileCertificateStore) => store.account('https://ca.test/dir', async () => 'KEY')],
    ['saveAccountUrl', async (store: FileCertificateStore) => {
      await new FileCertificateStore(root).account('https://ca.test/dir', async () => 'KEY');
      await store.saveAccountUrl('https://ca.test/dir', 'https://ca.test/acct/1');
    }],
    ['recordFailure', (store: FileCertificateStore) => store.recordFailure(ID, { at: '2026-11-23T10:00:00.000Z', step: 'CheckOrder', error: 'OrderInvalid' })],
    ['writeSecret', (store: FileCertificateStore) => store.writeSecret('eab', '{"kid":"k","hmacKey":"h"}')],
  ])('the file store: %s', async (_case, write) => {
    const steps: Step[] = [];
    await write(new FileCertificateStore(root, { fs: watchedFs(steps) }));
    expect(steps.filter(([op]) => op === 'rename' || op === 'link').length).toBeGreaterThan(0);
    expect(steps.filter(([op]) => op === 'fsync-file').length).toBeGreaterThan(0);
    expect(durabilityGaps(steps)).toEqual([]);
  });
});

describe('pending keys: atomic, not fsynced (a local execution ends with its process, and its key with it)', () => {
  it('the key is written under a temporary name and linked to its own once complete; nothing is fsynced', async () => {
    const steps: Step[] = [];
    await new FileCertificateStore(root, { fs: watchedFs(steps) }).pendingKey(ID, 'o-1', async () => 'KEY');
    const ops = steps.map(([op, file]) => `${op} ${path.basename(file)}`.replace(/\.tmp-[0-9a-f]+$/, '.tmp-…'));
    expect(ops.filter((op) => op.startsWith('fsync'))).toEqual([]);
    expect(ops.indexOf('link privkey.pem.tmp-…')).toBeGreaterThan(ops.indexOf('write privkey.pem.tmp-…'));
  });

  it('a lease is still fsynced: its taker after a crash of the machine cleans up what it notes', async () => {
    const steps: Step[] = [];
    const store = new FileCertificateStore(root, { fs: watchedFs(steps) });
    await store.acquireLease({ certificateId: ID, holder: 'execution-1', expiresAt: new Date('2026-11-23T12:00:00.000Z') }, new Date('2026-11-23T10:00:00.000Z'));
    expect(steps.filter(([op]) => op === 'fsync-file')).toHaveLength(1);
    expect(durabilityGaps(steps)).toEqual([]);
  });
});

describe('a crash between any two steps', () => {
  /** Steps one call takes on a fresh copy of the state, so each can be the last before a crash. */
  async function countSteps(prepare: () => Promise<void>, act: (fsPort: ReturnType<typeof watchedFs>) => Promise<unknown>): Promise<Step[]> {
    await prepare();
    const steps: Step[] = [];
    await act(watchedFs(steps));
    await fs.rm(root, { recursive: true, force: true });
    await fs.mkdir(root);
    return steps;
  }

  it('the agent: repair leaves live on a complete version — the old one, or the new one once the switch ran', async () => {
    const [v1, v2] = [await issueBundle(ID, 'v-1'), await issueBundle(ID, 'v-2')];
    const prepare = () => install(new InstallDir(root), v1);
    const steps = await countSteps(prepare, (fsPort) => install(new InstallDir(root, { fs: fsPort }), v2));
    const switched = steps.findIndex(([op, , to]) => op === 'rename' && to === path.join(root, 'live', ID)) + 1;
    expect(switched).toBeGreaterThan(0);

    for (let crashAfter = 0; crashAfter < steps.length; crashAfter += 1) {
      await prepare();
      await expect(install(new InstallDir(root, { fs: watchedFs([], crashAfter) }), v2)).rejects.toThrow(SimulatedCrash);

      const dir = new InstallDir(root);
      const repaired = await repairInstall(dir, ID);
      expect(repaired.outcome, `crash after step ${crashAfter}`).not.toBe('empty');
      expect(repaired.live, `crash after step ${crashAfter}`).toBe(crashAfter >= switched ? 2 : 1);
      expect(await dir.checkVersion(ID, repaired.live!)).toMatchObject({ complete: true, metadata: { version: crashAfter >= switched ? 'v-2' : 'v-1' } });
      expect([...(await dir.stagingDirs(ID)), ...(await dir.temporaryLinks(ID))]).toEqual([]);
      await fs.rm(root, { recursive: true, force: true });
      await fs.mkdir(root);
    }
  });

  it('the file store: current stays the previous version until the switch, leftovers are invisible, the next promote works', async () => {
    const [m1, m2, m3] = [await issueMaterial(), await issueMaterial(), await issueMaterial()];
    const prepare = async () => void (await promote(new FileCertificateStore(root), m1, 'o-1'));
    const steps = await countSteps(prepare, (fsPort) => promote(new FileCertificateStore(root, { fs: fsPort }), m2, 'o-2'));
    const switched = steps.findIndex(([op, , to]) => op === 'rename' && to === path.join(root, 'live', ID)) + 1;

    for (let crashAfter = 0; crashAfter < steps.length; crashAfter += 1) {
      await prepare();
      await expect(promote(new FileCertificateStore(root, { fs: watchedFs([], crashAfter) }), m2, 'o-2')).rejects.toThrow(SimulatedCrash);

      const store = new FileCertificateStore(root);
      const current = await store.current(ID);
      expect(current?.metadata.serialNumber, `crash after step ${crashAfter}`).toBe((crashAfter >= switched ? m2 : m1).metadata.serialNumber);
      const bundle = await store.readVersion(ID);
      expect(Buffer.from(bundle!.files['privkey.pem']!, 'base64').toString()).toBe((crashAfter >= switched ? m2 : m1).privateKeyPem);
      expect((await store.inventory()).map((entry) => entry.certificateId)).toEqual([ID]);
      const next = await promote(store, m3, 'o-3');
      expect(await store.current(ID)).toEqual(next);
      await fs.rm(root, { recursive: true, force: true });
      await fs.mkdir(root);
    }
  });
});

describe('metadata.json is parsed with its contract (VersionMetadataSchema)', () => {
  const corrupt = async (edit: (metadata: Record<string, unknown>) => unknown) => {
    const file = path.join(root, 'archive', ID, '1', 'metadata.json');
    const metadata = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
    const edited = edit(metadata);
    await fs.writeFile(file, typeof edited === 'string' ? edited : JSON.stringify(edited));
  };

  it.each<[string, (metadata: Record<string, unknown>) => unknown, RegExp]>([
    ['not JSON', () => '{"version":', /metadata\.json: is not valid JSON$/],
    ['without its version', ({ version: _version, ...rest }) => rest, /metadata\.json: version is missing$/],
    ['with formats that are not a list', (metadata) => ({ ...metadata, formats: 'pem' }), /metadata\.json: formats is not a list \(got "pem"\)$/],
    ['with a malformed fingerprint', (metadata) => ({ ...metadata, fingerprintSha256: 'AB' }), /metadata\.json: fingerprintSha256 does not match/],
  ])('a version whose metadata.json is %s is incomplete for the agent and inconsistent for the store', async (_case, edit, reason) => {
    const dir = new InstallDir(root);
    await install(dir, await issueBundle(ID, 'v-1'));
    expect(await dir.checkVersion(ID, 1)).toMatchObject({ complete: true, metadata: { version: 'v-1', formats: ['pem', 'pkcs12', 'jks'] } });
    await corrupt(edit);

    const check = await dir.checkVersion(ID, 1);
    expect(check.complete).toBe(false);
    expect(!check.complete && check.reason).toMatch(reason);
    await expect(new FileCertificateStore(root).current(ID)).rejects.toMatchObject({ name: 'StoreInconsistent', message: expect.stringMatching(reason) });
  });
});
