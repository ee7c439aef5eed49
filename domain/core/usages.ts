/**
 * Extended key usages (RFC 5280 §4.2.1.12): what an issued leaf carries and whether it carries
 * what its certificate declares. Pure: PackageAndStore refuses a leaf that lacks a declared usage
 * before anything is stored; `describeCertificate` records what the leaf carries.
 */
import type { X509Certificate } from 'node:crypto';
import type { Usage } from '../contracts/request';
import { MissingExtendedKeyUsage } from './errors';

/** The OID of each usage a certificate may declare. */
export const USAGE_OIDS: Readonly<Record<Usage, string>> = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
};
const ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0';
const NAMES: Readonly<Record<string, string>> = {
  ...Object.fromEntries(Object.entries(USAGE_OIDS).map(([name, oid]) => [oid, name])),
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
  [ANY_EXTENDED_KEY_USAGE]: 'anyExtendedKeyUsage',
};

/**
 * The leaf's extended key usages by name (an unknown one by its OID), in certificate order;
 * undefined when the leaf has no such extension (RFC 5280: then it is not restricted).
 */
export function extendedKeyUsages(leaf: X509Certificate): string[] | undefined {
  return leaf.keyUsage?.map((oid) => NAMES[oid] ?? oid);
}

/** The declared usages the leaf lacks (none when it has no EKU extension or anyExtendedKeyUsage). */
export function missingUsages(leaf: X509Certificate, declared: readonly Usage[]): Usage[] {
  const carried = leaf.keyUsage;
  if (carried === undefined || carried.includes(ANY_EXTENDED_KEY_USAGE)) return [];
  return declared.filter((usage) => !carried.includes(USAGE_OIDS[usage]));
}

/** Throws MissingExtendedKeyUsage naming each declared usage the leaf lacks and what it carries. */
export function checkUsages(leaf: X509Certificate, declared: readonly Usage[]): void {
  const missing = missingUsages(leaf, declared);
  if (missing.length === 0) return;
  const carried = extendedKeyUsages(leaf) ?? [];
  throw new MissingExtendedKeyUsage(
    `the issued certificate lacks the declared usage${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ` +
      `(it carries ${carried.join(', ') || 'none'}): nothing is stored, the current version stays; docs/chains-and-usages.md says where client certificates come from now`,
  );
}
