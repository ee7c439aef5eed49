import { webcrypto } from 'node:crypto';

type X509 = typeof import('@peculiar/x509');
let loaded: Promise<X509> | undefined;

/**
 * @peculiar/x509 on first use, on Node's WebCrypto. Only the local CAs that make certificates need
 * it (a root, Pebble's HTTPS certificate, a private issuance); loaded with every `certflow issue`
 * it cost ≈ 750 kB of code and ≈ 5 MiB (bench/cli.ts).
 */
export function peculiarX509(): Promise<X509> {
  loaded ??= import('@peculiar/x509').then((namespace) => {
    // A CommonJS module: its exports are the namespace's default (Node and the dev bundle alike).
    const x509 = (namespace as X509 & { readonly default?: X509 }).default ?? namespace;
    x509.cryptoProvider.set(webcrypto as never);
    return x509;
  });
  return loaded;
}
