/** Input checks both keystore formats share: a key that matches its chain, unique trusted aliases. */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { parseCertificate } from '../core/parsed-certificates';

/** The parsed chain and key; throws unless the key belongs to the first certificate. */
export function keyWithChain(privateKeyPem: string, chainPem: readonly string[]): { key: KeyObject; certificates: X509Certificate[] } {
  const certificates = chainPem.map((pem) => parseCertificate(pem));
  const key = createPrivateKey(privateKeyPem);
  if (!certificates[0]?.checkPrivateKey(key)) throw new Error('the private key does not match the first certificate of the chain');
  return { key, certificates };
}

/** Truststore aliases, lowercase as Java writes them; at least one, none twice. */
export function trustedAliases(certificates: readonly { alias: string }[]): string[] {
  const aliases = certificates.map(({ alias }) => alias.toLowerCase());
  if (aliases.length === 0) throw new Error('a truststore needs at least one certificate');
  if (new Set(aliases).size !== aliases.length) throw new Error('truststore aliases must be unique (case-insensitively)');
  return aliases;
}
