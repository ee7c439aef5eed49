/**
 * Keystore test fixtures: a test PKI built at run time, and the judges (keytool, OpenSSL).
 * Chains are memoized per key type and length; every test file runs in its own process.
 */
import { createPrivateKey, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { keytool, openssl } from '../../support/judges';

x509.cryptoProvider.set(webcrypto as never);

export const KEY_TYPES = ['rsa-2048', 'ec-p256', 'ec-p384'] as const;
export type KeyType = (typeof KEY_TYPES)[number];
export type ChainLength = 1 | 2 | 3;
/** DNS name in every leaf certificate. */
export const SERVER_NAME = 'broker.certflow.test';

// Each entry serves both as key generation parameters and as signing algorithm.
const ALGORITHMS = {
  'rsa-2048': { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
  'ec-p256': { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' },
  'ec-p384': { name: 'ECDSA', namedCurve: 'P-384', hash: 'SHA-384' },
} as const;
const CA_ALGORITHM = ALGORITHMS['ec-p256'];
const DAY = 86_400_000;

export interface TestChain {
  readonly keyPem: string;
  /** Leaf first, self-signed root last: [leaf] (self-signed), [leaf, root] or [leaf, intermediate, root]. */
  readonly chainPem: string[];
  readonly rootPem: string;
  /** Upper-case hex, as node:tls and X509Certificate report it. */
  readonly leafSerial: string;
}

interface Authority {
  readonly keys: webcrypto.CryptoKeyPair;
  readonly certificate: x509.X509Certificate;
}

const generateKeys = (algorithm: (typeof ALGORITHMS)[KeyType]) =>
  webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']) as Promise<webcrypto.CryptoKeyPair>;
const validity = () => ({ notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + 30 * DAY) });
// A leading 01 byte keeps serials positive and minimally encoded.
const serialNumber = () => `01${randomBytes(8).toString('hex')}`;
const pem = (certificate: x509.X509Certificate) => `${certificate.toString('pem')}\n`;

let authorities: Promise<{ root: Authority; intermediate: Authority }> | undefined;
const leafKeys = new Map<KeyType, Promise<webcrypto.CryptoKeyPair>>();
const chains = new Map<string, Promise<TestChain>>();

export function testChain(keyType: KeyType, length: ChainLength): Promise<TestChain> {
  const id = `${keyType}/${length}`;
  if (!chains.has(id)) chains.set(id, buildChain(keyType, length));
  return chains.get(id)!;
}

/** The root and intermediate CA, both EC P-256. */
export function testAuthorities(): Promise<{ root: Authority; intermediate: Authority }> {
  authorities ??= (async () => {
    const rootKeys = await generateKeys(CA_ALGORITHM);
    const root = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serialNumber(), name: 'CN=certflow test root', keys: rootKeys as never, signingAlgorithm: CA_ALGORITHM, ...validity(),
      extensions: [new x509.BasicConstraintsExtension(true, 1, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
    });
    const intermediateKeys = await generateKeys(CA_ALGORITHM);
    const intermediate = await x509.X509CertificateGenerator.create({
      serialNumber: serialNumber(), subject: 'CN=certflow test intermediate', issuer: root.subject,
      publicKey: intermediateKeys.publicKey as never, signingKey: rootKeys.privateKey as never, signingAlgorithm: CA_ALGORITHM, ...validity(),
      extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
    });
    return { root: { keys: rootKeys, certificate: root }, intermediate: { keys: intermediateKeys, certificate: intermediate } };
  })();
  return authorities;
}

async function buildChain(keyType: KeyType, length: ChainLength): Promise<TestChain> {
  if (!leafKeys.has(keyType)) leafKeys.set(keyType, generateKeys(ALGORITHMS[keyType]));
  const keys = (await leafKeys.get(keyType))!;
  const leafFields = {
    serialNumber: serialNumber(), ...validity(),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: SERVER_NAME }]),
    ],
  };
  let chain: x509.X509Certificate[];
  if (length === 1) {
    const leaf = await x509.X509CertificateGenerator.createSelfSigned({
      ...leafFields, name: `CN=${SERVER_NAME}`, keys: keys as never, signingAlgorithm: ALGORITHMS[keyType],
    });
    chain = [leaf];
  } else {
    const { root, intermediate } = await testAuthorities();
    const issuer = length === 2 ? root : intermediate;
    const leaf = await x509.X509CertificateGenerator.create({
      ...leafFields, subject: `CN=${SERVER_NAME}`, issuer: issuer.certificate.subject,
      publicKey: keys.publicKey as never, signingKey: issuer.keys.privateKey as never, signingAlgorithm: CA_ALGORITHM,
    });
    chain = length === 2 ? [leaf, root.certificate] : [leaf, intermediate.certificate, root.certificate];
  }
  const chainPem = chain.map(pem);
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return {
    keyPem: `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`,
    chainPem,
    rootPem: chainPem.at(-1)!,
    leafSerial: new X509Certificate(chainPem[0]!).serialNumber,
  };
}

/** PKCS#8 DER of any private key PEM, to compare keys regardless of encoding details. */
export function keyDer(privateKeyPem: string): Buffer {
  return createPrivateKey(privateKeyPem).export({ type: 'pkcs8', format: 'der' });
}

/** Certificates in a PEM bundle (any text around them is ignored), as DER. */
export function certificateDers(bundle: string): Buffer[] {
  return (bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((block) => new X509Certificate(block).raw);
}

// Scratch files for the judges; each test file runs in its own process and calls removeScratch afterwards.
const scratchDir = mkdtempSync(join(tmpdir(), 'certflow-keystores-'));
let scratchCount = 0;

export function scratchFile(extension: string, contents?: Uint8Array | string): string {
  const path = join(scratchDir, `${++scratchCount}.${extension}`);
  if (contents !== undefined) writeFileSync(path, contents);
  return path;
}

export function removeScratch(): void {
  rmSync(scratchDir, { recursive: true, force: true });
}

/**
 * Copies a keystore's private key entry into a fresh PKCS#12 file with `keytool -importkeystore`
 * (so Java must decrypt the key) and returns the key OpenSSL finds in the copy, as PKCS#8 DER.
 */
export async function keyAfterJavaImport(
  path: string,
  storeType: 'JKS' | 'PKCS12',
  storePassword: string,
  key?: { alias: string; password: string },
): Promise<Buffer> {
  const destination = scratchFile('p12');
  // keytool takes -srckeypass only together with -srcalias.
  const keyArgs = key === undefined ? [] : ['-srcalias', key.alias, '-srckeypass', key.password];
  const imported = await keytool(
    '-importkeystore', '-srckeystore', path, '-srcstoretype', storeType, '-srcstorepass', storePassword, ...keyArgs,
    '-destkeystore', destination, '-deststoretype', 'PKCS12', '-deststorepass', 'scratch-secret', '-noprompt',
  );
  if (imported.code !== 0) throw new Error(`keytool -importkeystore failed (${imported.code}): ${imported.output}`);
  const extracted = await openssl('pkcs12', '-in', destination, '-passin', 'pass:scratch-secret', '-nocerts', '-noenc');
  if (extracted.code !== 0) throw new Error(`openssl pkcs12 failed (${extracted.code}): ${extracted.output}`);
  return keyDer(extracted.output);
}

export { keytool, listKeystore, openssl, OPENSSL_INFO } from '../../support/judges';
