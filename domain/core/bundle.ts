/**
 * One stored certificate version as files: what the file store writes under archive/<id>/<n>/,
 * what the Secrets Manager store keeps as one secret version (base64 per file), and what the
 * host agent installs. Pure.
 */
import { BUNDLE_SCHEMA, type CertificateBundle } from '../contracts/bundle';
import type { CertificateMaterial } from '../ports';
import type { CertificateMetadata } from './certificate';

// The bundle's shape is a contract (domain/contracts/bundle.ts); this module builds and unpacks it.
export type { CertificateBundle };

/** The files known to be public: certificates, truststores, the version's metadata. Anything else is written 0600. */
const PUBLIC_FILES: ReadonlySet<string> = new Set(['cert.pem', 'chain.pem', 'fullchain.pem', 'truststore.jks', 'truststore.p12', 'metadata.json']);

/**
 * A version file's mode: world-readable only when it is known to be public (an unknown file could
 * be a key); private files get `privateMode` (0600 unless the host agent is told --key-mode).
 */
export const fileMode = (name: string, privateMode = 0o600): number => (PUBLIC_FILES.has(name) ? 0o644 : privateMode);

/** Every file of a version, metadata.json excepted (it names the version, known at promote time). */
export function materialFiles(material: CertificateMaterial): Record<string, Uint8Array> {
  const text = (value: string) => Buffer.from(value, 'utf8');
  return {
    'cert.pem': text(material.certificatePem),
    'chain.pem': text(material.chainPem),
    'fullchain.pem': text(material.certificatePem + material.chainPem),
    'privkey.pem': text(material.privateKeyPem),
    ...material.files,
  };
}

export function formatsOf(fileNames: readonly string[]): string[] {
  const formats = ['pem'];
  if (fileNames.some((name) => name.endsWith('.p12'))) formats.push('pkcs12');
  if (fileNames.some((name) => name.endsWith('.jks'))) formats.push('jks');
  return formats;
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
