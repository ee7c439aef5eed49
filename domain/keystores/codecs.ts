/**
 * The encoders and checks the registry (./formats.ts) names, bound here because they need the
 * keystore modules (node-forge's ASN.1), which the registry's readers in every Lambda do not.
 * Per keystore format: its keystore encoder, its truststore encoder and its opener; per check
 * kind: what a file of that kind must pass. Pure.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { PEM_CERTIFICATE, splitPemChain } from '../core/certificate';
import { encodeJks, encodeJksTruststore, verifyJks } from './jks';
import { GIVEN_PASSWORD } from './password';
import { encodePkcs12, encodePkcs12Truststore, verifyPkcs12, type Pkcs12Profile } from './pkcs12';
import { FILE, passwordOf, versionFile, type Check, type KeystoreFormat, type VersionFile } from './formats';

export interface KeystoreEntries {
  readonly alias: string;
  readonly privateKeyPem: string;
  /** Leaf first, then its issuers. */
  readonly chain: readonly string[];
  /** Trusted entries of the truststores, in order. */
  readonly trusted: readonly { alias: string; pem: string }[];
  readonly password: string;
  readonly profile: Pkcs12Profile;
  readonly created: Date;
}

interface KeystoreCodec {
  readonly keystore: (entries: KeystoreEntries) => Uint8Array;
  readonly truststore: (entries: KeystoreEntries) => Uint8Array;
  /** Throws unless `data` opens with `password`: the format's integrity check passes. */
  readonly open: (data: Uint8Array, password: string) => void;
}

export const KEYSTORE_CODECS: Readonly<Record<KeystoreFormat, KeystoreCodec>> = {
  pkcs12: {
    keystore: ({ alias, privateKeyPem, chain, password, profile }) => encodePkcs12({ alias, privateKeyPem, chainPem: chain, password, profile }),
    truststore: ({ trusted, password, profile }) => encodePkcs12Truststore({ certificates: trusted, password, profile }),
    open: verifyPkcs12,
  },
  jks: {
    keystore: ({ alias, privateKeyPem, chain, password, created }) => encodeJks({ alias, privateKeyPem, chainPem: chain, storePassword: password, created }),
    truststore: ({ trusted, password, created }) => encodeJksTruststore({ certificates: trusted, storePassword: password, created }),
    open: verifyJks,
  },
};

/** PEM certificates only (each one parses); returns how many. */
function certificates(text: string): number {
  const blocks = splitPemChain(text);
  if (text.replace(PEM_CERTIFICATE, '').trim() !== '') throw new Error('holds text that is not a PEM certificate');
  for (const block of blocks) new X509Certificate(block);
  return blocks.length;
}

const CHECKS: Readonly<Record<Check, (data: Buffer, file: VersionFile, password: string | undefined) => void>> = {
  certificate: (data) => {
    if (certificates(data.toString('utf8')) !== 1) throw new Error('does not hold exactly one certificate');
  },
  certificates: (data) => void certificates(data.toString('utf8')),
  'private-key': (data) => void createPrivateKey({ key: data, format: 'pem' }),
  keystore: (data, { builder }, password) => {
    if (password === undefined) throw new Error(`cannot be opened without ${FILE.password}`);
    if ('keystore' in builder) KEYSTORE_CODECS[builder.keystore].open(data, password);
    else if ('truststore' in builder) KEYSTORE_CODECS[builder.truststore].open(data, password);
    else throw new Error('is not a keystore');
  },
  password: (data) => {
    if (!/\n$/.test(data.toString('utf8')) || !GIVEN_PASSWORD.test(passwordOf(data))) throw new Error('is not one line of 6–128 printable ASCII characters');
  },
};

/**
 * Every file of a version the registry knows passes its check (the keystores open with the
 * version's password); files it does not know pass unchecked. Throws naming the first file that fails.
 */
export function checkVersionFiles(files: Readonly<Record<string, Uint8Array>>): void {
  const passwordFile = files[FILE.password];
  const password = passwordFile === undefined ? undefined : passwordOf(passwordFile);
  // The password first: a bad one is the password's fault, not every keystore's.
  const names = Object.keys(files).sort((a, b) => Number(b === FILE.password) - Number(a === FILE.password));
  for (const name of names) {
    const data = files[name]!;
    const file = versionFile(name);
    if (!file) continue;
    try {
      CHECKS[file.check](Buffer.from(data), file, password);
    } catch (error) {
      throw new Error(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
