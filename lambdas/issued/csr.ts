import * as acme from 'acme-client';

const MAX_COMMON_NAME = 64; // RFC 5280 ub-common-name; longer names go in the SAN only

/** The CSR (PEM) for `names` with the pending key: every name in the SAN, the first short one as CN. Both issuers send it. */
export async function csrFor(names: readonly string[], privateKeyPem: string): Promise<string> {
  const first = names.find((name) => name.length <= MAX_COMMON_NAME);
  const [, csr] = await acme.crypto.createCsr({ altNames: [...names], ...(first ? { commonName: first } : {}) }, privateKeyPem);
  return csr.toString();
}
