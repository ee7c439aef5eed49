/**
 * Keys, CSRs and the checks an issued certificate must pass before it is stored.
 * Uses node:crypto (native) for key generation and X.509 parsing.
 */
import { X509Certificate, createPrivateKey, generateKeyPair, type KeyObject } from 'node:crypto';
import type { CertificateMetadata } from '../contracts/certificate';
import { ariCertId } from './ari';
import { DAY_MS } from './durations';
import { CertificateVerificationFailed } from './errors';
import type { KeyType } from './key-types';
import { parseCertificate } from './parsed-certificates';
import { extendedKeyUsages } from './usages';

type KeyParameters = { type: 'ec'; namedCurve: string } | { type: 'rsa'; modulusLength: number };

const KEY_PARAMETERS: Record<KeyType, KeyParameters> = {
  'ec-p256': { type: 'ec', namedCurve: 'P-256' },
  'ec-p384': { type: 'ec', namedCurve: 'P-384' },
  'rsa-2048': { type: 'rsa', modulusLength: 2048 },
  'rsa-3072': { type: 'rsa', modulusLength: 3072 },
  'rsa-4096': { type: 'rsa', modulusLength: 4096 },
};

/** The certificate's public description, stored with every version (a contract: domain/contracts/certificate.ts). */
export type { CertificateMetadata };

/** A fresh private key as PKCS#8 PEM, generated natively (off the event loop). */
export function generatePrivateKey(keyType: KeyType): Promise<string> {
  const { type, ...options } = KEY_PARAMETERS[keyType];
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, key: KeyObject) => (error ? reject(error) : resolve(key.export({ type: 'pkcs8', format: 'pem' }) as string));
    if (type === 'ec') generateKeyPair('ec', options as { namedCurve: string }, (error, _public, key) => done(error, key));
    else generateKeyPair('rsa', options as { modulusLength: number }, (error, _public, key) => done(error, key));
  });
}

export const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Split a PEM bundle into its certificates, in order. */
export function splitPemChain(pem: string): string[] {
  return (pem.match(PEM_CERTIFICATE) ?? []).map((block) => `${block}\n`);
}

/** DNS names from the subjectAltName extension, lowercase, in certificate order. */
function dnsNames(certificate: X509Certificate): string[] {
  return (certificate.subjectAltName ?? '')
    .split(', ')
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4).toLowerCase());
}

function colonHexToLower(value: string): string {
  return value.replaceAll(':', '').toLowerCase();
}

function ariIdentifier(leafPem: string): { ariCertId?: string } {
  try {
    return { ariCertId: ariCertId(leafPem) };
  } catch {
    return {}; // no Authority Key Identifier: the CA cannot offer ARI for it anyway
  }
}

/** The lifetime a CA issued, in whole days (Pebble and Let's Encrypt end one second short of the period). */
export function lifetimeDays(metadata: Pick<CertificateMetadata, 'notBefore' | 'notAfter'>): number {
  return Math.round((Date.parse(metadata.notAfter) - Date.parse(metadata.notBefore)) / DAY_MS);
}

export function describeCertificate(leafPem: string, keyType: KeyType): CertificateMetadata {
  const leaf = parseCertificate(leafPem);
  const usages = extendedKeyUsages(leaf);
  return {
    names: dnsNames(leaf),
    serialNumber: leaf.serialNumber.toLowerCase(),
    notBefore: new Date(leaf.validFrom).toISOString(),
    notAfter: new Date(leaf.validTo).toISOString(),
    fingerprintSha256: colonHexToLower(leaf.fingerprint256),
    keyType,
    issuer: leaf.issuer.replaceAll('\n', ', '),
    ...(usages ? { usages } : {}),
    ...ariIdentifier(leafPem),
  };
}

export interface IssuedChainCheck {
  /** Leaf first, then its issuers in order. */
  readonly chain: readonly string[];
  readonly privateKeyPem: string;
  readonly names: readonly string[];
  readonly now: Date;
}

function fail(message: string): never {
  throw new CertificateVerificationFailed(message);
}

/**
 * The checks before anything is stored: key matches the leaf, each certificate is signed by
 * the next, the leaf is inside its validity, and its names are exactly the requested ones.
 */
export function verifyIssuedChain({ chain, privateKeyPem, names, now }: IssuedChainCheck): void {
  if (chain.length === 0) fail('the CA returned no certificate');
  const certificates = chain.map((pem, index) => {
    try {
      return parseCertificate(pem);
    } catch (error) {
      return fail(`certificate #${index} in the chain does not parse: ${(error as Error).message}`);
    }
  });
  const leaf = certificates[0]!;

  let key: KeyObject;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch {
    return fail('the pending private key does not parse');
  }
  if (!leaf.checkPrivateKey(key)) fail('the leaf certificate does not match the pending private key');

  for (let index = 0; index + 1 < certificates.length; index += 1) {
    const child = certificates[index]!;
    const parent = certificates[index + 1]!;
    if (!child.checkIssued(parent) || !child.verify(parent.publicKey)) {
      fail(`chain out of order: certificate #${index} (${child.subject}) is not signed by #${index + 1} (${parent.subject})`);
    }
  }

  const notBefore = new Date(leaf.validFrom);
  const notAfter = new Date(leaf.validTo);
  if (now < notBefore || now > notAfter) {
    fail(`leaf is not valid now (${now.toISOString()}): valid ${notBefore.toISOString()} – ${notAfter.toISOString()}`);
  }

  const issued = new Set(dnsNames(leaf));
  const missing = names.filter((name) => !issued.has(name));
  const extra = [...issued].filter((name) => !names.includes(name));
  if (missing.length > 0) fail(`leaf does not cover requested name(s): ${missing.join(', ')}`);
  if (extra.length > 0) fail(`leaf covers name(s) that were not requested: ${extra.join(', ')}`);
}
