/**
 * node-forge's ASN.1 module on its own (`module.exports = forge.asn1`): the keystores use nothing
 * else of forge, whose index loads all of it (TLS, SSH, ciphers: ≈ 280 KB of a minified Lambda
 * bundle). Typed from @types/node-forge.
 */
declare module 'node-forge/lib/asn1.js' {
  import type forge from 'node-forge';

  const asn1: typeof forge.asn1;
  export default asn1;
}
