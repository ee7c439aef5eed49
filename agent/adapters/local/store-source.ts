/** Local certificate source: the pipeline's file store (`<store>/archive/<id>/<n>/`), read in place. */
import type { FileCertificateStore } from '../../../domain/adapters/local/file-store';
import { VersionNotFound } from '../../errors';
import type { CertificateSource } from '../../ports';

export class StoreCertificateSource implements CertificateSource {
  constructor(private readonly store: Pick<FileCertificateStore, 'readVersion'>) {}

  async version(certificateId: string, version: string) {
    const bundle = await this.store.readVersion(certificateId, version);
    if (bundle === undefined) throw new VersionNotFound(`the store has no version ${version} of '${certificateId}'`);
    return bundle;
  }

  current(certificateId: string) {
    return this.store.readVersion(certificateId);
  }

  async isCurrent(certificateId: string, version: string) {
    return (await this.store.readVersion(certificateId))?.version === version;
  }
}

StoreCertificateSource satisfies new (store: FileCertificateStore) => CertificateSource;
