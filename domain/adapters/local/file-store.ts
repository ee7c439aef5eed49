/**
 * Certificate store on the local file system, in certbot's layout:
 *
 *   <root>/archive/<id>/<n>/     one directory per issued version (n = 1, 2, …), never modified
 *   <root>/live/<id>             symlink to ../archive/<id>/<newest n>; switched by one rename(2)
 *   <root>/pending/<id>/<p>/     private key of a version being issued (p derived from the order URL);
 *                                swept once older than a day (an order abandoned by a killed run)
 *   <root>/leases/<id>.json      the renewal lease: which execution renews <id>, until when, and its order (created
 *                                exclusively; removed by its holder, taken over once expired or its holder gone)
 *   <root>/accounts/<d>/         ACME account key per directory URL (or per stable name: `accountName`)
 *   <root>/secrets/<ref>         local stand-in for referenced secrets (EAB credentials, keystore passwords;
 *                                a name's folders as folders: secrets/certflow/eab/<name>)
 *   <root>/revoked/<id>/<n>.json the revocation mark of version n (RevokeCertificate): reason and time; created
 *                                once, beside the archive (which is never modified)
 *
 * Private files are 0600. A version becomes current only when fully written, so a failed
 * renewal leaves the previous version current. archive/ and live/ are written by the certbot
 * layout shared with the host agent (domain/layout/certbot-layout.ts); every file here is
 * fsynced before the rename or link that names it, and its folder after — but pending keys, which
 * no one reads once the machine has crashed (see pendingKey).
 */
import { parseContract } from '../../contracts/parse';
import { RevocationMarkSchema } from '../../contracts/revocation';
import { AriRecordSchema, RenewalFailureRecordSchema, RenewalLeaseSchema } from '../../contracts/store-documents';
import type { AriRecord } from '../../core/ari-checks';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { CERTIFICATE_ID } from '../../contracts/ids';
import { materialFiles, toBundle, type CertificateBundle } from '../../core/bundle';
import { FILE, formatsOf, METADATA_FILE, passwordOf } from '../../keystores/formats';
import { isErrno, RenewalInProgress, StoreInconsistent } from '../../core/errors';
import { leaseOf, leaseRecord, leaseVerdict, nextLease } from '../../core/lease';
import { CertbotLayout, type CertbotLayoutOptions } from '../../layout/certbot-layout';
import { TEMP_INFIX } from '../../layout/durable-fs';
import type { z } from 'zod';
import type { CertificateMaterial, CertificateStore, IssuedCertificate, LeaseOptions, PendingKey, RenewalFailureRecord, RenewalLease, RevocationMark, StoredAccount, StoredCertificateState, StoredVersion } from '../../ports';

/** A secret name as a relative path: `/`-separated segments each led by a letter or digit (never `.`, `..` or empty). */
const SAFE_REF = /^(?=.{1,512}$)[A-Za-z0-9][A-Za-z0-9._+=@-]{0,127}(?:\/[A-Za-z0-9][A-Za-z0-9._+=@-]{0,127})*$/;
const PRIVATE = 0o600;
/** A pending key this old belongs to an order no execution will finish (a run was killed). */
const PENDING_MAX_AGE_MS = 24 * 60 * 60 * 1000;

export interface FileStoreOptions extends CertbotLayoutOptions {
  /**
   * The name an account is kept under, by directory URL (default: the URL itself). The local
   * default names its embedded Pebble, whose port changes every run, with one stable name: one
   * account key for all runs. A saved account URL is used only for the directory it was
   * registered with; for any other the same key is registered anew.
   */
  readonly accountName?: (directoryUrl: string) => string;
  /** The clock that ages pending keys (tests pass a fake one). */
  readonly now?: () => Date;
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** A certificate id, checked before it becomes part of a path. */
export function checkId(certificateId: string): string {
  if (!CERTIFICATE_ID.test(certificateId)) throw new StoreInconsistent(`invalid certificate id '${certificateId}'`);
  return certificateId;
}

export class FileCertificateStore implements CertificateStore {
  private readonly layout: CertbotLayout;
  private readonly accountName: (directoryUrl: string) => string;
  private readonly now: () => Date;

  constructor(
    readonly root: string,
    options: FileStoreOptions = {},
  ) {
    const { accountName = (directoryUrl) => directoryUrl, now = () => new Date(), ...layoutOptions } = options;
    this.layout = new CertbotLayout(root, layoutOptions);
    this.accountName = accountName;
    this.now = now;
  }

  private get files() {
    return this.layout.files;
  }

  private get fs() {
    return this.layout.files.fs;
  }

  liveDir(certificateId: string): string {
    return this.layout.liveLink(checkId(certificateId));
  }

  private pendingDir(pending: PendingKey): string {
    return path.join(this.root, 'pending', checkId(pending.certificateId), pending.pendingId);
  }

  private accountDir(directoryUrl: string): string {
    return path.join(this.root, 'accounts', shortHash(this.accountName(directoryUrl)));
  }

  private async readOrUndefined(file: string): Promise<string | undefined> {
    try {
      return (await this.fs.readFile(file, 'utf8')).trim();
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return undefined;
      throw error;
    }
  }

  async account(directoryUrl: string, generate: () => Promise<string>): Promise<StoredAccount> {
    const dir = this.accountDir(directoryUrl);
    const keyPem = await this.accountKey(dir, directoryUrl, generate);
    const url = await this.readOrUndefined(path.join(dir, 'account.url'));
    // A URL registered with another directory (an earlier embedded Pebble, which forgot it) is
    // stale: without a URL the caller registers the same key again.
    const registeredWith = await this.readOrUndefined(path.join(dir, 'directory.url'));
    return url !== undefined && (registeredWith === undefined || registeredWith === directoryUrl) ? { keyPem, url } : { keyPem };
  }

  async saveAccountUrl(directoryUrl: string, accountUrl: string): Promise<void> {
    const dir = this.accountDir(directoryUrl);
    // The URL first: a crash between the two leaves it marked for the old directory, so stale
    // (registered again, harmlessly), never an old URL marked current.
    await this.files.replaceFile(path.join(dir, 'account.url'), `${accountUrl}\n`, 0o644);
    await this.files.replaceFile(path.join(dir, 'directory.url'), `${directoryUrl}\n`, 0o644);
  }

  private async accountKey(dir: string, directoryUrl: string, generate: () => Promise<string>): Promise<string> {
    const file = path.join(dir, 'account.key');
    try {
      return await this.fs.readFile(file, 'utf8');
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) throw error;
    }
    const generated = await generate(); // first: a generator that refuses (revocation) leaves nothing behind
    await this.files.ensureDir(dir, 0o700);
    await this.files.replaceFile(path.join(dir, 'directory.url'), `${directoryUrl}\n`, 0o644);
    await this.files.createFileOnce(file, generated, PRIVATE); // of two racing executions exactly one key wins
    return this.fs.readFile(file, 'utf8');
  }

  async pendingKey(certificateId: string, orderUrl: string, generate: () => Promise<string>) {
    const pending = this.pendingFor(certificateId, orderUrl);
    const dir = this.pendingDir(pending);
    await this.sweepPending(dir);
    // Not fsynced: a local execution runs in the command that started it (ADR 0010), so a crash of
    // the machine ends it with its key; the taker of its lease only removes what it left.
    await this.files.ensureDir(dir, 0o700, 'process');
    const file = path.join(dir, FILE.privateKey);
    await this.files.createFileOnce(file, await generate(), PRIVATE, 'process'); // a retried step keeps the key it made the first time
    return { pending, privateKeyPem: await this.fs.readFile(file, 'utf8') };
  }

  /**
   * Removes pending keys older than a day (by their folder's mtime: when the key was written),
   * and certificate folders left empty. `keep` (the folder being asked for) is never removed.
   * Returns the folders removed.
   */
  async sweepPending(keep?: string): Promise<string[]> {
    const oldest = this.now().getTime() - PENDING_MAX_AGE_MS;
    const removed: string[] = [];
    const pendingRoot = path.join(this.root, 'pending');
    for (const certificateId of await this.files.readdirOrEmpty(pendingRoot)) {
      const certificateDir = path.join(pendingRoot, certificateId);
      const before = removed.length;
      for (const pendingId of await this.files.readdirOrEmpty(certificateDir)) {
        const dir = path.join(certificateDir, pendingId);
        if (dir === keep) continue;
        const stat = await this.fs.lstat(dir).catch((error: unknown) => {
          if (isErrno(error, 'ENOENT')) return undefined; // another execution swept or promoted it
          throw error;
        });
        if (stat === undefined || stat.mtimeMs >= oldest) continue;
        await this.fs.rm(dir, { recursive: true, force: true });
        removed.push(dir);
      }
      // Only a folder this sweep emptied: an empty one may be an order's, just being created.
      if (removed.length === before) continue;
      await this.fs.rmdir(certificateDir).catch((error: unknown) => {
        if (!isErrno(error, 'ENOTEMPTY') && !isErrno(error, 'ENOENT') && !isErrno(error, 'EEXIST')) throw error;
      });
    }
    return removed;
  }

  private leaseFile(certificateId: string): string {
    return path.join(this.root, 'leases', `${checkId(certificateId)}.json`);
  }

  /** A JSON document the store keeps (a failure record, a lease), read back by its schema; undefined when there is none. */
  private async readDocument<S extends z.ZodType>(file: string, schema: S): Promise<z.output<S> | undefined> {
    const text = await this.readOrUndefined(file);
    if (text === undefined) return undefined;
    const fail = (message: string) => new StoreInconsistent(`${file}: ${message}`);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw fail('not JSON');
    }
    return parseContract(schema, value, fail);
  }

  private async readLease(certificateId: string): Promise<RenewalLease | undefined> {
    const record = await this.readDocument(this.leaseFile(certificateId), RenewalLeaseSchema);
    return record && leaseOf(certificateId, record);
  }

  async acquireLease(lease: RenewalLease, now: Date, options: LeaseOptions = {}): Promise<RenewalLease | undefined> {
    const { certificateId, holder } = lease;
    const file = this.leaseFile(certificateId);
    let replaced: RenewalLease | undefined;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      // Read first: its holder noting the order (CreateOrder's second call) then rewrites it at once,
      // without a create that must fail first (a written, fsynced and removed temporary file).
      const held = await this.readLease(certificateId);
      if (held === undefined) {
        // Of two racing executions exactly one creates it; the other reads it next round.
        await this.files.ensureDir(path.dirname(file));
        if (await this.files.createFileOnce(file, `${JSON.stringify(leaseRecord(nextLease(undefined, lease, 'free')))}\n`, 0o644)) return replaced;
        continue;
      }
      const verdict = leaseVerdict(held, holder, now, options.takeOverFrom);
      if (verdict === 'held') throw new RenewalInProgress(`${certificateId} is being renewed by ${held.holder} (lease until ${held.expiresAt.toISOString()})`, held.holder);
      if (verdict === 'mine') {
        // Only its holder rewrites a lease, so no one else writes it meanwhile.
        await this.files.replaceFile(file, `${JSON.stringify(leaseRecord(nextLease(held, lease, 'mine')))}\n`, 0o644);
        return replaced;
      }
      // Expired, or its holder is gone: whoever renames it away takes over (the others find it gone,
      // or taken again) and inherits what it left out.
      const away = `${file}${TEMP_INFIX}taken-${holder.replace(/[^A-Za-z0-9-]/g, '_').slice(-64)}`;
      try {
        await this.fs.rename(file, away);
      } catch (error) {
        if (isErrno(error, 'ENOENT')) continue;
        throw error;
      }
      const taken = await this.readDocument(away, RenewalLeaseSchema);
      await this.fs.rm(away, { force: true });
      replaced = taken ? leaseOf(certificateId, taken) : held;
      // Another taker may create it first: then the next round finds its lease held.
      if (await this.files.createFileOnce(file, `${JSON.stringify(leaseRecord(nextLease(replaced, lease, verdict)))}\n`, 0o644)) return replaced;
    }
    throw new RenewalInProgress(`${certificateId}: the renewal lease changed hands while it was being taken`);
  }

  async releaseLease(certificateId: string, holder: string): Promise<void> {
    if ((await this.readLease(certificateId))?.holder !== holder) return;
    await this.fs.rm(this.leaseFile(certificateId), { force: true });
  }

  heldLease(certificateId: string): Promise<RenewalLease | undefined> {
    return this.readLease(certificateId);
  }

  async readPendingKey(pending: PendingKey): Promise<string> {
    try {
      return await this.fs.readFile(path.join(this.pendingDir(pending), FILE.privateKey), 'utf8');
    } catch (error) {
      if (isErrno(error, 'ENOENT')) throw new StoreInconsistent(`no pending key ${pending.pendingId} for ${pending.certificateId}`);
      throw error;
    }
  }

  pendingFor(certificateId: string, orderUrl: string): PendingKey {
    return { certificateId: checkId(certificateId), pendingId: shortHash(orderUrl) };
  }

  async discardPending(pending: PendingKey): Promise<void> {
    await this.fs.rm(this.pendingDir(pending), { recursive: true, force: true });
    // The certificate's folder goes too once no order of it is in flight: nothing stays behind.
    await this.fs.rmdir(path.dirname(this.pendingDir(pending))).catch((error: unknown) => {
      if (!isErrno(error, 'ENOTEMPTY') && !isErrno(error, 'ENOENT') && !isErrno(error, 'EEXIST')) throw error;
    });
  }

  /**
   * Idempotent, as a retried PackageAndStore needs: the certificate current already (the same leaf:
   * serial and fingerprint) is not stored again. The pending key stays until the execution's cleanup
   * discards it (a retry reads it again first).
   */
  async promote(pending: PendingKey, material: CertificateMaterial): Promise<StoredVersion> {
    const certificateId = checkId(pending.certificateId);
    const current = await this.current(certificateId);
    const { serialNumber, fingerprintSha256 } = material.metadata;
    if (current?.metadata.serialNumber === serialNumber && current.metadata.fingerprintSha256 === fingerprintSha256) return current;
    const files = materialFiles(material);
    const formats = formatsOf(Object.keys(files));
    // The store's version is the archive number n: metadata.json is rewritten when another execution took n first.
    const n = await this.layout.addVersion({ certificateId, files, metadata: material.metadata, formats, version: (n) => String(n) });
    await this.layout.switchLive(certificateId, n);
    return { certificateId, version: String(n), location: this.liveDir(certificateId), metadata: material.metadata, formats };
  }

  async current(certificateId: string): Promise<StoredVersion | undefined> {
    const dir = await this.layout.liveTarget(checkId(certificateId));
    if (dir === undefined) return undefined;
    const { version, formats, ...metadata } = await this.layout.readMetadata(dir);
    return { certificateId, version, location: this.liveDir(certificateId), metadata, formats };
  }

  /** A stored version as a bundle (for subscribers); `version` defaults to the current one. */
  async readVersion(certificateId: string, version?: string): Promise<CertificateBundle | undefined> {
    const current = version ?? (await this.current(certificateId))?.version;
    if (current === undefined) return undefined;
    if (!/^\d+$/.test(current)) throw new StoreInconsistent(`invalid version '${current}'`);
    const dir = this.layout.versionDir(checkId(certificateId), current);
    let names: string[];
    try {
      names = (await this.fs.readdir(dir)).filter((name) => name !== METADATA_FILE);
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return undefined;
      throw error;
    }
    const { version: _version, formats: _formats, ...metadata } = await this.layout.readMetadata(dir);
    const files = Object.fromEntries(await Promise.all(names.map(async (name) => [name, await this.fs.readFile(path.join(dir, name))] as const)));
    return toBundle(certificateId, current, metadata, files);
  }

  async currentKeystorePassword(certificateId: string): Promise<string | undefined> {
    try {
      return passwordOf(await this.fs.readFile(path.join(this.liveDir(certificateId), FILE.password)));
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return undefined;
      throw error;
    }
  }

  private failureFile(certificateId: string): string {
    return path.join(this.root, 'failures', `${checkId(certificateId)}.json`);
  }

  async recordFailure(certificateId: string, failure: RenewalFailureRecord): Promise<void> {
    await this.files.ensureDir(path.join(this.root, 'failures'));
    await this.files.replaceFile(this.failureFile(certificateId), `${JSON.stringify(failure)}\n`, 0o644);
  }

  private lastFailure(certificateId: string): Promise<RenewalFailureRecord | undefined> {
    return this.readDocument(this.failureFile(certificateId), RenewalFailureRecordSchema);
  }

  private ariFile(certificateId: string): string {
    return path.join(this.root, 'ari', `${checkId(certificateId)}.json`);
  }

  async recordAri(certificateId: string, record: AriRecord): Promise<void> {
    await this.files.ensureDir(path.join(this.root, 'ari'));
    await this.files.replaceFile(this.ariFile(certificateId), `${JSON.stringify(record)}\n`, 0o644);
  }

  /** The number `live/<id>` points at: a link, no file read. */
  async currentVersion(certificateId: string): Promise<string | undefined> {
    const n = await this.layout.liveVersion(checkId(certificateId));
    return n === undefined ? undefined : String(n);
  }

  async inventory(): Promise<StoredCertificateState[]> {
    const ids = new Set<string>();
    for (const dir of ['live', 'failures']) {
      for (const entry of await this.files.readdirOrEmpty(path.join(this.root, dir))) if (!entry.includes(TEMP_INFIX)) ids.add(entry.replace(/\.json$/, ''));
    }
    return Promise.all(
      [...ids].sort().map(async (certificateId): Promise<StoredCertificateState> => {
        const lastFailure = await this.lastFailure(certificateId);
        const base = { certificateId, ...(lastFailure ? { lastFailure } : {}) };
        try {
          const current = await this.current(certificateId);
          if (!current) return base;
          // A malformed mark does not hide the certificate from the scan: certflow status reports it.
          const revoked = await this.readDocument(this.revocationFile(certificateId, current.version), RevocationMarkSchema).catch(() => undefined);
          // Only a cache of the CA's answer: a malformed one is asked again.
          const ari = await this.readDocument(this.ariFile(certificateId), AriRecordSchema).catch(() => undefined);
          return { ...base, current: { version: current.version, metadata: current.metadata }, ...(revoked ? { currentRevoked: revoked } : {}), ...(ari ? { ari } : {}) };
        } catch (error) {
          return { ...base, unreadable: (error as Error).message };
        }
      }),
    );
  }

  private revocationFile(certificateId: string, version: string): string {
    if (!/^\d+$/.test(version)) throw new StoreInconsistent(`invalid version '${version}'`);
    return path.join(this.root, 'revoked', checkId(certificateId), `${version}.json`);
  }

  /** Version `version` (default: the one `live/<id>` points at): its leaf and metadata from the archive, and its mark. */
  async issuedCertificate(certificateId: string, version?: string): Promise<IssuedCertificate | undefined> {
    const n = version ?? (await this.currentVersion(certificateId));
    if (n === undefined) return undefined;
    if (!/^\d+$/.test(n)) return undefined; // not an archive number: no such version here
    const dir = this.layout.versionDir(checkId(certificateId), n);
    let certificatePem: string;
    try {
      certificatePem = await this.fs.readFile(path.join(dir, FILE.certificate), 'utf8');
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return undefined;
      throw error;
    }
    const { version: _version, formats: _formats, ...metadata } = await this.layout.readMetadata(dir);
    const revoked = await this.readDocument(this.revocationFile(certificateId, n), RevocationMarkSchema);
    return { certificateId, version: n, certificatePem, metadata, ...(revoked ? { revoked } : {}) };
  }

  /** `revoked/<id>/<n>.json`, created once (link(2)): of two markers the first wins, and both return its mark. */
  async markRevoked(certificateId: string, version: string, mark: RevocationMark): Promise<RevocationMark> {
    const file = this.revocationFile(certificateId, version);
    await this.files.ensureDir(path.dirname(file));
    await this.files.createFileOnce(file, `${JSON.stringify(mark)}\n`, 0o644);
    const stored = await this.readDocument(file, RevocationMarkSchema);
    if (!stored) throw new StoreInconsistent(`${file} is missing after it was written`);
    return stored;
  }

  async readSecret(secretRef: string): Promise<string> {
    if (!SAFE_REF.test(secretRef)) throw new StoreInconsistent(`invalid local secret reference '${secretRef}'`);
    try {
      return await this.fs.readFile(path.join(this.root, 'secrets', secretRef), 'utf8');
    } catch (error) {
      if (isErrno(error, 'ENOENT')) throw new StoreInconsistent(`no local secret '${secretRef}' under ${this.root}/secrets`);
      throw error;
    }
  }

  /** For writing local secrets (EAB credentials) in setups and tests. */
  async writeSecret(secretRef: string, value: string): Promise<void> {
    if (!SAFE_REF.test(secretRef)) throw new StoreInconsistent(`invalid local secret reference '${secretRef}'`);
    const file = path.join(this.root, 'secrets', secretRef);
    await this.files.ensureDir(path.dirname(file), 0o700);
    await this.files.replaceFile(file, value, PRIVATE);
  }
}

FileCertificateStore satisfies new (root: string) => CertificateStore;
