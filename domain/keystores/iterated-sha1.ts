/**
 * SHA-1 (FIPS 180-4 §6.1) applied `rounds` times to a 20-byte digest: the c-fold iteration of the
 * PKCS#12 key derivation (RFC 7292 B.2 step 6c), which the `legacy` profile runs 2,048 times per
 * derived value, five values per certificate. A 20-byte message is always one padded block, so each
 * round is one compression over integers held in locals. node:crypto's cost here is the call, not
 * the hash: `crypto.hash` per round takes about 3× as long once warm (see ./pkcs12-kdf.ts).
 */

/** The message schedule, reused: the function is synchronous and never re-entered. */
const w = new Int32Array(80);

export function iterateSha1(digest: Uint8Array, rounds: number): Buffer {
  if (digest.length !== 20) throw new RangeError(`a SHA-1 digest is 20 bytes, got ${digest.length}`);
  const view = Buffer.from(digest.buffer, digest.byteOffset, 20);
  let h0 = view.readInt32BE(0);
  let h1 = view.readInt32BE(4);
  let h2 = view.readInt32BE(8);
  let h3 = view.readInt32BE(12);
  let h4 = view.readInt32BE(16);
  for (let round = 0; round < rounds; round++) {
    // The block: the 160-bit message, the 1 bit, zeros, and the message length in bits (160).
    w[0] = h0;
    w[1] = h1;
    w[2] = h2;
    w[3] = h3;
    w[4] = h4;
    w[5] = -0x80000000;
    for (let t = 6; t < 15; t++) w[t] = 0;
    w[15] = 160;
    for (let t = 16; t < 80; t++) {
      const x = w[t - 3]! ^ w[t - 8]! ^ w[t - 14]! ^ w[t - 16]!;
      w[t] = (x << 1) | (x >>> 31);
    }
    // The initial hash value (§5.3.1: 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0)
    // as signed 32-bit integers, like every word here: V8 keeps them as small integers, unboxed.
    let a = 0x67452301;
    let b = -0x10325477;
    let c = -0x67452302;
    let d = 0x10325476;
    let e = -0x3c2d1e10;
    // The four 20-step stages, each with its function and constant (§4.1.1, §4.2.1; 0x8f1bbcdc and
    // 0xca62c1d6 written as their signed values).
    let t = 0;
    let next: number;
    for (; t < 20; t++) {
      next = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + 0x5a827999 + w[t]!) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = next;
    }
    for (; t < 40; t++) {
      next = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + w[t]!) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = next;
    }
    for (; t < 60; t++) {
      next = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e - 0x70e44324 + w[t]!) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = next;
    }
    for (; t < 80; t++) {
      next = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e - 0x359d3e2a + w[t]!) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = next;
    }
    h0 = (0x67452301 + a) | 0;
    h1 = (-0x10325477 + b) | 0;
    h2 = (-0x67452302 + c) | 0;
    h3 = (0x10325476 + d) | 0;
    h4 = (-0x3c2d1e10 + e) | 0;
  }
  const out = Buffer.alloc(20);
  out.writeInt32BE(h0, 0);
  out.writeInt32BE(h1, 4);
  out.writeInt32BE(h2, 8);
  out.writeInt32BE(h3, 12);
  out.writeInt32BE(h4, 16);
  return out;
}
