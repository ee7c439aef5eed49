/**
 * Every keystore a Java host needs, from one verified chain: pure, the creation date passed in.
 *
 *   keystore.p12 / keystore.jks     private key + full chain (leaf first) under the alias
 *   truststore.p12 / truststore.jks the directory's trust anchors (its roots), then the chain's
 *                                   issuing intermediates, as trusted entries
 *   keystore.pass                   the password of all four (store and key password alike)
 *
 * The roots are what a broker's trustStore needs: CAs rotate intermediates (Let's Encrypt issues
 * from several at once and changes them yearly), so a truststore holding only this chain's
 * intermediate rejects a peer renewed under another one; a root accepts every chain below it.
 * The intermediates stay for peers that send their leaf without its chain.
 */
import { X509Certificate } from 'node:crypto';
import type { KeystoreOptions } from '../core/request';
import { sameCa } from '../core/trust-anchors';
import { encodeJks, encodeJksTruststore } from './jks';
import { encodePkcs12, encodePkcs12Truststore } from './pkcs12';
import { parseCertificate } from '../core/parsed-certificates';

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
  const { alias, profile } = options;
  const files: Record<string, Uint8Array> = {
    'keystore.p12': encodePkcs12({ alias, privateKeyPem, chainPem: chain, password, profile }),
    'keystore.jks': encodeJks({ alias, privateKeyPem, chainPem: chain, storePassword: password, created }),
    'keystore.pass': Buffer.from(`${password}\n`, 'utf8'),
  };
  const trusted = truststoreCertificates(chain, trustAnchors);
  if (trusted.length > 0) {
    const certificates = caAliases(trusted).map((caAlias, index) => ({ alias: caAlias, pem: trusted[index]! }));
    files['truststore.p12'] = encodePkcs12Truststore({ certificates, password, profile });
    files['truststore.jks'] = encodeJksTruststore({ certificates, storePassword: password, created });
  }
  return files;
}
