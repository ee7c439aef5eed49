/**
 * The host's install directory: the store's certbot layout (domain/layout/certbot-layout.ts)
 * plus what the agent remembers about reloads:
 *
 *   <dir>/archive/<id>/<n>/      one directory per installed version (n = 1, 2, …), never modified
 *   <dir>/live/<id>              symlink to ../archive/<id>/<n>, switched by one rename(2)
 *   <dir>/state/<id>.reloaded    the n the service last loaded (what a rollback returns to; 0: none)
 *
 * n counts installs on this host; metadata.json inside names the store's version. Private files
 * are 0600 and only files the registry knows are public 0644 (domain/core/bundle.ts fileMode): run the agent as the service's user.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import * as path from 'node:path';
import type { CertificateBundle } from '../../domain/core/bundle';
import { isErrno } from '../../domain/core/errors';
import { CertbotLayout, type CertbotLayoutOptions, type VersionMetadata } from '../../domain/layout/certbot-layout';
import { FILE, METADATA_FILE, requiredFiles } from '../../domain/keystores/formats';
import { errorMessage } from '../errors';

export type VersionCheck = { readonly complete: true; readonly metadata: VersionMetadata } | { readonly complete: false; readonly reason: string };

export type InstallDirOptions = CertbotLayoutOptions;

export class InstallDir extends CertbotLayout {
  constructor(root: string, options: InstallDirOptions = {}) {
    super(root, options);
  }

  reloadedFile(certificateId: string): string {
    return path.join(this.root, 'state', `${certificateId}.reloaded`);
  }

  /** Complete = metadata.json parses, every file its formats need is there and non-empty, the key matches the leaf it describes. */
  async checkVersion(certificateId: string, n: number): Promise<VersionCheck> {
    const dir = this.versionDir(certificateId, n);
    const { fs } = this.files;
    try {
      const metadata = await this.readMetadata(dir);
      for (const name of requiredFiles(metadata.formats ?? [])) {
        const stat = await fs.stat(path.join(dir, name)).catch(() => undefined);
        if (!stat?.isFile() || stat.size === 0) return { complete: false, reason: `${name} is missing or empty` };
      }
      const leaf = new X509Certificate(await fs.readFile(path.join(dir, FILE.certificate)));
      if (!leaf.checkPrivateKey(createPrivateKey(await fs.readFile(path.join(dir, FILE.privateKey))))) {
        return { complete: false, reason: `${FILE.privateKey} does not match ${FILE.certificate}` };
      }
      if (leaf.serialNumber.toLowerCase() !== metadata.serialNumber) return { complete: false, reason: `${METADATA_FILE} does not describe ${FILE.certificate}` };
      return { complete: true, metadata };
    } catch (error) {
      return { complete: false, reason: errorMessage(error) };
    }
  }

  /** The newest complete installed version holding this certificate. */
  async findInstalled(certificateId: string, fingerprintSha256: string): Promise<number | undefined> {
    for (const n of (await this.versionNumbers(certificateId)).reverse()) {
      const metadata = await this.files.fs.readFile(path.join(this.versionDir(certificateId, n), METADATA_FILE), 'utf8').catch(() => '');
      if (!metadata.includes(`"${fingerprintSha256}"`)) continue; // cheap pre-check; the full check reads and parses every file
      const check = await this.checkVersion(certificateId, n);
      if (check.complete && check.metadata.fingerprintSha256 === fingerprintSha256) return n;
    }
    return undefined;
  }

  /** Write a verified bundle's files as the next version (CertbotLayout.addVersion: durable, live untouched); returns n. */
  writeVersion(bundle: CertificateBundle, files: Readonly<Record<string, Uint8Array>>): Promise<number> {
    return this.addVersion({ certificateId: bundle.certificateId, files, metadata: bundle.metadata, formats: bundle.formats, version: bundle.version });
  }

  /** Remove all but the newest `keep` versions; the ones in `protect` always stay. */
  async prune(certificateId: string, keep: number, protect: readonly number[]): Promise<number[]> {
    const removable = (await this.versionNumbers(certificateId)).reverse().slice(keep).filter((n) => !protect.includes(n));
    for (const n of removable) await this.removeVersion(certificateId, n);
    return removable;
  }

  async readReloaded(certificateId: string): Promise<number | undefined> {
    try {
      const text = (await this.files.fs.readFile(this.reloadedFile(certificateId), 'utf8')).trim();
      return /^\d+$/.test(text) ? Number(text) : undefined;
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return undefined;
      throw error;
    }
  }

  async writeReloaded(certificateId: string, n: number): Promise<void> {
    const file = this.reloadedFile(certificateId);
    await this.files.ensureDir(path.dirname(file));
    await this.files.replaceFile(file, `${n}\n`, 0o644);
  }
}
