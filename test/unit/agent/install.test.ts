/** The install directory: layout and modes, atomic switches, pruning, and repair after a crash. */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyBundle } from '../../../agent/bundle-check';
import { InstallDir } from '../../../agent/install/install-dir';
import { repairInstall } from '../../../agent/install/repair';
import type { CertificateBundle } from '../../../domain/core/bundle';
import { issueBundle, tempDir } from './fixtures';

const ID = 'broker';
let root: string;
let dir: InstallDir;

beforeEach(async () => {
  root = await tempDir('install');
  dir = new InstallDir(root);
});
afterEach(async () => fs.rm(root, { recursive: true, force: true }));

const write = (bundle: CertificateBundle, target = dir) => target.writeVersion(bundle, verifyBundle(bundle, { certificateId: ID }, new Date()));
const modeOf = async (file: string) => (await fs.stat(file)).mode & 0o777;

describe('writeVersion + switchLive', () => {
  it('lays a version out like the store, private files 0600, the rest 0644, live a relative link', async () => {
    const bundle = await issueBundle(ID, 'v-abc');
    const n = await write(bundle);
    await dir.switchLive(ID, n);

    expect(n).toBe(1);
    expect(await fs.readlink(path.join(root, 'live', ID))).toBe(path.join('..', 'archive', ID, '1'));
    const files = (await fs.readdir(path.join(root, 'live', ID))).sort();
    expect(files).toEqual([...Object.keys(bundle.files), 'metadata.json'].sort());
    const modes = Object.fromEntries(await Promise.all(files.map(async (name) => [name, await modeOf(path.join(root, 'live', ID, name))] as const)));
    expect(modes).toEqual({
      'cert.pem': 0o644, 'chain.pem': 0o644, 'fullchain.pem': 0o644, 'metadata.json': 0o644, 'truststore.jks': 0o644, 'truststore.p12': 0o644,
      'privkey.pem': 0o600, 'keystore.p12': 0o600, 'keystore.jks': 0o600, 'keystore.pass': 0o600,
    });
    const metadata = JSON.parse(await fs.readFile(path.join(root, 'live', ID, 'metadata.json'), 'utf8'));
    expect(metadata).toMatchObject({ version: 'v-abc', serialNumber: bundle.metadata.serialNumber, formats: ['pem', 'pkcs12', 'jks'] });
    expect(await fs.readFile(path.join(root, 'live', ID, 'keystore.jks'))).toEqual(Buffer.from(bundle.files['keystore.jks']!, 'base64'));
    expect(await dir.stagingDirs(ID)).toEqual([]);
  });

  it('numbers versions 1, 2, 3 and switches live with one rename (no moment without a link)', async () => {
    const bundles = [await issueBundle(ID, 'a'), await issueBundle(ID, 'b'), await issueBundle(ID, 'c')];
    for (const bundle of bundles) await dir.switchLive(ID, await write(bundle));
    expect(await dir.versionNumbers(ID)).toEqual([1, 2, 3]);
    expect(await dir.liveVersion(ID)).toBe(3);
    expect((await fs.readdir(path.join(root, 'live'))).sort()).toEqual([ID]); // no temporary links left
  });

  it('keeps the newest N versions and always the protected ones', async () => {
    for (let i = 0; i < 7; i += 1) await write(await issueBundle(ID, `v${i}`));
    expect(await dir.prune(ID, 3, [2])).toEqual([4, 3, 1]);
    expect(await dir.versionNumbers(ID)).toEqual([2, 5, 6, 7]);
  });

  it('leaves nothing behind when writing fails part-way (fault hook), and live untouched', async () => {
    const first = await write(await issueBundle(ID, 'a'));
    await dir.switchLive(ID, first);
    let written = 0;
    const failing = new InstallDir(root, {
      afterFileWritten: () => {
        if (++written === 3) throw new Error('disk full');
      },
    });
    await expect(write(await issueBundle(ID, 'b'), failing)).rejects.toThrow('disk full');
    expect(await dir.stagingDirs(ID)).toEqual([]);
    expect(await dir.versionNumbers(ID)).toEqual([1]);
    expect(await dir.liveVersion(ID)).toBe(1);
  });

  it('tells complete versions from incomplete ones', async () => {
    const n = await write(await issueBundle(ID, 'a'));
    expect(await dir.checkVersion(ID, n)).toMatchObject({ complete: true });
    await fs.writeFile(path.join(root, 'archive', ID, String(n), 'keystore.jks'), '');
    expect(await dir.checkVersion(ID, n)).toEqual({ complete: false, reason: 'keystore.jks is missing or empty' });
    const m = await write(await issueBundle(ID, 'b'));
    await fs.copyFile(path.join(root, 'archive', ID, String(n), 'privkey.pem'), path.join(root, 'archive', ID, String(m), 'privkey.pem'));
    expect(await dir.checkVersion(ID, m)).toEqual({ complete: false, reason: 'privkey.pem does not match cert.pem' });
  });
});

describe('repairInstall (after a crash)', () => {
  it('removes a half-written staging dir and moves live off an incomplete version to the newest complete one', async () => {
    await write(await issueBundle(ID, 'a'));
    const b = await write(await issueBundle(ID, 'b'));
    // The crash: version 3 exists without its key, live points at it, a staging dir is half written.
    const broken = path.join(root, 'archive', ID, '3');
    await fs.cp(path.join(root, 'archive', ID, String(b)), broken, { recursive: true });
    await fs.rm(path.join(broken, 'privkey.pem'));
    await dir.switchLive(ID, 3);
    const staging = path.join(root, 'archive', ID, '.staging-deadbeef0000');
    await fs.mkdir(staging);
    await fs.writeFile(path.join(staging, 'cert.pem'), '-----BEGIN CERT');
    await fs.symlink('../archive/broker/1', path.join(root, 'live', `${ID}.tmp-0123456789ab`));

    const result = await repairInstall(dir, ID);

    expect(result).toMatchObject({ outcome: 'repaired', live: b, brokenLive: 3, brokenReason: 'privkey.pem is missing or empty' });
    expect(result.removed.map((file) => path.basename(file)).sort()).toEqual(['.staging-deadbeef0000', `${ID}.tmp-0123456789ab`]);
    expect(await dir.liveVersion(ID)).toBe(b);
    expect(await dir.checkVersion(ID, b)).toMatchObject({ complete: true });
  });

  it('leaves an intact install alone, and reports an empty one', async () => {
    expect(await repairInstall(dir, ID)).toEqual({ outcome: 'empty', brokenLive: undefined, brokenReason: undefined, removed: [] });
    await dir.switchLive(ID, await write(await issueBundle(ID, 'a')));
    expect(await repairInstall(dir, ID)).toEqual({ outcome: 'intact', live: 1, removed: [] });
  });

  it('passes over a complete, self-consistent version the store does not know (planted in archive/) and says so', async () => {
    const a = await write(await issueBundle(ID, 'a'));
    const planted = await write(await issueBundle(ID, 'planted'));
    // live is broken (a crash), and the newest complete version is one the store never issued.
    await dir.switchLive(ID, planted + 1);
    const storeKnows = async (metadata: { version: string }) => metadata.version !== 'planted';

    const result = await repairInstall(dir, ID, storeKnows);

    expect(result).toMatchObject({ outcome: 'repaired', live: a, unknownToStore: [planted] });
    expect(await dir.liveVersion(ID)).toBe(a);
    expect(await repairInstall(dir, ID, async () => false)).toMatchObject({ outcome: 'intact', live: a }); // an intact live is left alone
  });

  it('points live at a complete version when a crash came between writing it and the first switch', async () => {
    await write(await issueBundle(ID, 'a'));
    expect(await repairInstall(dir, ID)).toMatchObject({ outcome: 'repaired', live: 1 });
  });
});
