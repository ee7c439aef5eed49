import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileCertificateStore } from '../../../domain/adapters/local/file-store';
import { certificateMetadata } from '../../support/certificate-metadata';

const metadata = certificateMetadata;

const material = (serial: string, key: string) => ({
  certificatePem: `CERT ${serial}\n`,
  chainPem: 'CHAIN\n',
  privateKeyPem: key,
  metadata: metadata(serial),
  files: { 'keystore.p12': new Uint8Array([1, 2, 3]), 'keystore.pass': new TextEncoder().encode(`pass-${serial}\n`), 'truststore.jks': new Uint8Array([4]) },
});

let root: string;
let store: FileCertificateStore;

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-store-'));
  store = new FileCertificateStore(root);
});
afterEach(async () => fs.rm(root, { recursive: true, force: true }));

describe('FileCertificateStore', () => {
  it('creates the account key once even when many executions race for it', async () => {
    let generated = 0;
    const generate = async () => `KEY-${++generated}`;
    const accounts = await Promise.all(Array.from({ length: 8 }, () => store.account('https://ca.test/dir', generate)));
    const keys = accounts.map((account) => account.keyPem);
    expect(new Set(keys).size).toBe(1);
    expect(accounts[0]!.url).toBeUndefined();
    await store.saveAccountUrl('https://ca.test/dir', 'https://ca.test/acct/1');
    expect(await store.account('https://ca.test/dir', generate)).toEqual({ keyPem: keys[0], url: 'https://ca.test/acct/1' });
    expect((await store.account('https://other-ca.test/dir', generate)).keyPem).not.toBe(keys[0]);
    const dirs = await fs.readdir(path.join(root, 'accounts'));
    const stat = await fs.stat(path.join(root, 'accounts', dirs[0]!, 'account.key'));
    expect(stat.mode & 0o777).toBe(0o600);
  });

  it('finds the same pending key again for the same order (a retried finalize)', async () => {
    const first = await store.pendingKey('web', 'https://ca.test/order/1', async () => 'KEY-A');
    const retry = await store.pendingKey('web', 'https://ca.test/order/1', async () => 'KEY-B');
    const otherOrder = await store.pendingKey('web', 'https://ca.test/order/2', async () => 'KEY-C');
    expect(retry).toEqual(first);
    expect(first.privateKeyPem).toBe('KEY-A');
    expect(otherOrder.privateKeyPem).toBe('KEY-C');
    expect(await store.readPendingKey(first.pending)).toBe('KEY-A');
  });

  it('promotes versions 1, 2 … with live/<id> pointing at the newest, private files 0600', async () => {
    const a = await store.pendingKey('web', 'o1', async () => 'KEY-1');
    const v1 = await store.promote(a.pending, material('01', 'KEY-1'));
    const b = await store.pendingKey('web', 'o2', async () => 'KEY-2');
    const v2 = await store.promote(b.pending, material('02', 'KEY-2'));

    expect([v1.version, v2.version]).toEqual(['1', '2']);
    expect(v2.formats).toEqual(['pem', 'pkcs12', 'jks']);
    expect(JSON.parse(await fs.readFile(path.join(root, 'archive', 'web', '2', 'metadata.json'), 'utf8'))).toEqual({
      ...metadata('02'),
      version: '2',
      formats: ['pem', 'pkcs12', 'jks'],
    });
    expect(await store.current('web')).toEqual(v2);
    expect(await store.currentKeystorePassword('web')).toBe('pass-02');
    expect(await fs.readlink(path.join(root, 'live', 'web'))).toBe(path.join('..', 'archive', 'web', '2'));
    const live = path.join(root, 'live', 'web');
    expect(await fs.readFile(path.join(live, 'privkey.pem'), 'utf8')).toBe('KEY-2');
    expect(await fs.readFile(path.join(live, 'fullchain.pem'), 'utf8')).toBe('CERT 02\nCHAIN\n');
    expect((await fs.stat(path.join(live, 'privkey.pem'))).mode & 0o777).toBe(0o600);
    expect((await fs.stat(path.join(live, 'keystore.p12'))).mode & 0o777).toBe(0o600);
    expect((await fs.stat(path.join(live, 'keystore.pass'))).mode & 0o777).toBe(0o600);
    expect((await fs.stat(path.join(live, 'truststore.jks'))).mode & 0o777).toBe(0o644);
    expect((await fs.stat(path.join(live, 'cert.pem'))).mode & 0o777).toBe(0o644);
    expect(await fs.readFile(path.join(root, 'archive', 'web', '1', 'privkey.pem'), 'utf8')).toBe('KEY-1');
    expect((await store.current('web'))?.metadata.serialNumber).toBe('02');
    // The execution's cleanup forgets the pending key (a retried PackageAndStore still reads it until then).
    await store.discardPending(b.pending);
    await expect(store.readPendingKey(b.pending)).rejects.toThrow(/no pending key/);
  });

  it('a discarded pending version leaves the current version untouched', async () => {
    const a = await store.pendingKey('web', 'o1', async () => 'KEY-1');
    await store.promote(a.pending, material('01', 'KEY-1'));
    const failed = await store.pendingKey('web', 'o2', async () => 'KEY-2');
    await store.discardPending(failed.pending);
    await store.discardPending(failed.pending); // missing is fine
    expect((await store.current('web'))?.version).toBe('1');
    expect(await fs.readFile(path.join(root, 'live', 'web', 'privkey.pem'), 'utf8')).toBe('KEY-1');
  });

  it('reads a failure record back by its schema, naming the file and field when it is malformed', async () => {
    await store.recordFailure('web', { at: '2026-12-01T00:00:00.000Z', step: 'CheckOrder', error: 'OrderInvalid' });
    expect((await store.inventory()).find((state) => state.certificateId === 'web')?.lastFailure).toEqual({ at: '2026-12-01T00:00:00.000Z', step: 'CheckOrder', error: 'OrderInvalid' });
    await fs.writeFile(path.join(root, 'failures', 'web.json'), '{"at":"2026-12-01T00:00:00.000Z","error":"OrderInvalid"}\n');
    await expect(store.inventory()).rejects.toThrow(/failures\/web\.json: .*step/);
  });

  it('writes a file it does not know 0600: only certificates and truststores are public (issue #12)', async () => {
    const { pending } = await store.pendingKey('web', 'o1', async () => 'KEY-1');
    const extra = material('01', 'KEY-1');
    await store.promote(pending, { ...extra, files: { ...extra.files, 'broker.key': new TextEncoder().encode('SECRET') } });
    const live = path.join(root, 'live', 'web');
    expect((await fs.stat(path.join(live, 'broker.key'))).mode & 0o777).toBe(0o600);
    expect((await fs.stat(path.join(live, 'chain.pem'))).mode & 0o777).toBe(0o644);
  });

  it('promotes again without storing again (a retried PackageAndStore): the pending key is still there to read', async () => {
    const a = await store.pendingKey('web', 'o1', async () => 'KEY-1');
    const first = await store.promote(a.pending, material('01', 'KEY-1'));
    expect(await store.readPendingKey(a.pending)).toBe('KEY-1');
    expect(await store.promote(a.pending, material('01', 'KEY-1'))).toEqual(first);
    expect(await fs.readdir(path.join(root, 'archive', 'web'))).toEqual(['1']);
  });

  it('leaves no pending key behind: promoted and discarded (the cleanup), the folder of the certificate goes once no order is in flight', async () => {
    const a = await store.pendingKey('web', 'o1', async () => 'KEY-1');
    const b = await store.pendingKey('web', 'o2', async () => 'KEY-2');
    await store.promote(a.pending, material('01', 'KEY-1'));
    await store.discardPending(a.pending);
    expect(await fs.readdir(path.join(root, 'pending', 'web'))).toHaveLength(1); // o2 still in flight
    await store.discardPending(b.pending);
    expect(await fs.readdir(path.join(root, 'pending'))).toEqual([]);
    expect(store.pendingFor('web', 'o2')).toEqual(b.pending);
  });

  it('two promotions racing get distinct version numbers', async () => {
    const a = await store.pendingKey('web', 'o1', async () => 'KEY-1');
    const b = await store.pendingKey('web', 'o2', async () => 'KEY-2');
    const versions = await Promise.all([store.promote(a.pending, material('01', 'KEY-1')), store.promote(b.pending, material('02', 'KEY-2'))]);
    expect(versions.map((v) => v.version).sort()).toEqual(['1', '2']);
    for (const v of versions) {
      const written = JSON.parse(await fs.readFile(path.join(root, 'archive', 'web', v.version, 'metadata.json'), 'utf8'));
      expect(written.version).toBe(v.version);
    }
  });

  it('has no current version before the first issuance and rejects unsafe ids', async () => {
    expect(await store.current('never-issued')).toBeUndefined();
    expect(await store.currentKeystorePassword('never-issued')).toBeUndefined();
    await expect(store.current('../escape')).rejects.toThrow(/invalid certificate id/);
    await expect(store.readSecret('../../etc/passwd')).rejects.toThrow(/invalid local secret reference/);
  });

  it('keeps referenced secrets readable only by the owner', async () => {
    await store.writeSecret('eab', '{"kid":"k","hmacKey":"h"}');
    expect(await store.readSecret('eab')).toBe('{"kid":"k","hmacKey":"h"}');
    expect((await fs.stat(path.join(root, 'secrets', 'eab'))).mode & 0o777).toBe(0o600);
    await expect(store.readSecret('missing')).rejects.toThrow(/no local secret 'missing'/);
  });
});

describe('FileCertificateStore.readVersion', () => {
  it('returns a stored version as a bundle, current by default', async () => {
    const a = await store.pendingKey('web', 'o1', async () => 'KEY-1');
    await store.promote(a.pending, material('01', 'KEY-1'));
    const b = await store.pendingKey('web', 'o2', async () => 'KEY-2');
    await store.promote(b.pending, material('02', 'KEY-2'));

    const current = await store.readVersion('web');
    expect(current).toMatchObject({ schema: 'certflow.bundle/v1', certificateId: 'web', version: '2', formats: ['pem', 'pkcs12', 'jks'] });
    expect(current!.metadata).toEqual(metadata('02'));
    expect(Buffer.from(current!.files['privkey.pem']!, 'base64').toString()).toBe('KEY-2');
    expect(Object.keys(current!.files).sort()).toEqual(
      ['cert.pem', 'chain.pem', 'fullchain.pem', 'keystore.p12', 'keystore.pass', 'privkey.pem', 'truststore.jks'],
    );
    expect((await store.readVersion('web', '1'))!.metadata.serialNumber).toBe('01');
    expect(await store.readVersion('web', '9')).toBeUndefined();
    expect(await store.readVersion('nothing')).toBeUndefined();
  });
});

describe('FileCertificateStore inventory', () => {
  it('lists current versions and last failures, including never-issued certificates', async () => {
    const a = await store.pendingKey('web', 'o1', async () => 'KEY-1');
    await store.promote(a.pending, material('01', 'KEY-1'));
    await store.recordFailure('web', { at: '2026-11-23T10:00:00.000Z', step: 'CheckOrder', error: 'OrderInvalid' });
    await store.recordFailure('never', { at: '2026-11-23T11:00:00.000Z', step: 'CreateOrder', error: 'AcmeRateLimited' });
    expect(await store.inventory()).toEqual([
      { certificateId: 'never', lastFailure: { at: '2026-11-23T11:00:00.000Z', step: 'CreateOrder', error: 'AcmeRateLimited' } },
      {
        certificateId: 'web',
        current: { version: '1', metadata: metadata('01') },
        lastFailure: { at: '2026-11-23T10:00:00.000Z', step: 'CheckOrder', error: 'OrderInvalid' },
      },
    ]);
  });
});

describe('FileCertificateStore ARI answers (RFC 9773 §4.3)', () => {
  const record = { certId: 'aki.01', start: '2027-01-10T00:00:00.000Z', end: '2027-01-12T00:00:00.000Z', checkedAt: '2026-12-06T12:00:00.000Z', nextCheckAt: '2026-12-06T18:00:00.000Z' };

  it('keeps the last answer in ari/<id>.json and lists it with the current version', async () => {
    const a = await store.pendingKey('web', 'o1', async () => 'KEY-1');
    await store.promote(a.pending, material('01', 'KEY-1'));
    await store.recordAri('web', record);
    await store.recordAri('web', { ...record, nextCheckAt: '2026-12-07T00:00:00.000Z' });
    expect(JSON.parse(await fs.readFile(path.join(root, 'ari', 'web.json'), 'utf8'))).toEqual({ ...record, nextCheckAt: '2026-12-07T00:00:00.000Z' });
    expect((await store.inventory())[0]).toMatchObject({ certificateId: 'web', ari: { ...record, nextCheckAt: '2026-12-07T00:00:00.000Z' } });
  });

  it('a malformed answer is not listed (the scan asks the CA again), and no answer lists no certificate', async () => {
    const a = await store.pendingKey('web', 'o1', async () => 'KEY-1');
    await store.promote(a.pending, material('01', 'KEY-1'));
    await store.recordAri('never', record);
    await fs.writeFile(path.join(root, 'ari', 'web.json'), '{"certId": 5}');
    expect(await store.inventory()).toEqual([{ certificateId: 'web', current: { version: '1', metadata: metadata('01') } }]);
  });
});

describe('FileCertificateStore hygiene (issue #12)', () => {
  const DAY = 24 * 60 * 60 * 1000;

  it('sweeps pending keys older than a day when a new one is made, keeping younger ones and the one asked for', async () => {
    let now = new Date();
    const clocked = new FileCertificateStore(root, { now: () => now });
    const abandoned = await clocked.pendingKey('old-cert', 'https://ca.test/order/old', async () => 'OLD');
    const young = await clocked.pendingKey('young-cert', 'https://ca.test/order/young', async () => 'YOUNG');
    const retried = await clocked.pendingKey('retried-cert', 'https://ca.test/order/retried', async () => 'RETRIED');
    const pendingDir = (id: string, p: string) => path.join(root, 'pending', id, p);
    const age = async (id: string, p: string, ms: number) => {
      const at = new Date(now.getTime() - ms);
      await fs.utimes(pendingDir(id, p), at, at);
    };
    await age('old-cert', abandoned.pending.pendingId, DAY + 60_000);
    await age('young-cert', young.pending.pendingId, DAY - 60_000);
    await age('retried-cert', retried.pending.pendingId, 3 * DAY);

    // A retried FinalizeOrder asks for its own (old) key: it stays; the abandoned one goes.
    expect((await clocked.pendingKey('retried-cert', 'https://ca.test/order/retried', async () => 'NEW')).privateKeyPem).toBe('RETRIED');
    expect((await fs.readdir(path.join(root, 'pending'))).sort()).toEqual(['retried-cert', 'young-cert']);
    expect(await fs.readdir(path.join(root, 'pending', 'young-cert'))).toEqual([young.pending.pendingId]);

    now = new Date(now.getTime() + 2 * DAY); // later on, both are old
    expect(await clocked.sweepPending()).toEqual([pendingDir('retried-cert', retried.pending.pendingId), pendingDir('young-cert', young.pending.pendingId)]);
    expect(await fs.readdir(path.join(root, 'pending'))).toEqual([]);
  });

  it('keeps an account under a stable name, and uses a saved URL only with the directory it was registered with', async () => {
    const named = () => new FileCertificateStore(root, { accountName: (url) => (url.startsWith('https://localhost:') ? 'embedded-pebble' : url) });
    const first = await named().account('https://localhost:1111/dir', async () => 'KEY-1');
    expect(first).toEqual({ keyPem: 'KEY-1' });
    await named().saveAccountUrl('https://localhost:1111/dir', 'https://localhost:1111/my-account/1');
    expect(await named().account('https://localhost:1111/dir', async () => 'KEY-X')).toEqual({ keyPem: 'KEY-1', url: 'https://localhost:1111/my-account/1' });

    // A new Pebble (new port) forgot the account: same key, no URL, so it is registered again.
    expect(await named().account('https://localhost:2222/dir', async () => 'KEY-2')).toEqual({ keyPem: 'KEY-1' });
    await named().saveAccountUrl('https://localhost:2222/dir', 'https://localhost:2222/my-account/7');
    expect(await named().account('https://localhost:2222/dir', async () => 'KEY-3')).toEqual({ keyPem: 'KEY-1', url: 'https://localhost:2222/my-account/7' });
    expect(await fs.readdir(path.join(root, 'accounts'))).toHaveLength(1);

    // Other directories keep their own account.
    expect((await named().account('https://ca.test/dir', async () => 'OTHER')).keyPem).toBe('OTHER');
    expect(await fs.readdir(path.join(root, 'accounts'))).toHaveLength(2);
  });
});
