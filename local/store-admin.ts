/**
 * Operator actions on the local file store that the CertificateStore port has no call for
 * (`certflow status|history|rollback`): every archived version, and a rollback of live/<id>.
 * Built on the certbot layout the store writes (domain/layout/certbot-layout.ts).
 */
import { StoreInconsistent } from '../domain/core/errors';
import { checkId, FileCertificateStore } from '../domain/adapters/local/file-store';
import { CertbotLayout } from '../domain/layout/certbot-layout';
import type { RevocationMark, StoredVersion } from '../domain/ports';

export class LocalStoreAdmin {
  private readonly layout: CertbotLayout;
  readonly store: FileCertificateStore;

  constructor(readonly root: string) {
    this.layout = new CertbotLayout(root);
    this.store = new FileCertificateStore(root);
  }

  /** Every version in the archive, oldest first; `revoked` on those marked revoked (certflow revoke). */
  async versions(certificateId: string): Promise<(StoredVersion & { readonly revoked?: RevocationMark })[]> {
    const numbers = await this.layout.versionNumbers(checkId(certificateId));
    return Promise.all(
      numbers.map(async (n) => {
        const location = this.layout.versionDir(certificateId, n);
        const { version: _version, formats, ...metadata } = await this.layout.readMetadata(location);
        const revoked = (await this.store.issuedCertificate(certificateId, String(n)))?.revoked;
        return { certificateId, version: String(n), location, metadata, formats, ...(revoked ? { revoked } : {}) };
      }),
    );
  }

  /**
   * Make an older archived version current again (one rename of `live/<id>`): `toVersion`, or by
   * default the newest version older than the current one. Returns the version left and the one now current.
   */
  async rollback(certificateId: string, toVersion?: string): Promise<{ readonly from: string; readonly to: StoredVersion }> {
    const live = await this.layout.liveVersion(checkId(certificateId));
    if (live === undefined) throw new StoreInconsistent(`nothing to roll back to: '${certificateId}' has no current version`);
    const numbers = await this.layout.versionNumbers(certificateId);
    let target: number | undefined;
    if (toVersion !== undefined) {
      if (!/^\d+$/.test(toVersion) || !numbers.includes(Number(toVersion))) {
        throw new StoreInconsistent(`no version '${toVersion}' of '${certificateId}' (versions: ${numbers.join(', ')})`);
      }
      target = Number(toVersion);
      if (target === live) throw new StoreInconsistent(`version ${toVersion} of '${certificateId}' is already current`);
    } else {
      target = numbers.filter((n) => n < live).pop();
      if (target === undefined) throw new StoreInconsistent(`nothing to roll back to: '${certificateId}' has no version older than ${live}`);
    }
    await this.layout.switchLive(certificateId, target);
    const to = await this.store.current(certificateId);
    if (!to) throw new StoreInconsistent(`'${certificateId}' has no current version after the rollback`);
    return { from: String(live), to };
  }
}
