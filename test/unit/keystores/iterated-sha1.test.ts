import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { iterateSha1 } from '../../../domain/keystores/iterated-sha1';

/** node:crypto's SHA-1, one call per round: the reference. */
function nodeIterated(digest: Buffer, rounds: number): Buffer {
  let value = digest;
  for (let round = 0; round < rounds; round++) value = createHash('sha1').update(value).digest();
  return value;
}

describe('iterateSha1 against node:crypto', () => {
  it.each([0, 1, 2, 3, 80, 2047])('%i rounds, from 50 random digests', (rounds) => {
    for (let i = 0; i < 50; i++) {
      const digest = randomBytes(20);
      expect(iterateSha1(digest, rounds).toString('hex')).toBe(nodeIterated(digest, rounds).toString('hex'));
    }
  });

  it('hashes words with the top bit set (signed in JS) and all-zero or all-one digests', () => {
    for (const digest of [Buffer.alloc(20), Buffer.alloc(20, 0xff), Buffer.alloc(20, 0x80)]) {
      expect(iterateSha1(digest, 5)).toEqual(nodeIterated(digest, 5));
    }
  });

  it('reads a digest inside a larger buffer by its offset, and leaves it alone', () => {
    const backing = randomBytes(64);
    const digest = backing.subarray(7, 27);
    const before = Buffer.from(backing);
    expect(iterateSha1(digest, 4)).toEqual(nodeIterated(Buffer.from(digest), 4));
    expect(backing).toEqual(before);
  });

  it('refuses input that is not a SHA-1 digest', () => {
    expect(() => iterateSha1(Buffer.alloc(19), 1)).toThrow(RangeError);
    expect(() => iterateSha1(Buffer.alloc(32), 1)).toThrow(RangeError);
  });
});
