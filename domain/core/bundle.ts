/**
 * One stored certificate version as files: what the file store writes under archive/<id>/<n>/,
 * what the Secrets Manager store keeps as one secret version (base64 per file), and what the
 * host agent installs. Pure.
 */
import { BUNDLE_SCHEMA, type CertificateBundle } from '../contracts/bundle';
import type { CertificateMaterial } from '../ports';
import type { CertificateMetadata } from './certificate';
import { formatsOf, isPublic, pemFiles } from '../keystores/formats';

// The bundle's shape is a contract (domain/contracts/bundle.ts); this module builds and unpacks it.
export type { CertificateBundle };

/**
 * A version file's mode: world-readable only when the registry (domain/keystores/formats.ts) knows
 * it is public (an unknown file could be a key); private files get `privateMode` (0600 unless the
 * host agent is told --key-mode).
 */
export const fileMode = (name: string, privateMode = 0o600): number => (isPublic(name) ? 0o644 : privateMode);

/** Every file of a version, metadata.json excepted (it names the version, known at promote time): the registry's PEM files, then the keystores. */
export function materialFiles(material: CertificateMaterial): Record<string, Uint8Array> {
  return {
    ...Object.fromEntries(pemFiles().map(({ name, builder }) => [name, Buffer.from(builder.pem(material), 'utf8')])),
    ...material.files,
  };
}

/** metadata.json of a version: the certificate's public description plus version and formats. */
export function metadataJson(bundle: Pick<CertificateBundle, 'metadata' | 'version' | 'formats'>): string {
  return `${JSON.stringify({ ...bundle.metadata, version: bundle.version, formats: bundle.formats }, null, 2)}\n`;
}

export function toBundle(certificateId: string, version: string, metadata: CertificateMetadata, files: Record<string, Uint8Array>): CertificateBundle {
  return {
    schema: BUNDLE_SCHEMA,
    certificateId,
    version,
    metadata,
    formats: formatsOf(Object.keys(files)),
    files: Object.fromEntries(Object.entries(files).map(([name, data]) => [name, Buffer.from(data).toString('base64')])),
  };
}

export function bundleFiles(bundle: CertificateBundle): Record<string, Buffer> {
  return Object.fromEntries(Object.entries(bundle.files).map(([name, data]) => [name, Buffer.from(data, 'base64')]));
}
