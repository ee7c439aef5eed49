import { describe, expect, it } from 'vitest';
import { generateKeystorePassword } from '../../../domain/keystores';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

describe('generateKeystorePassword', () => {
  it.each([[undefined, 32], [24, 24], [64, 64]])('length %s gives %i alphanumeric characters', (length, expected) => {
    expect(generateKeystorePassword(length)).toMatch(new RegExp(`^[A-Za-z0-9]{${expected}}$`));
  });

  it.each([23, 0, -1, 24.5, Number.NaN])('rejects length %s', (length) => {
    expect(() => generateKeystorePassword(length)).toThrow('at least 24 characters');
  });

  it('does not repeat itself', () => {
    const passwords = Array.from({ length: 1000 }, () => generateKeystorePassword());
    expect(new Set(passwords).size).toBe(passwords.length);
  });

  it('uses every character equally often (no modulo bias)', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 20_000; i++) for (const c of generateKeystorePassword()) counts.set(c, (counts.get(c) ?? 0) + 1);
    // 640,000 characters: ≈ 10,323 per character, σ ≈ 100. A plain `byte % 62` would put 8 characters ≈ 21 % above.
    const expected = (20_000 * 32) / ALPHABET.length;
    expect([...counts.keys()].sort().join('')).toBe([...ALPHABET].sort().join(''));
    for (const count of counts.values()) expect(Math.abs(count - expected) / expected).toBeLessThan(0.05);
  });
});
