/**
 * Every keystore a Java host needs, from one verified chain: pure, the creation date passed in.
 * Which files they are, and which encoder builds each, is the registry's (./formats.ts): for each
 * keystore format its keystore (private key + full chain, leaf first, under the alias) and its
 * truststore (the directory's trust anchors, its roots, then the chain's issuing intermediates,
 * as trusted entries), and the password file, the password of all of them (store and key alike).
 *
 * The roots are what a broker's trustStore needs: CAs rotate intermediates (Let's Encrypt issues
 * from several at once and changes them yearly), so a truststore holding only this chain's
 * intermediate rejects a peer renewed under another one; a root accepts every chain below it.
 * The intermediates stay for peers that send their leaf without its chain.
 */
import { X509Certificate } from 'node:crypto';
import type { KeystoreOptions } from '../core/request';
import { sameCa } from '../core/trust-anchors';
import { parseCertificate } from '../core/parsed-certificates';
import { KEYSTORE_CODECS, type KeystoreEntries } from './codecs';
import { keystoreFiles, passwordFileText } from './formats';

export interface KeystoreBundleInput {
  /** Leaf first, then its issuers. */
  readonly chain: readonly string[];
  /**
   * The directory's trust anchors (root PEMs), all of them: the truststores lead with these.
   * PackageAndStore always passes them; left out (test fixtures), the truststores hold the
   * chain's issuers alone.
   */
  readonly trustAnchors?: readonly string[];
  readonly privateKeyPem: string;
  readonly password: string;
  readonly options: Pick<KeystoreOptions, 'alias' | 'profile'>;
  readonly created: Date;
}

/** Truststore aliases from the CA's common name, e.g. `ca-r11` (unique within the store). */
function caAliases(pems: readonly string[]): string[] {
  const seen = new Set<string>();
  return pems.map((pem, index) => {
    const cn = /CN=([^,\n]+)/.exec(parseCertificate(pem).subject)?.[1] ?? `${index + 1}`;
    let alias = `ca-${cn.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`.slice(0, 64);
    if (seen.has(alias)) alias = `${alias.slice(0, 60)}-${index + 1}`;
    seen.add(alias);
    return alias;
  });
}

/**
 * What the truststores hold: every anchor once, then each issuer of the chain that is not an
 * anchor already (a root or a cross-signed copy of one carried in the chain is left out).
 */
export function truststoreCertificates(chain: readonly string[], trustAnchors: readonly string[]): string[] {
  const anchors: { pem: string; certificate: X509Certificate }[] = [];
  for (const pem of trustAnchors) {
    const certificate = parseCertificate(pem);
    if (!anchors.some((known) => known.certificate.raw.equals(certificate.raw))) anchors.push({ pem, certificate });
  }
  const issuers = chain.slice(1).filter((pem) => {
    const certificate = parseCertificate(pem);
    return !anchors.some((anchor) => sameCa(anchor.certificate, certificate));
  });
  return [...anchors.map(({ pem }) => pem), ...issuers];
}

export function buildKeystoreFiles({ chain, trustAnchors = [], privateKeyPem, password, options, created }: KeystoreBundleInput): Record<string, Uint8Array> {
  const trustedPems = truststoreCertificates(chain, trustAnchors);
  const trusted = caAliases(trustedPems).map((caAlias, index) => ({ alias: caAlias, pem: trustedPems[index]! }));
  const entries: KeystoreEntries = { alias: options.alias, privateKeyPem, chain, trusted, password, profile: options.profile, created };
  const files: Record<string, Uint8Array> = {};
  for (const { name, builder } of keystoreFiles()) {
    if ('password' in builder) files[name] = passwordFileText(password);
    else if ('keystore' in builder) files[name] = KEYSTORE_CODECS[builder.keystore].keystore(entries);
    // A truststore with nothing to trust is left out (a chain with no issuers and no anchors).
    else if ('truststore' in builder && trusted.length > 0) files[name] = KEYSTORE_CODECS[builder.truststore].truststore(entries);
  }
  return files;
}
