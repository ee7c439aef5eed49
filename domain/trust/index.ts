/**
 * The trust anchors certflow knows by default, kept as PEM files next to this module and read at
 * synth time (infra/config.ts); the stack compiles them into the PackageAndStore function, so no
 * Lambda reads these files. test/unit/core/trust-anchors.test.ts pins each file's SHA-256.
 *
 *   isrg-root-x1.pem              ISRG Root X1 (RSA 4096, until 2035): Let's Encrypt production
 *   isrg-root-x2.pem              ISRG Root X2 (ECDSA P-384, until 2040): Let's Encrypt production
 *   letsencrypt-stg-root-x1.pem   (STAGING) Pretend Pear X1 (RSA, until 2035): Let's Encrypt staging
 *   letsencrypt-stg-root-x2.pem   (STAGING) Bogus Broccoli X2 (ECDSA, until 2040): Let's Encrypt staging
 *
 * The production roots are Debian's ca-certificates copies (Mozilla's store); the staging roots
 * are the ones Let's Encrypt publishes at https://letsencrypt.org/certs/staging/ (see
 * https://letsencrypt.org/docs/staging-environment/). Never add a staging root to a truststore
 * used for anything but tests.
 */
import { readFileSync } from 'node:fs';

export const TRUST_ANCHOR_FILES = {
  'isrg-root-x1': 'isrg-root-x1.pem',
  'isrg-root-x2': 'isrg-root-x2.pem',
  'letsencrypt-staging-root-x1': 'letsencrypt-stg-root-x1.pem',
  'letsencrypt-staging-root-x2': 'letsencrypt-stg-root-x2.pem',
} as const;

export type KnownAnchor = keyof typeof TRUST_ANCHOR_FILES;

/** The PEM text of a known anchor, read from this folder. */
export function knownAnchorPem(name: KnownAnchor): string {
  return readFileSync(new URL(`./${TRUST_ANCHOR_FILES[name]}`, import.meta.url), 'utf8');
}

/** Let's Encrypt production: ISRG Root X1 (RSA hierarchy) and ISRG Root X2 (ECDSA hierarchy). */
export const letsEncryptProductionRoots = (): string[] => [knownAnchorPem('isrg-root-x1'), knownAnchorPem('isrg-root-x2')];

/** Let's Encrypt staging: (STAGING) Pretend Pear X1 and (STAGING) Bogus Broccoli X2. */
export const letsEncryptStagingRoots = (): string[] => [knownAnchorPem('letsencrypt-staging-root-x1'), knownAnchorPem('letsencrypt-staging-root-x2')];
