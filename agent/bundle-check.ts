/**
 * What a fetched version must pass before anything touches the disk. Pure, clock passed in.
 * Bundles come from the network (Secrets Manager) or another process (the file store), so the
 * shape is checked first — file names especially, since they become paths.
 */
import { X509Certificate } from 'node:crypto';
import { BUNDLE_SCHEMA, bundleFiles, type CertificateBundle } from '../lambdas/core/bundle';
import { splitPemChain, verifyIssuedChain } from '../lambdas/core/certificate';
import { isKeyType } from '../lambdas/core/key-types';
import { BundleRejected, errorMessage } from './errors';
import type { VersionIdentity } from './renewed-event';

export const PEM_FILES = ['cert.pem', 'chain.pem', 'fullchain.pem', 'privkey.pem'] as const;
/** Keystore files each format needs (the truststores exist only when the chain has issuers). */
const FORMAT_FILES: Record<string, string[]> = { pkcs12: ['keystore.p12', 'keystore.pass'], jks: ['keystore.jks', 'keystore.pass'] };
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The files a complete version holds besides metadata.json, for its formats. */
export function requiredFiles(formats: readonly string[]): string[] {
  return [...new Set([...PEM_FILES, ...formats.flatMap((format) => FORMAT_FILES[format] ?? [])])];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');

/** A bundle as stored (`JSON.stringify(bundle)`), checked field by field. */
export function parseBundle(value: unknown): CertificateBundle {
  const reject = (message: string): never => {
    throw new BundleRejected(`malformed bundle: ${message}`);
  };
  if (!isRecord(value)) return reject('not a JSON object');
  if (value.schema !== BUNDLE_SCHEMA) reject(`schema is ${JSON.stringify(value.schema)}, expected '${BUNDLE_SCHEMA}'`);
  if (typeof value.certificateId !== 'string' || typeof value.version !== 'string') reject('certificateId and version must be strings');
  const { metadata, formats, files } = value;
  if (!isRecord(metadata)) return reject('metadata is missing');
  for (const name of ['serialNumber', 'notBefore', 'notAfter', 'fingerprintSha256', 'issuer'] as const) {
    if (typeof metadata[name] !== 'string') reject(`metadata.${name} must be a string`);
  }
  if (!isStringArray(metadata.names) || metadata.names.length === 0) reject('metadata.names must list the names');
  if (!isKeyType(metadata.keyType)) reject(`metadata.keyType ${JSON.stringify(metadata.keyType)} is unknown`);
  if (!isStringArray(formats)) reject('formats must be a list of strings');
  if (!isRecord(files)) return reject('files is missing');
  for (const [name, data] of Object.entries(files)) {
    if (!FILE_NAME.test(name) || name === 'metadata.json') reject(`file name ${JSON.stringify(name)} is not allowed`);
    if (typeof data !== 'string' || !BASE64.test(data)) reject(`file ${name} is not base64`);
  }
  return value as unknown as CertificateBundle;
}

/**
 * Verify a bundle for installation and return its files, decoded: it is the version asked for,
 * complete for its formats, the key matches the leaf, the chain is in order, the leaf is valid
 * at `now`, its names are the metadata's names, and metadata and (when given) event describe it.
 */
export function verifyBundle(bundle: CertificateBundle, expected: Partial<VersionIdentity> & Pick<VersionIdentity, 'certificateId'>, now: Date): Record<string, Buffer> {
  const reject = (message: string): never => {
    throw new BundleRejected(`${bundle.certificateId} version ${bundle.version}: ${message}`);
  };
  parseBundle(bundle);
  if (bundle.certificateId !== expected.certificateId) reject(`is for certificate '${bundle.certificateId}', expected '${expected.certificateId}'`);
  if (expected.version !== undefined && bundle.version !== expected.version) reject(`is version ${bundle.version}, expected ${expected.version}`);
  const missing = requiredFiles(bundle.formats).filter((name) => !(name in bundle.files));
  if (missing.length > 0) reject(`missing ${missing.join(', ')}`);

  const files = bundleFiles(bundle);
  const text = (name: string) => files[name]!.toString('utf8');
  if (text('fullchain.pem') !== text('cert.pem') + text('chain.pem')) reject('fullchain.pem is not cert.pem followed by chain.pem');
  const chain = splitPemChain(text('fullchain.pem'));
  try {
    verifyIssuedChain({ chain, privateKeyPem: text('privkey.pem'), names: bundle.metadata.names, now });
  } catch (error) {
    reject(errorMessage(error));
  }

  const leaf = new X509Certificate(chain[0]!);
  const actual = { serialNumber: leaf.serialNumber.toLowerCase(), fingerprintSha256: leaf.fingerprint256.replaceAll(':', '').toLowerCase() };
  for (const [name, value] of Object.entries(actual) as [keyof typeof actual, string][]) {
    if (bundle.metadata[name] !== value) reject(`metadata ${name} ${bundle.metadata[name]} does not describe the leaf (${value})`);
    if (expected[name] !== undefined && expected[name] !== value) reject(`the event announced ${name} ${expected[name]}, the leaf has ${value}`);
  }
  return files;
}
