/**
 * Java KeyStore (JKS, version 2) writer, for brokers that insist on true JKS. No npm package
 * writes JKS; the format follows sun.security.provider.JavaKeyStore and KeyProtector:
 *
 *   magic 0xFEEDFEED, version 2, entry count, entries, SHA-1(password ‖ "Mighty Aphrodite" ‖ all preceding bytes)
 *   private key entry: tag 1, alias, date, protected key (u32 length + DER), chain (count, then per cert: "X.509", u32 length + DER)
 *   trusted cert entry: tag 2, alias, date, "X.509", u32 length + DER
 *
 * Java writes aliases lowercase and passwords as UTF-16BE (its chars).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import asn1 from 'node-forge/lib/asn1.js';
import { keyWithChain, trustedAliases } from './entries';
import { parseCertificate } from '../core/parsed-certificates';

const MAGIC = 0xfeedfeed;
const VERSION = 2;
const PRIVATE_KEY_ENTRY = 1;
const TRUSTED_CERT_ENTRY = 2;
const KEY_PROTECTOR_OID = '1.3.6.1.4.1.42.2.17.1.1';
const SALT_LENGTH = 20;
const SHA1_LENGTH = 20;
/** Sun's salt of the store's integrity digest. */
const MIGHTY_APHRODITE = Buffer.from('Mighty Aphrodite', 'utf8');

export function encodeJks(input: {
  alias: string;
  privateKeyPem: string;
  chainPem: readonly string[];
  storePassword: string;
  /** Defaults to the store password (brokers usually expect both to be equal). */
  keyPassword?: string;
  created: Date;
}): Uint8Array {
  const keyPassword = input.keyPassword ?? input.storePassword;
  requirePassword(input.storePassword);
  requirePassword(keyPassword);
  const { key, certificates } = keyWithChain(input.privateKeyPem, input.chainPem);

  const out = new JksWriter(1);
  out.int(PRIVATE_KEY_ENTRY);
  out.utf(input.alias.toLowerCase());
  out.date(input.created);
  out.blob(encryptedPrivateKeyInfo(protectKey(key.export({ type: 'pkcs8', format: 'der' }), keyPassword)));
  out.int(certificates.length);
  for (const certificate of certificates) {
    out.utf('X.509');
    out.blob(certificate.raw);
  }
  return out.finish(input.storePassword);
}

export function encodeJksTruststore(input: {
  certificates: readonly { alias: string; pem: string }[];
  storePassword: string;
  created: Date;
}): Uint8Array {
  requirePassword(input.storePassword);
  const aliases = trustedAliases(input.certificates);

  const out = new JksWriter(aliases.length);
  input.certificates.forEach(({ pem }, index) => {
    out.int(TRUSTED_CERT_ENTRY);
    out.utf(aliases[index]!);
    out.date(input.created);
    out.utf('X.509');
    out.blob(parseCertificate(pem).raw);
  });
  return out.finish(input.storePassword);
}

function requirePassword(password: string): void {
  if (password.length === 0) throw new Error('a keystore password must not be empty');
}

/**
 * Opens a JKS file as keytool does first: magic, version 2, and the SHA-1 over the password and
 * every preceding byte. Throws on a wrong password or any changed byte ("tampered with").
 */
export function verifyJks(data: Uint8Array, password: string): void {
  const bytes = Buffer.from(data);
  if (bytes.length < 12 + SHA1_LENGTH || bytes.readUInt32BE(0) !== MAGIC) throw new Error('not a JKS keystore');
  if (bytes.readUInt32BE(4) !== VERSION) throw new Error(`JKS version ${bytes.readUInt32BE(4)}, expected ${VERSION}`);
  const body = bytes.subarray(0, bytes.length - SHA1_LENGTH);
  const digest = sha1(utf16be(password), MIGHTY_APHRODITE, body);
  if (!timingSafeEqual(digest, bytes.subarray(body.length))) throw new Error('integrity check failed: wrong password or changed content');
}

/** Java's char[] password as bytes. */
function utf16be(text: string): Buffer {
  return Buffer.from(text, 'utf16le').swap16();
}

function sha1(...parts: Uint8Array[]): Buffer {
  const hash = createHash('sha1');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** Sun's KeyProtector: salt ‖ (PKCS#8 XOR SHA-1 keystream) ‖ SHA-1(password ‖ PKCS#8). */
function protectKey(pkcs8: Buffer, password: string): Buffer {
  const passwordBytes = utf16be(password);
  const salt = randomBytes(SALT_LENGTH);
  const keystream: Buffer[] = [];
  let block: Buffer = salt;
  while (keystream.length * SHA1_LENGTH < pkcs8.length) {
    block = sha1(passwordBytes, block);
    keystream.push(block);
  }
  const stream = Buffer.concat(keystream);
  const encrypted = pkcs8.map((byte, index) => byte ^ stream[index]!);
  return Buffer.concat([salt, encrypted, sha1(passwordBytes, pkcs8)]);
}

/** EncryptedPrivateKeyInfo { AlgorithmIdentifier { KeyProtector OID, NULL }, OCTET STRING } as DER. */
function encryptedPrivateKeyInfo(protectedKey: Buffer): Buffer {
  const algorithm = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(KEY_PROTECTOR_OID).getBytes()),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, ''),
  ]);
  const info = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    algorithm,
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, protectedKey.toString('binary')),
  ]);
  return Buffer.from(asn1.toDer(info).getBytes(), 'binary');
}

/** Big-endian DataOutputStream subset, ending with the keyed SHA-1 trailer. */
class JksWriter {
  private readonly chunks: Buffer[] = [];

  constructor(entryCount: number) {
    this.int(MAGIC);
    this.int(VERSION);
    this.int(entryCount);
  }

  int(value: number): void {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32BE(value);
    this.chunks.push(bytes);
  }

  date(value: Date): void {
    if (Number.isNaN(value.getTime())) throw new Error('invalid keystore entry date');
    const bytes = Buffer.alloc(8);
    bytes.writeBigInt64BE(BigInt(value.getTime()));
    this.chunks.push(bytes);
  }

  blob(bytes: Uint8Array): void {
    this.int(bytes.length);
    this.chunks.push(Buffer.from(bytes));
  }

  /** DataOutputStream.writeUTF: u16 length + Java's modified UTF-8 (NUL as C0 80, surrogates encoded one by one). */
  utf(text: string): void {
    const bytes: number[] = [];
    for (let index = 0; index < text.length; index++) {
      const c = text.charCodeAt(index);
      if (c >= 0x01 && c <= 0x7f) bytes.push(c);
      else if (c <= 0x7ff) bytes.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
      else bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    }
    if (bytes.length > 0xffff) throw new Error('keystore string too long');
    const length = Buffer.alloc(2);
    length.writeUInt16BE(bytes.length);
    this.chunks.push(length, Buffer.from(bytes));
  }

  finish(storePassword: string): Uint8Array {
    const body = Buffer.concat(this.chunks);
    const digest = sha1(utf16be(storePassword), MIGHTY_APHRODITE, body);
    return Buffer.concat([body, digest]);
  }
}
