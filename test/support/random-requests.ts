/**
 * Random request inputs for fuzzing the validator: arbitrary JSON, and valid requests with one
 * field replaced by something hostile (odd Unicode, control characters, huge strings, deep
 * nesting, wrong types). Seeded, so a failure can be replayed.
 */

/** The fleet simulation's seeded PRNG (mulberry32). */
export { prng as seededRandom } from '../../sim/fleet';

const NASTY = ['', ' ', '\t', '\u00a0', '\ufeff', '\u2028', '\n', '\u0000', '\u212a', 'xn--', 'xn--a', '*.', '..', '.', '-', '192.0.2.1', '[::1]', '../../x', '%00', '😀', 'Ω', 'ß', 'İ'];

function randomString(random: () => number): string {
  const roll = random();
  if (roll < 0.3) return NASTY[Math.floor(random() * NASTY.length)]!;
  if (roll < 0.35) return 'a'.repeat(1 + Math.floor(random() * 100_000)); // long
  const length = Math.floor(random() * 40);
  let text = '';
  for (let i = 0; i < length; i += 1) {
    const kind = random();
    text += kind < 0.7 ? 'abcdefghijklmnopqrstuvwxyz0123456789.-*_'[Math.floor(random() * 40)] : String.fromCodePoint(Math.floor(random() * 0x3000));
  }
  return text;
}

function randomJson(random: () => number, depth = 0): unknown {
  const roll = random();
  if (depth > 4 || roll < 0.15) return [null, true, false, 0, -1, 1e308, Number.MAX_SAFE_INTEGER, 0.5][Math.floor(random() * 8)];
  if (roll < 0.5) return randomString(random);
  if (roll < 0.75) return Array.from({ length: Math.floor(random() * 5) }, () => randomJson(random, depth + 1));
  const fields = ['certificateId', 'names', 'keyType', 'keystore', 'directoryUrl', 'contact', 'externalAccountBinding', 'replaces', 'profile', randomString(random)];
  return Object.fromEntries(Array.from({ length: Math.floor(random() * 5) }, () => [fields[Math.floor(random() * fields.length)]!, randomJson(random, depth + 1)]));
}

/** A valid request with one field (or one name) replaced, or arbitrary JSON. */
export function randomRequest(random: () => number, valid: Record<string, unknown>): unknown {
  const roll = random();
  if (roll < 0.3) return randomJson(random);
  const copy: Record<string, unknown> = structuredClone(valid);
  const keys = [...Object.keys(copy), 'keyType', 'keystore', 'directoryUrl', 'contact', 'externalAccountBinding', 'replaces', randomString(random)];
  const key = keys[Math.floor(random() * keys.length)]!;
  if (key === 'names' && random() < 0.7) copy.names = [...(copy.names as string[]), randomString(random)];
  else copy[key] = randomJson(random);
  return copy;
}
