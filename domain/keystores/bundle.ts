/**
 * Every keystore a Java host needs, from one verified chain: pure, the creation date passed in.
 *
 *   keystore.p12 / keystore.jks     private key + full chain (leaf first) under the alias
 *   truststore.p12 / truststore.jks the issuing CA certificates as trusted entries
 *   keystore.pass                   the password of all four (store and key password alike)
 */
import { X509Certificate } from 'node:crypto';
import type { KeystoreOptions } from '../core/request';
import { encodeJks, encodeJksTruststore } from './jks';
import { encodePkcs12, encodePkcs12Truststore } from './pkcs12';

export const KEYSTORE_FORMATS = ['pkcs12', 'jks'] as const;

export interface KeystoreBundleInput {
  /** Leaf first, then its issuers. */
  readonly chain: readonly string[];
  readonly privateKeyPem: string;
  readonly password: string;
  readonly options: Pick<KeystoreOptions, 'alias' | 'profile'>;
  readonly created: Date;
}

/** Truststore aliases from the CA's common name, e.g. `ca-r11` (unique within the store). */
function caAliases(pems: readonly string[]): string[] {
  const seen = new Set<string>();
  return pems.map((pem, index) => {
    const cn = /CN=([^,\n]+)/.exec(new X509Certificate(pem).subject)?.[1] ?? `${index + 1}`;
    let alias = `ca-${cn.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`.slice(0, 64);
    if (seen.has(alias)) alias = `${alias.slice(0, 60)}-${index + 1}`;
    seen.add(alias);
    return alias;
  });
}

export function buildKeystoreFiles({ chain, privateKeyPem, password, options, created }: KeystoreBundleInput): Record<string, Uint8Array> {
  const { alias, profile } = options;
  const files: Record<string, Uint8Array> = {
    'keystore.p12': encodePkcs12({ alias, privateKeyPem, chainPem: chain, password, profile }),
    'keystore.jks': encodeJks({ alias, privateKeyPem, chainPem: chain, storePassword: password, created }),
    'keystore.pass': Buffer.from(`${password}\n`, 'utf8'),
  };
  const issuers = chain.slice(1);
  if (issuers.length > 0) {
    const certificates = caAliases(issuers).map((caAlias, index) => ({ alias: caAlias, pem: issuers[index]! }));
    files['truststore.p12'] = encodePkcs12Truststore({ certificates, password, profile });
    files['truststore.jks'] = encodeJksTruststore({ certificates, storePassword: password, created });
  }
  return files;
}
