/**
 * The PKCS#12 password-based key derivation of RFC 7292 appendix B.2, on node:crypto hashes.
 *
 * The password is a BMPString (UTF-16BE) with a two-byte NUL terminator, as OpenSSL and node-forge
 * encode it; B.3 names the diversifier `id`: 1 for cipher keys, 2 for IVs, 3 for MAC keys.
 * The c-fold iteration hashes one digest at a time, so per-call overhead dominates: the one-shot
 * `crypto.hash` (Node ≥ 20.12) costs about half of `createHash` per round, which older Node 20 falls back to.
 */
import * as crypto from 'node:crypto';

const digestOf: (algorithm: string, data: Buffer) => Buffer =
  typeof crypto.hash === 'function'
    ? (algorithm, data) => crypto.hash(algorithm, data, 'buffer')
    : (algorithm, data) => crypto.createHash(algorithm).update(data).digest();

export type Pkcs12KdfDigest = 'sha1' | 'sha256';

/** v (the hash's input block) and u (its output), in bytes. */
const SIZES: Record<Pkcs12KdfDigest, { v: number; u: number }> = {
  sha1: { v: 64, u: 20 },
  sha256: { v: 64, u: 32 },
};

export function pkcs12Kdf(
  password: string,
  salt: Uint8Array,
  id: number,
  iterations: number,
  length: number,
  digest: Pkcs12KdfDigest,
): Buffer {
  if (!Number.isInteger(id) || id < 0 || id > 255) throw new RangeError(`PKCS#12 KDF id must be a byte, got ${id}`);
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError(`PKCS#12 KDF iterations must be >= 1, got ${iterations}`);
  if (!Number.isInteger(length) || length < 0) throw new RangeError(`PKCS#12 KDF length must be >= 0, got ${length}`);
  const { v, u } = SIZES[digest];

  const diversifier = Buffer.alloc(v, id); // D
  // I = S || P, each its input repeated to a whole number of v-byte blocks (none when the input is empty).
  const input = Buffer.concat([fillBlocks(salt, v), fillBlocks(bmpString(password), v)]);
  const output = Buffer.alloc(length);

  for (let offset = 0; offset < length; offset += u) {
    let a: Buffer = crypto.createHash(digest).update(diversifier).update(input).digest();
    for (let round = 1; round < iterations; round++) a = digestOf(digest, a);
    a.copy(output, offset, 0, Math.min(u, length - offset));
    if (offset + u >= length) break;

    // I_j = (I_j + B + 1) mod 2^(8v) for every v-byte block I_j of I, big-endian, where B is A repeated to v bytes.
    const b = fillBlocks(a, v).subarray(0, v);
    for (let block = 0; block < input.length; block += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = input[block + k]! + b[k]! + carry;
        input[block + k] = sum & 0xff;
        carry = sum >>> 8;
      }
    }
  }
  return output;
}

/** UTF-16BE code units followed by 0x0000. */
function bmpString(text: string): Buffer {
  return Buffer.from(`${text}\0`, 'utf16le').swap16();
}

/** `bytes` repeated and cut to the smallest multiple of `v` at least as long (empty stays empty). */
function fillBlocks(bytes: Uint8Array, v: number): Buffer {
  const filled = Buffer.alloc(Math.ceil(bytes.length / v) * v);
  for (let offset = 0; offset < filled.length; offset += bytes.length) filled.set(bytes.subarray(0, filled.length - offset), offset);
  return filled;
}
