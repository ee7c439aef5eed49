/**
 * certbot's layout, written durably. Shared by the pipeline's file store
 * (domain/adapters/local/file-store.ts) and the host agent's install directory
 * (agent/install/install-dir.ts):
 *
 *   <root>/archive/<id>/<n>/   one folder per version (n = 1, 2, …), never modified once named
 *   <root>/live/<id>           symlink to ../archive/<id>/<n>, switched by one rename(2)
 *
 * A version is written under `archive/<id>/.staging-<hex>/` (every file fsynced, then the folder)
 * and claims its number with one rename, made durable by an fsync of `archive/<id>`. `live/<id>`
 * is switched through a temporary link `live/<id>.tmp-<hex>` renamed over it, then `live/` is
 * fsynced. A crash at any point leaves the previous `live/<id>` or the new one, plus leftovers
 * (staging folders, temporary links) that `stagingDirs` and `temporaryLinks` name for repair.
 * Files the registry (domain/keystores/formats.ts) knows are public (certificates, truststores) and metadata.json are 0644;
 * every other file, private keys, keystores, passwords and anything unknown, is 0600 (or the
 * `permissions.privateMode` the host agent is given, never readable by others).
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { VersionMetadataSchema, type VersionMetadata } from '../contracts/bundle';
import { parseContract } from '../contracts/parse';
import { fileMode, metadataJson } from '../core/bundle';
import { METADATA_FILE } from '../keystores/formats';
import type { CertificateMetadata } from '../core/certificate';
import { isErrno, StoreInconsistent } from '../core/errors';
import { DurableFs, type FileOwner, type FsPort } from './durable-fs';

const STAGING_PREFIX = '.staging-';
const NUMBERED = /^[1-9]\d*$/;

export type { VersionMetadata };

export interface CertbotLayoutOptions {
  /** The file system (default node:fs/promises); tests pass one that records or interrupts the steps. */
  readonly fs?: FsPort;
  /** Mode of private files (default 0600) and owner of every file of a version (the host agent's --key-mode, --owner, --group). */
  readonly permissions?: { readonly privateMode?: number } & FileOwner;
  /** Test seam: called after each file of a version reached the disk (fault injection). */
  readonly afterFileWritten?: (name: string) => void | Promise<void>;
}

export interface VersionToWrite {
  readonly certificateId: string;
  /** Every file but metadata.json, which is written from the fields below. */
  readonly files: Readonly<Record<string, Uint8Array>>;
  readonly metadata: CertificateMetadata;
  readonly formats: string[];
  /** The version metadata.json names: fixed, or derived from the number n the folder gets. */
  readonly version: string | ((n: number) => string);
}

export class CertbotLayout {
  readonly files: DurableFs;

  constructor(
    readonly root: string,
    private readonly layoutOptions: CertbotLayoutOptions = {},
  ) {
    this.files = new DurableFs(layoutOptions.fs);
  }

  liveLink(certificateId: string): string {
    return path.join(this.root, 'live', certificateId);
  }

  archiveDir(certificateId: string): string {
    return path.join(this.root, 'archive', certificateId);
  }

  /** `n` as a number or as its folder name. */
  versionDir(certificateId: string, n: number | string): string {
    return path.join(this.archiveDir(certificateId), String(n));
  }

  /** The folder `live/<id>` points at (resolved), undefined without a link. */
  async liveTarget(certificateId: string): Promise<string | undefined> {
    const target = await this.files.readLinkOrUndefined(this.liveLink(certificateId));
    return target === undefined ? undefined : path.resolve(path.dirname(this.liveLink(certificateId)), target);
  }

  /** The n `live/<id>` points at; undefined without a link or when it points outside the archive. */
  async liveVersion(certificateId: string): Promise<number | undefined> {
    const resolved = await this.liveTarget(certificateId);
    if (resolved === undefined) return undefined;
    const name = path.basename(resolved);
    return path.dirname(resolved) === this.archiveDir(certificateId) && NUMBERED.test(name) ? Number(name) : undefined;
  }

  /** Version numbers in the archive, oldest first. */
  async versionNumbers(certificateId: string): Promise<number[]> {
    const entries = await this.files.readdirOrEmpty(this.archiveDir(certificateId));
    return entries.filter((entry) => NUMBERED.test(entry)).map(Number).sort((a, b) => a - b);
  }

  /** Staging folders a crash left in `archive/<id>/`. */
  async stagingDirs(certificateId: string): Promise<string[]> {
    const archive = this.archiveDir(certificateId);
    return (await this.files.readdirOrEmpty(archive)).filter((entry) => entry.startsWith(STAGING_PREFIX)).map((entry) => path.join(archive, entry));
  }

  /** Temporary links a crash during a switch left in `live/`. */
  temporaryLinks(certificateId: string): Promise<string[]> {
    return this.files.temporariesOf(this.liveLink(certificateId));
  }

  /** A version's metadata.json, parsed with its contract: one that does not parse is StoreInconsistent (the version is unreadable). */
  async readMetadata(versionDir: string): Promise<VersionMetadata> {
    const file = path.join(versionDir, METADATA_FILE);
    const invalid = (message: string) => new StoreInconsistent(`${file}: ${message}`);
    let json: unknown;
    try {
      json = JSON.parse(await this.files.fs.readFile(file, 'utf8'));
    } catch (error) {
      if (error instanceof SyntaxError) throw invalid('is not valid JSON');
      throw error;
    }
    return parseContract(VersionMetadataSchema, json, invalid, { name: METADATA_FILE });
  }

  /**
   * Write a version under a staging name, fsync every file and the folder, then claim the next
   * number with one rename and fsync the archive folder. Returns n; `live/<id>` is not touched.
   */
  async addVersion(version: VersionToWrite): Promise<number> {
    const { certificateId } = version;
    const archive = this.archiveDir(certificateId);
    await this.files.ensureDir(archive);
    const staging = path.join(archive, `${STAGING_PREFIX}${randomBytes(6).toString('hex')}`);
    const { permissions } = this.layoutOptions;
    await this.files.fs.mkdir(staging, { mode: 0o755 });
    const metadataFor = (n: number) =>
      metadataJson({ metadata: version.metadata, formats: version.formats, version: typeof version.version === 'string' ? version.version : version.version(n) });
    try {
      let n = Math.max(0, ...(await this.versionNumbers(certificateId))) + 1;
      let metadata = metadataFor(n);
      const all: Record<string, string | Uint8Array> = { ...version.files, [METADATA_FILE]: metadata };
      // In parallel, so the fsyncs overlap instead of queueing; all settle before any cleanup.
      const written = await Promise.allSettled(
        Object.entries(all).map(async ([name, data]) => {
          await this.files.createFile(path.join(staging, name), data, fileMode(name, permissions?.privateMode), permissions);
          await this.layoutOptions.afterFileWritten?.(name);
        }),
      );
      const failure = written.find((result) => result.status === 'rejected');
      if (failure) throw failure.reason;
      await this.files.fsyncDir(staging);
      for (;;) {
        try {
          await this.files.fs.rename(staging, this.versionDir(certificateId, n));
          break;
        } catch (error) {
          if (!isErrno(error, 'EEXIST', 'ENOTEMPTY')) throw error;
          n += 1; // another writer on the same folder took the number
          if (metadataFor(n) !== metadata) {
            metadata = metadataFor(n);
            await this.files.replaceFile(path.join(staging, METADATA_FILE), metadata, 0o644, permissions);
          }
        }
      }
      await this.files.fsyncDir(archive);
      return n;
    } catch (error) {
      await this.files.fs.rm(staging, { recursive: true, force: true });
      throw error;
    }
  }

  /** Point `live/<id>` at version n (temporary link, rename, fsync of `live/`). */
  async switchLive(certificateId: string, n: number): Promise<void> {
    await this.files.ensureDir(path.dirname(this.liveLink(certificateId)));
    await this.files.replaceSymlink(this.liveLink(certificateId), path.join('..', 'archive', certificateId, String(n)));
  }

  /**
   * Give a version written earlier today's owner and modes (the agent restarted with other
   * --owner/--group/--key-mode); nothing to do without `permissions`. Returns the files changed.
   */
  async conformPermissions(certificateId: string, n: number): Promise<string[]> {
    const { permissions } = this.layoutOptions;
    if (!permissions) return [];
    const dir = this.versionDir(certificateId, n);
    const changed: string[] = [];
    for (const name of await this.files.readdirOrEmpty(dir)) {
      const file = path.join(dir, name);
      const stat = await this.files.fs.lstat(file);
      if (!stat.isFile()) continue;
      const mode = fileMode(name, permissions.privateMode);
      const uid = permissions.uid ?? stat.uid;
      const gid = permissions.gid ?? stat.gid;
      if ((stat.mode & 0o777) === mode && stat.uid === uid && stat.gid === gid) continue;
      const handle = await this.files.fs.open(file, 'r');
      try {
        await handle.chown(uid, gid);
        await handle.chmod(mode);
      } finally {
        await handle.close();
      }
      changed.push(name);
    }
    return changed;
  }

  async removeVersion(certificateId: string, n: number): Promise<void> {
    await this.files.fs.rm(this.versionDir(certificateId, n), { recursive: true, force: true });
  }
}
