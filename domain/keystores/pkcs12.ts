/**
 * PKCS#12 keystores and truststores for Java brokers (and OpenSSL), assembled by hand:
 * node-forge's `toPkcs12Asn1` only handles RSA keys. forge supplies the ASN.1 writer; the RFC 7292
 * key derivation is ours (./pkcs12-kdf, on node:crypto hashes); ciphers, PBKDF2 and HMAC come from node:crypto.
 *
 * Layout (as keytool and OpenSSL write it): PFX { authSafe: [ SafeContents with the
 * certificate bags, SafeContents with the shrouded key bag ], MAC }. Certificates are public:
 * `legacy` and truststores keep them in a plain SafeContents (every JDK reads that, and it
 * saves two 2048-round SHA-1 derivations per file); `modern` encrypts them like OpenSSL 3 does,
 * which costs one native PBKDF2. The MAC protects the whole file either way.
 */
import { createCipheriv, createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import type forge from 'node-forge';
import asn1 from 'node-forge/lib/asn1.js';
import { keyWithChain, trustedAliases } from './entries';
import { pkcs12Kdf } from './pkcs12-kdf';
import { parseCertificate } from '../core/parsed-certificates';

/** `legacy`: 3DES + HMAC-SHA1, loads on every JDK. `modern`: AES-256 PBES2 + HMAC-SHA256 (JDK ≥ 12, 8u301, 11.0.12). */
export type Pkcs12Profile = 'legacy' | 'modern';

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  // Oracle's "trusted key usage": Java lists a certificate bag carrying it as a trustedCertEntry.
  oracleTrustedKeyUsage: '2.16.840.1.113894.746875.1.1',
  anyExtendedKeyUsage: '2.5.29.37.0',
  pbeWithSha1And3DesCbc: '1.2.840.113549.1.12.1.3',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacWithSha256: '1.2.840.113549.2.9',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
} as const;

const ITERATIONS: Record<Pkcs12Profile, number> = { legacy: 2048, modern: 10_000 };
const MAC_DIGEST: Record<Pkcs12Profile, 'sha1' | 'sha256'> = { legacy: 'sha1', modern: 'sha256' };
const DIGEST_LENGTH = { sha1: 20, sha256: 32 } as const;
const SALT_LENGTH = 20;
// RFC 7292 B.3 diversifiers of the PKCS#12 key derivation.
const KDF_KEY = 1;
const KDF_IV = 2;
const KDF_MAC = 3;

export function encodePkcs12(input: {
  alias: string;
  privateKeyPem: string;
  chainPem: readonly string[];
  password: string;
  profile: Pkcs12Profile;
}): Uint8Array {
  const { password, profile } = input;
  requirePassword(password);
  const { key, certificates } = keyWithChain(input.privateKeyPem, input.chainPem);

  // The same friendlyName and localKeyId on key and leaf make Java pair them into one PrivateKeyEntry;
  // it then completes the chain from the other certificate bags by issuer.
  const leafAttributes = () => [
    attribute(OID.friendlyName, bmpString(input.alias.toLowerCase())),
    attribute(OID.localKeyId, octets(createHash('sha1').update(certificates[0]!.raw).digest())),
  ];
  const certBags = certificates.map((certificate, index) => certBag(certificate.raw, index === 0 ? leafAttributes() : []));
  const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
  const { algorithm, ciphertext } = pbeEncrypt(pkcs8, password, profile);
  const keyBag = seq(oid(OID.shroudedKeyBag), explicit(seq(algorithm, octets(ciphertext))), set(...leafAttributes()));
  const certificateContents = profile === 'modern' ? encryptedContentInfo(certBags, password, profile) : dataContentInfo(der(seq(...certBags)));
  return pfx([certificateContents, dataContentInfo(der(seq(keyBag)))], password, profile);
}

export function encodePkcs12Truststore(input: {
  certificates: readonly { alias: string; pem: string }[];
  password: string;
  profile: Pkcs12Profile;
}): Uint8Array {
  const { password, profile } = input;
  requirePassword(password);
  const aliases = trustedAliases(input.certificates);

  const certBags = input.certificates.map(({ pem }, index) =>
    certBag(parseCertificate(pem).raw, [
      attribute(OID.friendlyName, bmpString(aliases[index]!)),
      attribute(OID.oracleTrustedKeyUsage, oid(OID.anyExtendedKeyUsage)),
    ]),
  );
  return pfx([dataContentInfo(der(seq(...certBags)))], password, profile);
}

/** The JDK turns PKCS#12 passwords into PBE keys, which accept printable ASCII only ("Password is not ASCII"). */
function requirePassword(password: string): void {
  if (!/^[\x20-\x7e]+$/.test(password)) throw new Error('PKCS#12 passwords must be non-empty printable ASCII (a JDK restriction)');
}

/**
 * Opens a PKCS#12 file as keytool and OpenSSL do first: a PFX v3 whose MAC (HMAC-SHA1 or
 * HMAC-SHA256 under the RFC 7292 key derivation) verifies with `password` over the whole authSafe.
 * Throws on a wrong password or any changed byte.
 */
export function verifyPkcs12(data: Uint8Array, password: string): void {
  let pfx: forge.asn1.Asn1;
  try {
    pfx = asn1.fromDer(binary(data), true);
  } catch (error) {
    throw new Error(`not DER: ${(error as Error).message}`);
  }
  const [version, authSafeInfo, mac] = items(pfx);
  if (integerOf(version) !== 3) throw new Error('not a PFX version 3');
  const [contentType, wrapped] = items(authSafeInfo);
  if (asn1.derToOid(bytesOf(contentType).toString('binary')) !== OID.data) throw new Error('authSafe is not data');
  const authSafe = bytesOf(items(wrapped)[0]);
  const [digestInfo, salt, iterations] = items(mac);
  const [algorithm, expected] = items(digestInfo);
  const digestOid = asn1.derToOid(bytesOf(items(algorithm)[0]).toString('binary'));
  const digest = (Object.keys(DIGEST_LENGTH) as (keyof typeof DIGEST_LENGTH)[]).find((name) => OID[name] === digestOid);
  if (!digest) throw new Error(`MAC digest ${digestOid} is not SHA-1 or SHA-256`);
  const key = pkcs12Kdf(password, bytesOf(salt), KDF_MAC, integerOf(iterations), DIGEST_LENGTH[digest], digest);
  const actual = createHmac(digest, key).update(authSafe).digest();
  const wanted = bytesOf(expected);
  if (actual.length !== wanted.length || !timingSafeEqual(actual, wanted)) throw new Error('MAC does not verify: wrong password or changed content');
}

/** The children of a constructed ASN.1 value (an error, not a crash, when the structure is not what PKCS#12 says). */
function items(value: forge.asn1.Asn1 | undefined): forge.asn1.Asn1[] {
  if (!value || !Array.isArray(value.value)) throw new Error('not a PKCS#12 structure');
  return value.value;
}

const integerOf = (value: forge.asn1.Asn1 | undefined): number => asn1.derToInteger(bytesOf(value).toString('binary'));

/** The content octets of a primitive ASN.1 value. */
function bytesOf(value: forge.asn1.Asn1 | undefined): Buffer {
  if (!value || typeof value.value !== 'string') throw new Error('not a PKCS#12 structure');
  return Buffer.from(value.value, 'binary');
}

function pfx(contentInfos: forge.asn1.Asn1[], password: string, profile: Pkcs12Profile): Uint8Array {
  const authSafe = der(seq(...contentInfos));
  return der(seq(integer(3), dataContentInfo(authSafe), macData(authSafe, password, profile)));
}

function macData(authSafe: Buffer, password: string, profile: Pkcs12Profile): forge.asn1.Asn1 {
  const digest = MAC_DIGEST[profile];
  const iterations = ITERATIONS[profile];
  const salt = randomBytes(SALT_LENGTH);
  const key = pkcs12Kdf(password, salt, KDF_MAC, iterations, DIGEST_LENGTH[digest], digest);
  const mac = createHmac(digest, key).update(authSafe).digest();
  return seq(seq(seq(oid(OID[digest]), nullValue()), octets(mac)), octets(salt), integer(iterations));
}

function dataContentInfo(content: Buffer): forge.asn1.Asn1 {
  return seq(oid(OID.data), explicit(octets(content)));
}

function encryptedContentInfo(bags: forge.asn1.Asn1[], password: string, profile: Pkcs12Profile): forge.asn1.Asn1 {
  const { algorithm, ciphertext } = pbeEncrypt(der(seq(...bags)), password, profile);
  const encryptedContent = asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, false, binary(ciphertext));
  return seq(oid(OID.encryptedData), explicit(seq(integer(0), seq(oid(OID.data), algorithm, encryptedContent))));
}

function certBag(certificateDer: Buffer, attributes: forge.asn1.Asn1[]): forge.asn1.Asn1 {
  const value = explicit(seq(oid(OID.x509Certificate), explicit(octets(certificateDer))));
  return attributes.length > 0 ? seq(oid(OID.certBag), value, set(...attributes)) : seq(oid(OID.certBag), value);
}

function attribute(type: string, value: forge.asn1.Asn1): forge.asn1.Asn1 {
  return seq(oid(type), set(value));
}

/** Encrypts one blob with the profile's password-based scheme; returns its AlgorithmIdentifier and the ciphertext. */
function pbeEncrypt(plaintext: Buffer, password: string, profile: Pkcs12Profile): { algorithm: forge.asn1.Asn1; ciphertext: Buffer } {
  const salt = randomBytes(SALT_LENGTH);
  const iterations = ITERATIONS[profile];
  if (profile === 'legacy') {
    const key = pkcs12Kdf(password, salt, KDF_KEY, iterations, 24, 'sha1');
    const iv = pkcs12Kdf(password, salt, KDF_IV, iterations, 8, 'sha1');
    return {
      algorithm: seq(oid(OID.pbeWithSha1And3DesCbc), seq(octets(salt), integer(iterations))),
      ciphertext: encrypt('des-ede3-cbc', key, iv, plaintext),
    };
  }
  const key = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const iv = randomBytes(16);
  const kdf = seq(oid(OID.pbkdf2), seq(octets(salt), integer(iterations), seq(oid(OID.hmacWithSha256), nullValue())));
  return {
    algorithm: seq(oid(OID.pbes2), seq(kdf, seq(oid(OID.aes256Cbc), octets(iv)))),
    ciphertext: encrypt('aes-256-cbc', key, iv, plaintext),
  };
}

function encrypt(cipher: string, key: Buffer, iv: Buffer, plaintext: Buffer): Buffer {
  const c = createCipheriv(cipher, key, iv);
  return Buffer.concat([c.update(plaintext), c.final()]);
}

// Minimal ASN.1 builders over forge (which represents bytes as binary strings).
const { Class, Type } = asn1;
const universal = (type: forge.asn1.Type, value: string | forge.asn1.Asn1[]) =>
  asn1.create(Class.UNIVERSAL, type, Array.isArray(value), value);
const seq = (...items: forge.asn1.Asn1[]) => universal(Type.SEQUENCE, items);
const set = (...items: forge.asn1.Asn1[]) => universal(Type.SET, items);
const oid = (id: string) => universal(Type.OID, asn1.oidToDer(id).getBytes());
const integer = (value: number) => universal(Type.INTEGER, asn1.integerToDer(value).getBytes());
const octets = (bytes: Uint8Array) => universal(Type.OCTETSTRING, binary(bytes));
const nullValue = () => universal(Type.NULL, '');
// forge encodes BMPString values (JS strings) as UTF-16BE itself.
const bmpString = (text: string) => universal(Type.BMPSTRING, text);
const explicit = (item: forge.asn1.Asn1) => asn1.create(Class.CONTEXT_SPECIFIC, 0, true, [item]);
const der = (item: forge.asn1.Asn1) => Buffer.from(asn1.toDer(item).getBytes(), 'binary');
const binary = (bytes: Uint8Array) => Buffer.from(bytes).toString('binary');
