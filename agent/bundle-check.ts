/**
 * What a fetched version must pass before anything touches the disk. Pure, clock passed in.
 * Bundles come from the network (Secrets Manager) or another process (the file store), so the
 * shape is parsed first — file names especially, since they become paths.
 */
import { X509Certificate } from 'node:crypto';
import { CertificateBundleSchema } from '../domain/contracts/bundle';
import { parseContract } from '../domain/contracts/parse';
import { bundleFiles, type CertificateBundle } from '../domain/core/bundle';
import { splitPemChain, verifyIssuedChain } from '../domain/core/certificate';
import { verifyChainToAnchors } from '../domain/core/trust-anchors';
import { checkVersionFiles } from '../domain/keystores/codecs';
import { FILE, requiredFiles } from '../domain/keystores/formats';
import { BundleRejected, errorMessage } from './errors';
import type { VersionIdentity } from './store-notice';

/** A bundle as stored (`JSON.stringify(bundle)`), parsed with the one bundle schema (domain/contracts/bundle.ts). */
export function parseBundle(value: unknown): CertificateBundle {
  return parseContract(CertificateBundleSchema, value, (message) => new BundleRejected(`malformed bundle: ${message}`), { name: 'the bundle', showValues: false });
}

/**
 * Verify a bundle for installation and return its files, decoded: it is the version asked for,
 * complete for its formats, every file passes its registry check (the keystores open with the
 * version's password: domain/keystores/codecs.ts), the key matches the leaf, the chain is in order, the leaf is valid
 * at `now`, its names are the metadata's names, metadata and (when given) event describe it, and
 * (when the host pins them) the chain leads to one of its trust anchors: the pipeline checks the
 * same before storing, the host checks again before it serves.
 */
export function verifyBundle(
  bundle: CertificateBundle,
  expected: Partial<VersionIdentity> & Pick<VersionIdentity, 'certificateId'>,
  now: Date,
  trustAnchors?: readonly string[],
): Record<string, Buffer> {
  const reject = (message: string): never => {
    throw new BundleRejected(`${bundle.certificateId} version ${bundle.version}: ${message}`);
  };
  parseBundle(bundle);
  if (bundle.certificateId !== expected.certificateId) reject(`is for certificate '${bundle.certificateId}', expected '${expected.certificateId}'`);
  if (expected.version !== undefined && bundle.version !== expected.version) reject(`is version ${bundle.version}, expected ${expected.version}`);
  const missing = requiredFiles(bundle.formats).filter((name) => !(name in bundle.files));
  if (missing.length > 0) reject(`missing ${missing.join(', ')}`);

  const files = bundleFiles(bundle);
  try {
    checkVersionFiles(files);
  } catch (error) {
    reject(errorMessage(error));
  }
  const text = (name: string) => files[name]!.toString('utf8');
  if (text(FILE.fullchain) !== text(FILE.certificate) + text(FILE.chain)) reject(`${FILE.fullchain} is not ${FILE.certificate} followed by ${FILE.chain}`);
  const chain = splitPemChain(text(FILE.fullchain));
  try {
    verifyIssuedChain({ chain, privateKeyPem: text(FILE.privateKey), names: bundle.metadata.names, now });
    if (trustAnchors) verifyChainToAnchors(chain, trustAnchors, now);
  } catch (error) {
    reject(errorMessage(error));
  }

  const leaf = new X509Certificate(chain[0]!);
  const actual = { serialNumber: leaf.serialNumber.toLowerCase(), fingerprintSha256: leaf.fingerprint256.replaceAll(':', '').toLowerCase() };
  for (const [name, value] of Object.entries(actual) as [keyof typeof actual, string][]) {
    if (bundle.metadata[name] !== value) reject(`metadata ${name} ${bundle.metadata[name]} does not describe the leaf (${value})`);
    if (expected[name] !== undefined && expected[name] !== value) reject(`the event announced ${name} ${expected[name]}, the leaf has ${value}`);
  }
  // notBefore orders versions: an event must not make an older certificate look newer.
  const notBefore = new Date(leaf.validFrom).getTime();
  if (Date.parse(bundle.metadata.notBefore) !== notBefore) reject(`metadata notBefore ${bundle.metadata.notBefore} does not describe the leaf (${leaf.validFrom})`);
  if (expected.notBefore !== undefined && Date.parse(expected.notBefore) !== notBefore) {
    reject(`the event announced notBefore ${expected.notBefore}, the leaf has ${new Date(notBefore).toISOString()}`);
  }
  return files;
}
