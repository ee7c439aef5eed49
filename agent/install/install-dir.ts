/**
 * The host's install directory, in the store's certbot layout:
 *
 *   <dir>/archive/<id>/<n>/      one directory per installed version (n = 1, 2, …), never modified
 *   <dir>/live/<id>              symlink to ../archive/<id>/<n>, switched by one rename(2)
 *   <dir>/state/<id>.reloaded    the n the service last loaded (what a rollback returns to; 0: none)
 *
 * n counts installs on this host; metadata.json inside names the store's version. Private files
 * (PRIVATE_FILES) are 0600, the rest 0644: run the agent as the service's user.
 */
import { X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { metadataJson, PRIVATE_FILES, type CertificateBundle } from '../../lambdas/core/bundle';
import type { CertificateMetadata } from '../../lambdas/core/certificate';
import { requiredFiles } from '../bundle-check';
import { errorMessage } from '../errors';
import { fsyncDir, isErrno, readdirOrEmpty, readLinkOrUndefined, replaceSymlink, STAGING_PREFIX, writeFileDurable } from './durable-fs';

/** metadata.json: the certificate's public description plus the store's version and formats. */
export type VersionMetadata = CertificateMetadata & { readonly version: string; readonly formats: string[] };

export type VersionCheck = { readonly complete: true; readonly metadata: VersionMetadata } | { readonly complete: false; readonly reason: string };

export interface InstallDirOptions {
  /** Test seam: called after each file of a version reached the disk (fault injection). */
  readonly afterFileWritten?: (name: string) => void | Promise<void>;
}

const NUMBERED = /^[1-9]\d*$/;

export class InstallDir {
  constructor(
    readonly root: string,
    private readonly options: InstallDirOptions = {},
  ) {}

  liveLink(certificateId: string): string {
    return path.join(this.root, 'live', certificateId);
  }

  archiveDir(certificateId: string): string {
    return path.join(this.root, 'archive', certificateId);
  }

  versionDir(certificateId: string, n: number): string {
    return path.join(this.archiveDir(certificateId), String(n));
  }

  private reloadedFile(certificateId: string): string {
    return path.join(this.root, 'state', `${certificateId}.reloaded`);
  }

  /** The n `live/<id>` points at; undefined without a link or when it points outside the archive. */
  async liveVersion(certificateId: string): Promise<number | undefined> {
    const target = await readLinkOrUndefined(this.liveLink(certificateId));
    if (target === undefined) return undefined;
    const resolved = path.resolve(path.dirname(this.liveLink(certificateId)), target);
    const name = path.basename(resolved);
    return path.dirname(resolved) === this.archiveDir(certificateId) && NUMBERED.test(name) ? Number(name) : undefined;
  }

  /** Installed version numbers, oldest first. */
  async versionNumbers(certificateId: string): Promise<number[]> {
    const entries = await readdirOrEmpty(this.archiveDir(certificateId));
    return entries.filter((entry) => NUMBERED.test(entry)).map(Number).sort((a, b) => a - b);
  }

  async stagingDirs(certificateId: string): Promise<string[]> {
    const entries = await readdirOrEmpty(this.archiveDir(certificateId));
    return entries.filter((entry) => entry.startsWith(STAGING_PREFIX)).map((entry) => path.join(this.archiveDir(certificateId), entry));
  }

  /** Complete = metadata.json parses, every file its formats need is there and non-empty, the key matches the leaf it describes. */
  async checkVersion(certificateId: string, n: number): Promise<VersionCheck> {
    const dir = this.versionDir(certificateId, n);
    try {
      const metadata = JSON.parse(await fs.readFile(path.join(dir, 'metadata.json'), 'utf8')) as VersionMetadata;
      for (const name of requiredFiles(metadata.formats ?? [])) {
        const stat = await fs.stat(path.join(dir, name)).catch(() => undefined);
        if (!stat?.isFile() || stat.size === 0) return { complete: false, reason: `${name} is missing or empty` };
      }
      const leaf = new X509Certificate(await fs.readFile(path.join(dir, 'cert.pem')));
      if (!leaf.checkPrivateKey(createPrivateKey(await fs.readFile(path.join(dir, 'privkey.pem'))))) {
        return { complete: false, reason: 'privkey.pem does not match cert.pem' };
      }
      if (leaf.serialNumber.toLowerCase() !== metadata.serialNumber) return { complete: false, reason: 'metadata.json does not describe cert.pem' };
      return { complete: true, metadata };
    } catch (error) {
      return { complete: false, reason: errorMessage(error) };
    }
  }

  /** The newest complete installed version holding this certificate. */
  async findInstalled(certificateId: string, fingerprintSha256: string): Promise<number | undefined> {
    for (const n of (await this.versionNumbers(certificateId)).reverse()) {
      const metadata = await fs.readFile(path.join(this.versionDir(certificateId, n), 'metadata.json'), 'utf8').catch(() => '');
      if (!metadata.includes(`"${fingerprintSha256}"`)) continue; // cheap pre-check; the full check reads and parses every file
      const check = await this.checkVersion(certificateId, n);
      if (check.complete && check.metadata.fingerprintSha256 === fingerprintSha256) return n;
    }
    return undefined;
  }

  /**
   * Write a verified version under a staging name, fsync every file and the directory, then
   * claim the next number with one rename. Returns n. `live/<id>` is not touched.
   */
  async writeVersion(bundle: CertificateBundle, files: Readonly<Record<string, Uint8Array>>): Promise<number> {
    const archive = this.archiveDir(bundle.certificateId);
    await fs.mkdir(archive, { recursive: true, mode: 0o755 });
    const staging = path.join(archive, `${STAGING_PREFIX}${randomBytes(6).toString('hex')}`);
    await fs.mkdir(staging, { mode: 0o755 });
    try {
      const all = { ...files, 'metadata.json': Buffer.from(metadataJson(bundle)) };
      // In parallel, so the fsyncs overlap instead of queueing; all settle before any cleanup.
      const written = await Promise.allSettled(
        Object.entries(all).map(async ([name, data]) => {
          await writeFileDurable(path.join(staging, name), data, PRIVATE_FILES.has(name) ? 0o600 : 0o644);
          await this.options.afterFileWritten?.(name);
        }),
      );
      const failure = written.find((result) => result.status === 'rejected');
      if (failure) throw failure.reason;
      await fsyncDir(staging);
      let n = Math.max(0, ...(await this.versionNumbers(bundle.certificateId))) + 1;
      for (;;) {
        try {
          await fs.rename(staging, this.versionDir(bundle.certificateId, n));
          break;
        } catch (error) {
          if (!isErrno(error, 'EEXIST', 'ENOTEMPTY')) throw error;
          n += 1; // another agent on the same directory took the number
        }
      }
      await fsyncDir(archive);
      return n;
    } catch (error) {
      await fs.rm(staging, { recursive: true, force: true });
      throw error;
    }
  }

  async switchLive(certificateId: string, n: number): Promise<void> {
    await fs.mkdir(path.join(this.root, 'live'), { recursive: true, mode: 0o755 });
    await replaceSymlink(this.liveLink(certificateId), path.join('..', 'archive', certificateId, String(n)));
  }

  /** Remove all but the newest `keep` versions; the ones in `protect` always stay. */
  async prune(certificateId: string, keep: number, protect: readonly number[]): Promise<number[]> {
    const removable = (await this.versionNumbers(certificateId)).reverse().slice(keep).filter((n) => !protect.includes(n));
    for (const n of removable) await fs.rm(this.versionDir(certificateId, n), { recursive: true, force: true });
    return removable;
  }

  async readReloaded(certificateId: string): Promise<number | undefined> {
    try {
      const text = (await fs.readFile(this.reloadedFile(certificateId), 'utf8')).trim();
      return /^\d+$/.test(text) ? Number(text) : undefined;
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return undefined;
      throw error;
    }
  }

  async writeReloaded(certificateId: string, n: number): Promise<void> {
    const file = this.reloadedFile(certificateId);
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
    const temporary = `${file}.tmp-${randomBytes(6).toString('hex')}`;
    await writeFileDurable(temporary, Buffer.from(`${n}\n`), 0o644);
    await fs.rename(temporary, file);
    await fsyncDir(path.dirname(file));
  }
}
