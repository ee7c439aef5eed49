/**
 * Does an issued chain lead to one of its ACME directory's trust anchors? Pure, the clock passed
 * in: PackageAndStore asks before anything is stored, and the host agent can ask the same before
 * it installs. A chain leads to an anchor when, walking from the leaf, each certificate is signed
 * by the next and is valid now, and either a certificate above the leaf IS an anchor (same
 * subject and key: the configured copy replaces it, so a cross-signed copy of a root is fine) or
 * the last one is signed by an anchor's key. The anchor must be a CA and valid now too.
 */
import { X509Certificate } from 'node:crypto';
import { quoted } from '../contracts/request';
import { UntrustedChain } from './errors';
import { normalizeDirectoryUrl } from './request';
import { parseCertificate } from './parsed-certificates';

/** Root PEMs by ACME directory URL (as `normalizeDirectoryUrl` writes it). */
export type TrustAnchors = Readonly<Record<string, readonly string[]>>;

/** The anchors configured for `directoryUrl` (compared as URLs); none when it has none. */
export function anchorsForDirectory(anchors: TrustAnchors | undefined, directoryUrl: string): readonly string[] {
  const wanted = normalizeDirectoryUrl(directoryUrl) ?? directoryUrl;
  const entry = Object.entries(anchors ?? {}).find(([url]) => (normalizeDirectoryUrl(url) ?? url) === wanted);
  return entry?.[1] ?? [];
}

export interface AnchoredChain {
  /** The configured anchor the chain leads to (PEM as given). */
  readonly anchor: string;
  /** The chain below the anchor: leaf first, then the intermediates it needs. */
  readonly path: readonly string[];
}

function fail(message: string): never {
  throw new UntrustedChain(message);
}

function parse(pem: string, what: string): X509Certificate {
  try {
    return parseCertificate(pem);
  } catch (error) {
    return fail(`${what} does not parse: ${(error as Error).message}`);
  }
}

/** `'R11'` (its CN, else its subject), quoted and shortened as every message quotes a value. */
function caName(certificate: X509Certificate): string {
  const subject = certificate.subject.replaceAll('\n', ', ');
  return quoted(/CN=([^,\n]+)/.exec(certificate.subject)?.[1] ?? subject);
}

/** Same subject and same public key: one CA, whichever copy (self-signed or cross-signed). */
export function sameCa(a: X509Certificate, b: X509Certificate): boolean {
  const spki = (certificate: X509Certificate) => certificate.publicKey.export({ type: 'spki', format: 'der' });
  return a.subject === b.subject && spki(a).equals(spki(b));
}

function validity(certificate: X509Certificate): string {
  return `${new Date(certificate.validFrom).toISOString()} – ${new Date(certificate.validTo).toISOString()}`;
}

function validAt(certificate: X509Certificate, now: Date): boolean {
  return now >= new Date(certificate.validFrom) && now <= new Date(certificate.validTo);
}

/** The usable anchor among `candidates` (a CA, valid now), or why none is. */
function usableAnchor(candidates: readonly number[], anchors: readonly X509Certificate[], now: Date): number | string {
  const ca = candidates.filter((index) => anchors[index]!.ca);
  if (ca.length === 0) return `trust anchor ${caName(anchors[candidates[0]!]!)} is not a CA certificate`;
  const valid = ca.find((index) => validAt(anchors[index]!, now));
  if (valid !== undefined) return valid;
  const expired = anchors[ca[0]!]!;
  return `trust anchor ${caName(expired)} is not valid now (${now.toISOString()}): valid ${validity(expired)}`;
}

/**
 * The anchor `chainPems` (leaf first) leads to, and the path below it; throws `UntrustedChain`
 * naming the first certificate at fault otherwise (a self-signed leaf, a chain to another root,
 * an expired certificate or anchor, a broken link, no anchors configured).
 */
export function verifyChainToAnchors(chainPems: readonly string[], anchorPems: readonly string[], now: Date): AnchoredChain {
  if (anchorPems.length === 0) fail('no trust anchors are configured for this ACME directory');
  if (chainPems.length === 0) fail('the chain is empty');
  const anchors = anchorPems.map((pem, index) => parse(pem, `trust anchor #${index}`));
  const chain = chainPems.map((pem, index) => parse(pem, `certificate #${index} in the chain`));
  const anchorNames = anchors.map(caName).join(', ');

  for (let index = 0; index < chain.length; index += 1) {
    const certificate = chain[index]!;
    if (index > 0) {
      // The chain carries a copy of an anchor: the configured copy decides from here on.
      const same = anchors.flatMap((anchor, at) => (sameCa(certificate, anchor) ? [at] : []));
      if (same.length > 0) {
        const anchor = usableAnchor(same, anchors, now);
        if (typeof anchor === 'string') fail(anchor);
        return { anchor: anchorPems[anchor]!, path: chainPems.slice(0, index) };
      }
      if (!certificate.ca) fail(`certificate #${index} (${caName(certificate)}) is not a CA certificate`);
    }
    if (!validAt(certificate, now)) {
      fail(`certificate #${index} (${caName(certificate)}) is not valid now (${now.toISOString()}): valid ${validity(certificate)}`);
    }
    const next = chain[index + 1];
    if (next) {
      if (!certificate.checkIssued(next) || !certificate.verify(next.publicKey)) {
        fail(`certificate #${index} (${caName(certificate)}) is not signed by #${index + 1} (${caName(next)})`);
      }
      continue;
    }
    // The last certificate of the chain: one of the anchors must have signed it.
    const issuers = anchors.flatMap((anchor, at) => (certificate.checkIssued(anchor) && certificate.verify(anchor.publicKey) ? [at] : []));
    if (issuers.length === 0) {
      const issuer = quoted(/CN=([^,\n]+)/.exec(certificate.issuer)?.[1] ?? certificate.issuer.replaceAll('\n', ', '));
      fail(`the chain ends at ${caName(certificate)}, issued by ${issuer}, which is none of this directory's trust anchors (${anchorNames})`);
    }
    const anchor = usableAnchor(issuers, anchors, now);
    if (typeof anchor === 'string') fail(anchor);
    return { anchor: anchorPems[anchor]!, path: [...chainPems] };
  }
  return fail('the chain is empty'); // not reached: the loop returns or throws
}
