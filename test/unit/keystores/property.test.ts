/**
 * Random keystores judged by keytool, plus jks-js (JKS) or OpenSSL (PKCS#12).
 * Reproduce a failure with KEYSTORE_PROPERTY_SEED=<seed from the suite name>.
 */
import { toPem } from 'jks-js';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeJks, encodePkcs12 } from '../../../domain/keystores';
import {
  certificateDers, type ChainLength, keyDer, KEY_TYPES, listKeystore, openssl, OPENSSL_INFO, removeScratch, scratchFile, testChain,
} from './fixtures';

afterAll(removeScratch);

const SEED = Number(process.env.KEYSTORE_PROPERTY_SEED ?? Math.floor(Math.random() * 2 ** 32));
const CASE_COUNT = 20;

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const random = prng(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const text = (alphabet: string, min: number, max: number) =>
  Array.from({ length: min + Math.floor(random() * (max - min + 1)) }, () => pick([...alphabet])).join('');

const PRINTABLE_ASCII = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).join('');
const ALIAS_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.äöüÄÖÜ✓';
// JKS passwords are plain Java chars; PKCS#12 passwords must be printable ASCII (a JDK restriction).
const FORMATS = [
  { format: 'JKS', passwordChars: `${PRINTABLE_ASCII}äöüß€✓中` },
  { format: 'PKCS12 legacy', passwordChars: PRINTABLE_ASCII },
  { format: 'PKCS12 modern', passwordChars: PRINTABLE_ASCII },
] as const;

// Formats take turns so each gets its share; everything else is drawn at random.
const CASES = Array.from({ length: CASE_COUNT }, (_, index) => {
  const { format, passwordChars } = FORMATS[index % FORMATS.length]!;
  return {
    index: index + 1,
    keyType: pick(KEY_TYPES),
    length: pick([1, 2, 3] as const satisfies readonly ChainLength[]),
    format,
    alias: text(ALIAS_CHARS, 1, 24),
    password: text(passwordChars, 1, 32),
  };
});

describe(`random keystores (seed ${SEED})`, () => {
  it.each(CASES)('#$index: $format, $keyType key, chain of $length, alias $alias, password $password', async ({ keyType, length, format, alias, password }) => {
    const chain = await testChain(keyType, length);
    const input = { alias, privateKeyPem: chain.keyPem, chainPem: chain.chainPem };
    const bytes =
      format === 'JKS'
        ? encodeJks({ ...input, storePassword: password, created: new Date() })
        : encodePkcs12({ ...input, password, profile: format === 'PKCS12 legacy' ? 'legacy' : 'modern' });
    const path = scratchFile('keystore', bytes);
    const storeType = format === 'JKS' ? 'JKS' : 'PKCS12';

    await expect(listKeystore(path, storeType, password)).resolves.toEqual({
      storeType,
      entries: [{ alias: alias.toLowerCase(), type: 'PrivateKeyEntry', chainLength: length }],
    });

    if (format === 'JKS') {
      const entry = toPem(Buffer.from(bytes), password)[alias.toLowerCase()];
      expect(keyDer(entry!.key!)).toEqual(keyDer(chain.keyPem));
      expect(certificateDers(entry!.cert!)).toEqual(chain.chainPem.flatMap(certificateDers));
    } else {
      const info = await openssl('pkcs12', '-info', '-noout', '-in', path, '-passin', `pass:${password}`);
      expect(info.output.split('\n')).toEqual(expect.arrayContaining(OPENSSL_INFO[format === 'PKCS12 legacy' ? 'legacy' : 'modern']));
      const dump = await openssl('pkcs12', '-in', path, '-passin', `pass:${password}`, '-noenc');
      expect(keyDer(dump.output)).toEqual(keyDer(chain.keyPem));
      expect(certificateDers(dump.output)).toEqual(chain.chainPem.flatMap(certificateDers));
    }
  });
});
