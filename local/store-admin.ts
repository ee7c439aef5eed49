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
   * default the newest version older than the current one that is not revoked. A revoked version
   * is never made current (hosts would install it, after a key compromise with its key). Returns
   * the version left, the one now current, and the revoked ones passed over.
   */
  async rollback(certificateId: string, toVersion?: string): Promise<{ readonly from: string; readonly to: StoredVersion; readonly skippedRevoked: readonly string[] }> {
    const live = await this.layout.liveVersion(checkId(certificateId));
    if (live === undefined) throw new StoreInconsistent(`nothing to roll back to: '${certificateId}' has no current version`);
    const numbers = await this.layout.versionNumbers(certificateId);
    const revocation = async (n: number) => (await this.store.issuedCertificate(certificateId, String(n)))?.revoked;
    let target: number | undefined;
    const skippedRevoked: string[] = [];
    if (toVersion !== undefined) {
      if (!/^\d+$/.test(toVersion) || !numbers.includes(Number(toVersion))) {
        throw new StoreInconsistent(`no version '${toVersion}' of '${certificateId}' (versions: ${numbers.join(', ')})`);
      }
      target = Number(toVersion);
      if (target === live) throw new StoreInconsistent(`version ${toVersion} of '${certificateId}' is already current`);
      const revoked = await revocation(target);
      if (revoked) throw new StoreInconsistent(`version ${toVersion} of '${certificateId}' is revoked (${revoked.reason}, ${revoked.revokedAt}): it is never made current again; renew instead`);
    } else {
      for (const n of numbers.filter((candidate) => candidate < live).reverse()) {
        if (!(await revocation(n))) {
          target = n;
          break;
        }
        skippedRevoked.push(String(n));
      }
      if (target === undefined) {
        const why = skippedRevoked.length ? `: every older version is revoked (${skippedRevoked.join(', ')})` : ` has no version older than ${live}`;
        throw new StoreInconsistent(`nothing to roll back to: '${certificateId}'${why}`);
      }
    }
    await this.layout.switchLive(certificateId, target);
    const to = await this.store.current(certificateId);
    if (!to) throw new StoreInconsistent(`'${certificateId}' has no current version after the rollback`);
    return { from: String(live), to, skippedRevoked };
  }
}
