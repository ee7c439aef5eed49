import { randomBytes } from 'node:crypto';
import { InvalidCertificateRequest } from '../core/errors';
import type { KeystoreOptions } from '../core/request';
import type { CertificateStore } from '../ports';

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

export const GIVEN_PASSWORD = /^[\x20-\x7e]{6,128}$/; // keytool's minimum is 6; PKCS#12 on the JDK takes printable ASCII only

/**
 * The password for this version's keystores. Stable by default — broker configs reference it —
 * so the current version's password is reused; a new one only for the first version or when
 * rotation is asked for; or the one kept in the secret the request names.
 */
export async function keystorePasswordFor(
  certificateId: string,
  options: Pick<KeystoreOptions, 'passwordSecretRef' | 'rotatePassword'>,
  store: Pick<CertificateStore, 'readSecret' | 'currentKeystorePassword'>,
): Promise<string> {
  if (options.passwordSecretRef) {
    const given = (await store.readSecret(options.passwordSecretRef)).replace(/\r?\n$/, '');
    if (!GIVEN_PASSWORD.test(given)) {
      throw new InvalidCertificateRequest('keystore.passwordSecretRef: the password must be 6–128 printable ASCII characters');
    }
    return given;
  }
  if (!options.rotatePassword) {
    const current = await store.currentKeystorePassword(certificateId);
    if (current) return current;
  }
  return generateKeystorePassword();
}
