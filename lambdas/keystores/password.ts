import { randomBytes } from 'node:crypto';

// Alphanumeric only: ActiveMQ's XML config reads a leading `#` as a bean reference and `${` as a placeholder.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
// Largest multiple of the alphabet size that fits in a byte: bytes at or above it are rejected (no modulo bias).
const LIMIT = 256 - (256 % ALPHABET.length);
const MIN_LENGTH = 24;

/** A random keystore password (≈ 5.95 bits per character). */
export function generateKeystorePassword(length = 32): string {
  if (!Number.isInteger(length) || length < MIN_LENGTH) throw new Error(`keystore passwords need at least ${MIN_LENGTH} characters`);
  let password = '';
  while (password.length < length) {
    for (const byte of randomBytes(length)) {
      if (byte < LIMIT && password.length < length) password += ALPHABET.charAt(byte % ALPHABET.length);
    }
  }
  return password;
}
