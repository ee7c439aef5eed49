import { createDecipheriv, createHmac, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import forge from 'node-forge';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { pkcs12Kdf, type Pkcs12KdfDigest } from '../../../domain/keystores/pkcs12-kdf';
import { keyDer, openssl, removeScratch, scratchFile, testChain } from './fixtures';

afterAll(removeScratch);

/** node-forge's pure-JS RFC 7292 B.2, the independent reference. */
function forgeKdf(password: string, salt: Uint8Array, id: number, iterations: number, length: number, digest: Pkcs12KdfDigest): Buffer {
  const md = digest === 'sha1' ? forge.md.sha1.create() : forge.md.sha256.create();
  const saltBuffer = forge.util.createBuffer(Buffer.from(salt).toString('binary'));
  return Buffer.from(forge.pkcs12.generateKey(password, saltBuffer, id, iterations, length, md).getBytes(), 'binary');
}

/** Printable ASCII, varied so that no two positions of a block repeat trivially. */
const asciiPassword = (length: number) => Array.from({ length }, (_, i) => String.fromCharCode(0x21 + ((i * 7) % 94))).join('');
const bytes = (length: number, seed: number) => Buffer.from(Array.from({ length }, (_, i) => (seed + i * 31) & 0xff));

const DIGESTS: Pkcs12KdfDigest[] = ['sha1', 'sha256'];
const ITERATIONS = [1, 2, 2048];
// As a BMPString with its terminator a password takes 2n + 2 bytes: 31 characters fill one 64-byte block
// exactly, 63 fill two; 64 and 65 spill into a third.
const PASSWORDS = ['', 'changeit', asciiPassword(31), asciiPassword(63), asciiPassword(64), asciiPassword(65)];
const SALTS = [bytes(8, 1), bytes(20, 2)];
const IDS = [1, 2, 3];
// 40 is longer than one digest of either hash, so it takes a second round (and the I_j update).
const LENGTHS = [8, 20, 24, 32, 40];

const CASES = DIGESTS.flatMap((digest) =>
  ITERATIONS.flatMap((iterations) =>
    PASSWORDS.flatMap((password) => SALTS.map((salt) => ({ digest, iterations, password, salt, passwordLabel: password === '' ? 'empty' : `${password.length}-character`, saltLength: salt.length }))),
  ),
);

describe('pkcs12Kdf against node-forge', () => {
  it.each(CASES)(
    '$digest, $iterations iterations, $passwordLabel password, $saltLength-byte salt, every id and length',
    ({ digest, iterations, password, salt }) => {
      const derive = (kdf: typeof pkcs12Kdf) =>
        Object.fromEntries(IDS.flatMap((id) => LENGTHS.map((length) => [`id ${id}, ${length} bytes`, kdf(password, salt, id, iterations, length, digest).toString('hex')])));
      expect(derive(pkcs12Kdf)).toEqual(derive(forgeKdf));
    },
  );

  it('encodes non-ASCII passwords as UTF-16BE code units, surrogate pairs included', () => {
    for (const password of ['pässwörd€', 'key 🔑']) {
      expect(pkcs12Kdf(password, bytes(8, 3), 1, 3, 40, 'sha1')).toEqual(forgeKdf(password, bytes(8, 3), 1, 3, 40, 'sha1'));
    }
  });

  it('derives long outputs (several rounds) and nothing for length 0', () => {
    expect(pkcs12Kdf('changeit', bytes(20, 4), 1, 5, 100, 'sha256')).toEqual(forgeKdf('changeit', bytes(20, 4), 1, 5, 100, 'sha256'));
    expect(pkcs12Kdf('changeit', bytes(20, 4), 1, 5, 0, 'sha1')).toHaveLength(0);
  });

  it('derives the same keys through the createHash fallback (node:crypto before Node 20.12 has no one-shot hash)', async () => {
    const createHash = vi.fn();
    vi.resetModules();
    vi.doMock('node:crypto', async (importOriginal) => {
      const actual = await importOriginal<typeof import('node:crypto')>();
      createHash.mockImplementation(actual.createHash);
      return { ...actual, hash: undefined, createHash };
    });
    try {
      const { pkcs12Kdf: fallback } = await import('../../../domain/keystores/pkcs12-kdf');
      for (const digest of DIGESTS) {
        for (const length of [8, 40]) {
          expect(fallback('changeit', bytes(20, 5), 1, 2048, length, digest)).toEqual(forgeKdf('changeit', bytes(20, 5), 1, 2048, length, digest));
        }
      }
      expect(createHash.mock.calls.length).toBeGreaterThan(4 * 2048);
    } finally {
      vi.doUnmock('node:crypto');
      vi.resetModules();
    }
  });

  it('rejects arguments outside the scheme', () => {
    expect(() => pkcs12Kdf('a', bytes(8, 1), 1, 0, 8, 'sha1')).toThrow(RangeError);
    expect(() => pkcs12Kdf('a', bytes(8, 1), 256, 1, 8, 'sha1')).toThrow(RangeError);
    expect(() => pkcs12Kdf('a', bytes(8, 1), 1, 1, -1, 'sha1')).toThrow(RangeError);
  });
});

describe('pkcs12Kdf against OpenSSL', () => {
  // From OpenSSL 3.0's PKCS12KDF, which takes the password already encoded, e.g. for the first row:
  // openssl kdf -keylen 24 -kdfopt digest:SHA1 -kdfopt hexpass:006300680061006e00670065006900740000
  //   -kdfopt hexsalt:0102030405060708 -kdfopt iter:2048 -kdfopt id:1 PKCS12KDF
  it.each([
    { password: 'changeit', salt: '0102030405060708', id: 1, iterations: 2048, digest: 'sha1', expected: 'a13a1cf35ea9e628cd82c570910adcd5481cd978fff88965' },
    {
      password: 'changeit',
      salt: '000102030405060708090a0b0c0d0e0f10111213',
      id: 3,
      iterations: 10_000,
      digest: 'sha256',
      expected: '02d16bf76b59e7b5223e88e6bea50e80ab07fd776ab302daf46800c60e87e0b3c4883057e1ad9ffd',
    },
    { password: '', salt: '0102030405060708', id: 2, iterations: 1, digest: 'sha1', expected: 'aef945bc4aa72bf6' },
  ] as const)('openssl kdf PKCS12KDF: $digest, id $id, $iterations iterations', ({ password, salt, id, iterations, digest, expected }) => {
    expect(pkcs12Kdf(password, Buffer.from(salt, 'hex'), id, iterations, expected.length / 2, digest).toString('hex')).toBe(expected);
  });

  const PASSWORD = 'changeit';
  it.each([
    { name: 'legacy (HMAC-SHA1 MAC, 3DES key bag)', args: ['-legacy'], digest: 'sha1' },
    { name: 'default (HMAC-SHA256 MAC)', args: [], digest: 'sha256' },
  ] as const)('reproduces the MAC of a file from openssl pkcs12 -export, $name', async ({ args, digest }) => {
    const chain = await testChain('ec-p256', 1);
    const path = scratchFile('p12');
    const exported = await openssl(
      'pkcs12', '-export', ...args, '-inkey', scratchFile('key.pem', chain.keyPem), '-in', scratchFile('crt.pem', chain.chainPem[0]!),
      '-passout', `pass:${PASSWORD}`, '-out', path,
    );
    expect(exported.code, exported.output).toBe(0);

    // PFX ::= SEQUENCE { version, authSafe ContentInfo, macData MacData }
    const [, authSafe, macData] = children(forge.asn1.fromDer(readFileSync(path).toString('binary')));
    const authSafeContent = octets(children(children(authSafe)[1])[0]);
    // MacData ::= SEQUENCE { mac DigestInfo, macSalt OCTET STRING, iterations INTEGER }
    const [digestInfo, macSalt, macIterations] = children(macData);
    const [macAlgorithm, mac] = children(digestInfo);
    expect(forge.asn1.derToOid(forge.util.createBuffer(octets(children(macAlgorithm)[0]).toString('binary')))).toBe(
      digest === 'sha1' ? '1.3.14.3.2.26' : '2.16.840.1.101.3.4.2.1',
    );
    const iterations = integer(macIterations);
    const salt = octets(macSalt);

    const macKey = pkcs12Kdf(PASSWORD, salt, 3, iterations, digest === 'sha1' ? 20 : 32, digest);
    expect(createHmac(digest, macKey).update(authSafeContent).digest()).toEqual(octets(mac));

    if (digest === 'sha1') {
      // The shrouded key bag (pbeWithSHA1And3-KeyTripleDES-CBC) decrypts with our key (id 1) and IV (id 2).
      const keyContents = children(forge.asn1.fromDer(authSafeContent.toString('binary'))).find(
        (contentInfo) => forge.asn1.derToOid(forge.util.createBuffer(octets(children(contentInfo)[0]).toString('binary'))) === '1.2.840.113549.1.7.1',
      );
      const [bag] = children(forge.asn1.fromDer(octets(children(children(keyContents)[1])[0]).toString('binary')));
      const [algorithm, encrypted] = children(children(children(bag)[1])[0]);
      const [bagSalt, bagIterations] = children(children(algorithm)[1]);
      const pbe = [octets(bagSalt), integer(bagIterations)] as const;
      const decipher = createDecipheriv('des-ede3-cbc', pkcs12Kdf(PASSWORD, pbe[0], 1, pbe[1], 24, 'sha1'), pkcs12Kdf(PASSWORD, pbe[0], 2, pbe[1], 8, 'sha1'));
      const pkcs8 = Buffer.concat([decipher.update(octets(encrypted)), decipher.final()]);
      expect(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'der' })).toEqual(keyDer(chain.keyPem));
    }
  });
});

// Minimal readers over forge's ASN.1 tree (values are binary strings or child lists).
function children(node: forge.asn1.Asn1 | undefined): forge.asn1.Asn1[] {
  if (node === undefined || !Array.isArray(node.value)) throw new Error('expected a constructed ASN.1 value');
  return node.value;
}
function octets(node: forge.asn1.Asn1 | undefined): Buffer {
  if (node === undefined || typeof node.value !== 'string') throw new Error('expected a primitive ASN.1 value');
  return Buffer.from(node.value, 'binary');
}
function integer(node: forge.asn1.Asn1 | undefined): number {
  return forge.asn1.derToInteger(forge.util.createBuffer(octets(node).toString('binary')));
}
