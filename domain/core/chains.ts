/**
 * Which of the chains a CA offers (RFC 8555 §7.4.2, `Link: rel="alternate"`) to take. certbot's
 * `--preferred-chain` semantics, which nginx's ACME module shares: the chain whose topmost
 * certificate was issued by the preferred common name, else the CA's default chain. Pure.
 *
 * acme-client 5.4 (`getCertificate(order, preferredChain)`) matches the issuer CN of ANY
 * certificate in a chain and prefers the match closest to the root: when the preferred name is
 * only found deeper, it returns a chain certbot would not. `isPreferredChain` tells which.
 */
import { parseCertificate } from './parsed-certificates';

/** The issuer CN of the chain's topmost certificate (leaf first), or undefined if it has none. */
export function topmostIssuerCn(chain: readonly string[]): string | undefined {
  const top = chain.at(-1);
  if (top === undefined) return undefined;
  return /(?:^|\n)CN=([^\n]+)/.exec(parseCertificate(top).issuer)?.[1];
}

/** Does this chain's topmost certificate have the preferred issuer? */
export function isPreferredChain(chain: readonly string[], preferredChain: string): boolean {
  return topmostIssuerCn(chain) === preferredChain;
}
