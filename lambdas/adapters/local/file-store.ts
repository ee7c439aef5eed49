/**
 * Certificate store on the local file system, in certbot's layout:
 *
 *   <root>/archive/<id>/<n>/     one directory per issued version (n = 1, 2, …), never modified
 *   <root>/live/<id>             symlink to ../archive/<id>/<newest n>; switched by one rename(2)
 *   <root>/pending/<id>/<p>/     private key of a version being issued (p derived from the order URL)
 *   <root>/accounts/<d>/         ACME account key per directory URL
 *   <root>/secrets/<ref>         local stand-in for referenced secrets (EAB credentials)
 *
 * Private files are 0600. A version becomes current only when fully written, so a failed
 * renewal leaves the previous version current.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { StoreInconsistent } from '../../core/errors';
import { formatsOf, materialFiles, metadataJson, PRIVATE_FILES, toBundle, type CertificateBundle } from '../../core/bundle';
import type { CertificateMetadata } from '../../core/certificate';
import type { CertificateMaterial, CertificateStore, PendingKey, RenewalFailureRecord, StoredAccount, StoredCertificateState, StoredVersion } from '../../ports';

const SAFE_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const SAFE_REF = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const PRIVATE = 0o600;

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

function checkId(certificateId: string): string {
  if (!SAFE_ID.test(certificateId)) throw new StoreInconsistent(`invalid certificate id '${certificateId}'`);
  return certificateId;
}

/** metadata.json: the certificate's public description plus its version and formats. */
type VersionMetadata = CertificateMetadata & { version: string; formats: string[] };

function isErrno(error: unknown, ...codes: string[]): boolean {
  return codes.includes((error as NodeJS.ErrnoException).code ?? '');
}

/** Write a file completely under a temporary name, then give it its final name. */
async function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const temporary = `${file}.tmp-${randomBytes(6).toString('hex')}`;
  await fs.writeFile(temporary, data, { mode, flag: 'wx' });
  await fs.rename(temporary, file);
}

export class FileCertificateStore implements CertificateStore {
  constructor(readonly root: string) {}

  liveDir(certificateId: string): string {
    return path.join(this.root, 'live', checkId(certificateId));
  }

  private archiveDir(certificateId: string): string {
    return path.join(this.root, 'archive', checkId(certificateId));
  }

  private pendingDir(pending: PendingKey): string {
    return path.join(this.root, 'pending', checkId(pending.certificateId), pending.pendingId);
  }

  private accountDir(directoryUrl: string): string {
    return path.join(this.root, 'accounts', shortHash(directoryUrl));
  }

  async account(directoryUrl: string, generate: () => Promise<string>): Promise<StoredAccount> {
    const dir = this.accountDir(directoryUrl);
    const keyPem = await this.accountKey(dir, directoryUrl, generate);
    try {
      return { keyPem, url: (await fs.readFile(path.join(dir, 'account.url'), 'utf8')).trim() };
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return { keyPem };
      throw error;
    }
  }

  async saveAccountUrl(directoryUrl: string, accountUrl: string): Promise<void> {
    await writeFileAtomic(path.join(this.accountDir(directoryUrl), 'account.url'), `${accountUrl}\n`);
  }

  private async accountKey(dir: string, directoryUrl: string, generate: () => Promise<string>): Promise<string> {
    const file = path.join(dir, 'account.key');
    try {
      return await fs.readFile(file, 'utf8');
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) throw error;
    }
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    await fs.writeFile(path.join(dir, 'directory.url'), `${directoryUrl}\n`);
    // link(2) fails if the name exists: of two racing executions exactly one key wins,
    // and nobody can read a half-written file.
    const temporary = `${file}.tmp-${randomBytes(6).toString('hex')}`;
    await fs.writeFile(temporary, await generate(), { mode: PRIVATE, flag: 'wx' });
    try {
      await fs.link(temporary, file);
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) throw error;
    } finally {
      await fs.unlink(temporary);
    }
    return fs.readFile(file, 'utf8');
  }

  async pendingKey(certificateId: string, orderUrl: string, generate: () => Promise<string>) {
    const pending: PendingKey = { certificateId: checkId(certificateId), pendingId: shortHash(orderUrl) };
    const dir = this.pendingDir(pending);
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, 'privkey.pem');
    const temporary = `${file}.tmp-${randomBytes(6).toString('hex')}`;
    await fs.writeFile(temporary, await generate(), { mode: PRIVATE, flag: 'wx' });
    try {
      await fs.link(temporary, file); // a retried step keeps the key it made the first time
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) throw error;
    } finally {
      await fs.unlink(temporary);
    }
    return { pending, privateKeyPem: await fs.readFile(file, 'utf8') };
  }

  async readPendingKey(pending: PendingKey): Promise<string> {
    try {
      return await fs.readFile(path.join(this.pendingDir(pending), 'privkey.pem'), 'utf8');
    } catch (error) {
      if (isErrno(error, 'ENOENT')) throw new StoreInconsistent(`no pending key ${pending.pendingId} for ${pending.certificateId}`);
      throw error;
    }
  }

  async discardPending(pending: PendingKey): Promise<void> {
    await fs.rm(this.pendingDir(pending), { recursive: true, force: true });
  }

  private async versions(certificateId: string): Promise<number[]> {
    try {
      const entries = await fs.readdir(this.archiveDir(certificateId));
      return entries.filter((entry) => /^\d+$/.test(entry)).map(Number);
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return [];
      throw error;
    }
  }

  async promote(pending: PendingKey, material: CertificateMaterial): Promise<StoredVersion> {
    const { certificateId } = pending;
    const archive = this.archiveDir(certificateId);
    await fs.mkdir(archive, { recursive: true });
    const staging = path.join(archive, `.staging-${randomBytes(6).toString('hex')}`);
    await fs.mkdir(staging);
    const files = materialFiles(material);
    for (const [name, data] of Object.entries(files)) {
      await fs.writeFile(path.join(staging, name), data, { mode: PRIVATE_FILES.has(name) ? PRIVATE : 0o644 });
    }

    // The version number is claimed by renaming the staging directory onto it; metadata.json
    // names the version, so it is rewritten when another execution took the number first.
    const formats = formatsOf(Object.keys(files));
    let version = Math.max(0, ...(await this.versions(certificateId))) + 1;
    for (;;) {
      await fs.writeFile(path.join(staging, 'metadata.json'), metadataJson({ metadata: material.metadata, version: String(version), formats }));
      try {
        await fs.rename(staging, path.join(archive, String(version)));
        break;
      } catch (error) {
        if (!isErrno(error, 'EEXIST', 'ENOTEMPTY')) throw error;
        version += 1;
      }
    }

    const live = this.liveDir(certificateId);
    await fs.mkdir(path.dirname(live), { recursive: true });
    const link = `${live}.tmp-${randomBytes(6).toString('hex')}`;
    await fs.symlink(path.join('..', 'archive', certificateId, String(version)), link);
    await fs.rename(link, live); // the one atomic switch
    await this.discardPending(pending);
    return { certificateId, version: String(version), location: live, metadata: material.metadata, formats };
  }

  async current(certificateId: string): Promise<StoredVersion | undefined> {
    let target: string;
    try {
      target = await fs.readlink(this.liveDir(certificateId));
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return undefined;
      throw error;
    }
    const dir = path.resolve(path.dirname(this.liveDir(certificateId)), target);
    const { version, formats, ...metadata } = JSON.parse(await fs.readFile(path.join(dir, 'metadata.json'), 'utf8')) as VersionMetadata;
    return { certificateId, version, location: this.liveDir(certificateId), metadata, formats };
  }

  /** A stored version as a bundle (for subscribers); `version` defaults to the current one. */
  async readVersion(certificateId: string, version?: string): Promise<CertificateBundle | undefined> {
    const current = version ?? (await this.current(certificateId))?.version;
    if (current === undefined) return undefined;
    if (!/^\d+$/.test(current)) throw new StoreInconsistent(`invalid version '${current}'`);
    const dir = path.join(this.archiveDir(certificateId), current);
    let names: string[];
    try {
      names = (await fs.readdir(dir)).filter((name) => name !== 'metadata.json');
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return undefined;
      throw error;
    }
    const { version: _version, formats: _formats, ...metadata } = JSON.parse(await fs.readFile(path.join(dir, 'metadata.json'), 'utf8')) as VersionMetadata;
    const files = Object.fromEntries(await Promise.all(names.map(async (name) => [name, await fs.readFile(path.join(dir, name))] as const)));
    return toBundle(certificateId, current, metadata, files);
  }

  async currentKeystorePassword(certificateId: string): Promise<string | undefined> {
    try {
      return (await fs.readFile(path.join(this.liveDir(certificateId), 'keystore.pass'), 'utf8')).replace(/\n$/, '');
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return undefined;
      throw error;
    }
  }

  private failureFile(certificateId: string): string {
    return path.join(this.root, 'failures', `${checkId(certificateId)}.json`);
  }

  async recordFailure(certificateId: string, failure: RenewalFailureRecord): Promise<void> {
    await fs.mkdir(path.join(this.root, 'failures'), { recursive: true });
    await writeFileAtomic(this.failureFile(certificateId), `${JSON.stringify(failure)}\n`);
  }

  private async lastFailure(certificateId: string): Promise<RenewalFailureRecord | undefined> {
    try {
      return JSON.parse(await fs.readFile(this.failureFile(certificateId), 'utf8')) as RenewalFailureRecord;
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return undefined;
      throw error;
    }
  }

  async inventory(): Promise<StoredCertificateState[]> {
    const ids = new Set<string>();
    for (const dir of ['live', 'failures']) {
      const entries = await fs.readdir(path.join(this.root, dir)).catch((error: unknown) => (isErrno(error, 'ENOENT') ? [] : Promise.reject(error)));
      for (const entry of entries) if (!entry.includes('.tmp-')) ids.add(entry.replace(/\.json$/, ''));
    }
    return Promise.all(
      [...ids].sort().map(async (certificateId): Promise<StoredCertificateState> => {
        const lastFailure = await this.lastFailure(certificateId);
        const base = { certificateId, ...(lastFailure ? { lastFailure } : {}) };
        try {
          const current = await this.current(certificateId);
          return current ? { ...base, current: { version: current.version, metadata: current.metadata } } : base;
        } catch (error) {
          return { ...base, unreadable: (error as Error).message };
        }
      }),
    );
  }

  async readSecret(secretRef: string): Promise<string> {
    if (!SAFE_REF.test(secretRef)) throw new StoreInconsistent(`invalid local secret reference '${secretRef}'`);
    try {
      return await fs.readFile(path.join(this.root, 'secrets', secretRef), 'utf8');
    } catch (error) {
      if (isErrno(error, 'ENOENT')) throw new StoreInconsistent(`no local secret '${secretRef}' under ${this.root}/secrets`);
      throw error;
    }
  }

  /** For writing local secrets (EAB credentials) in setups and tests. */
  async writeSecret(secretRef: string, value: string): Promise<void> {
    if (!SAFE_REF.test(secretRef)) throw new StoreInconsistent(`invalid local secret reference '${secretRef}'`);
    await fs.mkdir(path.join(this.root, 'secrets'), { recursive: true, mode: 0o700 });
    await writeFileAtomic(path.join(this.root, 'secrets', secretRef), value, PRIVATE);
  }
}

FileCertificateStore satisfies new (root: string) => CertificateStore;
