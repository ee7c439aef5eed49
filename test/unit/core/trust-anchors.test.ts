/**
 * verifyChainToAnchors: a chain leads to a configured anchor, or UntrustedChain names why not.
 * Test CAs built in-process (EC P-256) with a fixed clock; the embedded default roots pinned by
 * their SHA-256 fingerprints.
 */
import { createHash, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import { UntrustedChain } from '../../../domain/core/errors';
import { anchorsForDirectory, verifyChainToAnchors } from '../../../domain/core/trust-anchors';
import { KNOWN_ANCHOR_NAMES, knownAnchorPem, letsEncryptProductionRoots, letsEncryptStagingRoots, type KnownAnchor } from '../../../domain/trust';

x509.cryptoProvider.set(webcrypto as never);

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;
const NOW = new Date('2026-06-01T00:00:00Z');
const at = (days: number) => new Date(NOW.getTime() + days * DAY);

type Keys = webcrypto.CryptoKeyPair;
interface Ca {
  readonly keys: Keys;
  readonly certificate: x509.X509Certificate;
}

const pem = (certificate: x509.X509Certificate) => `${certificate.toString('pem')}\n`;
const serial = () => `01${randomBytes(8).toString('hex')}`;
const newKeys = () => webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']) as Promise<Keys>;
const caExtensions = () => [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)];

async function root(name: string, from = -365, to = 3650, keys?: Keys): Promise<Ca> {
  keys ??= await newKeys();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(), name: `CN=${name}`, keys: keys as never, signingAlgorithm: EC, notBefore: at(from), notAfter: at(to), extensions: caExtensions(),
  });
  return { keys, certificate };
}

async function issue(issuer: Ca, subject: string, options: { ca?: boolean; from?: number; to?: number; keys?: Keys } = {}): Promise<Ca> {
  const keys = options.keys ?? (await newKeys());
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serial(), subject: `CN=${subject}`, issuer: issuer.certificate.subject,
    publicKey: keys.publicKey as never, signingKey: issuer.keys.privateKey as never, signingAlgorithm: EC,
    notBefore: at(options.from ?? -10), notAfter: at(options.to ?? 80),
    extensions: options.ca === false
      ? [new x509.BasicConstraintsExtension(false, undefined, true), new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: subject }])]
      : caExtensions(),
  });
  return { keys, certificate };
}

let R: Ca; // the directory's root
let I: Ca; // its intermediate
let leaf: Ca;
let other: Ca; // another root, same names as nothing here
let otherI: Ca;
let otherLeaf: Ca;
let shortRoot: Ca; // expired before NOW
let shortLeaf: Ca;
let shortI: Ca;
let selfSigned: Ca;
let signedByLeaf: Ca; // a certificate that otherLeaf (not a CA) signed
let crossSignedR: Ca; // R's subject and key, signed by `other` (as ISRG Root X1 once was by DST Root CA X3)

beforeAll(async () => {
  R = await root('certflow test root R');
  I = await issue(R, 'certflow test intermediate I');
  leaf = await issue(I, 'broker.certflow.test', { ca: false });
  other = await root('another root');
  otherI = await issue(other, 'another intermediate');
  otherLeaf = await issue(otherI, 'broker.certflow.test', { ca: false });
  shortRoot = await root('short-lived root', -400, -1);
  shortI = await issue(shortRoot, 'intermediate under the short-lived root', { from: -30, to: 300 });
  shortLeaf = await issue(shortI, 'broker.certflow.test', { ca: false });
  const selfKeys = await newKeys();
  selfSigned = {
    keys: selfKeys,
    certificate: await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(), name: 'CN=broker.certflow.test', keys: selfKeys as never, signingAlgorithm: EC, notBefore: at(-1), notAfter: at(80),
      extensions: [new x509.BasicConstraintsExtension(false, undefined, true)],
    }),
  };
  signedByLeaf = await issue(otherLeaf, 'evil.certflow.test', { ca: false });
  crossSignedR = await issue(other, 'certflow test root R', { keys: R.keys, from: -365, to: 3650 });
});

describe('verifyChainToAnchors', () => {
  it('accepts a chain whose last certificate the anchor signed, and returns the anchor and the path', () => {
    const chain = [pem(leaf.certificate), pem(I.certificate)];
    expect(verifyChainToAnchors(chain, [pem(other.certificate), pem(R.certificate)], NOW)).toEqual({ anchor: pem(R.certificate), path: chain });
  });

  it('accepts a chain that carries the anchor itself, or a cross-signed copy of it', () => {
    const path = [pem(leaf.certificate), pem(I.certificate)];
    expect(verifyChainToAnchors([...path, pem(R.certificate)], [pem(R.certificate)], NOW)).toEqual({ anchor: pem(R.certificate), path });
    // The copy in the chain is signed by a root we do not trust; the configured copy decides.
    expect(verifyChainToAnchors([...path, pem(crossSignedR.certificate)], [pem(R.certificate)], NOW)).toEqual({ anchor: pem(R.certificate), path });
  });

  it.each<[string, () => string[], () => string[], Date, RegExp]>([
    [
      'a chain to another root',
      () => [pem(otherLeaf.certificate), pem(otherI.certificate)],
      () => [pem(R.certificate)],
      NOW,
      /^the chain ends at 'another intermediate', issued by 'another root', which is none of this directory's trust anchors \('certflow test root R'\)$/,
    ],
    [
      'an expired anchor',
      () => [pem(shortLeaf.certificate), pem(shortI.certificate)],
      () => [pem(shortRoot.certificate)],
      NOW,
      /^trust anchor 'short-lived root' is not valid now \(2026-06-01T00:00:00\.000Z\): valid 2025-04-27T00:00:00\.000Z – 2026-05-31T00:00:00\.000Z$/,
    ],
    [
      'a self-signed leaf',
      () => [pem(selfSigned.certificate)],
      () => [pem(R.certificate)],
      NOW,
      /^the chain ends at 'broker\.certflow\.test', issued by 'broker\.certflow\.test', which is none of this directory's trust anchors/,
    ],
    [
      'a self-signed leaf configured as its own anchor',
      () => [pem(selfSigned.certificate)],
      () => [pem(selfSigned.certificate)],
      NOW,
      /^trust anchor 'broker\.certflow\.test' is not a CA certificate$/,
    ],
    ['an expired leaf', () => [pem(leaf.certificate), pem(I.certificate)], () => [pem(R.certificate)], at(81), /^certificate #0 \('broker\.certflow\.test'\) is not valid now/],
    ['a leaf not yet valid', () => [pem(leaf.certificate), pem(I.certificate)], () => [pem(R.certificate)], at(-11), /^certificate #0 .* is not valid now/],
    [
      'a broken link',
      () => [pem(leaf.certificate), pem(otherI.certificate)],
      () => [pem(R.certificate), pem(other.certificate)],
      NOW,
      /^certificate #0 \('broker\.certflow\.test'\) is not signed by #1 \('another intermediate'\)$/,
    ],
    [
      'a leaf posing as an intermediate',
      () => [pem(signedByLeaf.certificate), pem(otherLeaf.certificate), pem(otherI.certificate)],
      () => [pem(other.certificate)],
      NOW,
      /^certificate #1 \('broker\.certflow\.test'\) is not a CA certificate$/,
    ],
    ['no anchors configured', () => [pem(leaf.certificate), pem(I.certificate)], () => [], NOW, /^no trust anchors are configured for this ACME directory$/],
    ['an empty chain', () => [], () => [pem(R.certificate)], NOW, /^the chain is empty$/],
  ])('refuses %s with UntrustedChain', (_case, chain, anchors, now, message) => {
    let thrown: unknown;
    try {
      verifyChainToAnchors(chain(), anchors(), now);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UntrustedChain);
    expect((thrown as Error).name).toBe('UntrustedChain');
    expect((thrown as Error).message).toMatch(message);
  });

  it('passes the same chains once the anchor is the right one (each refusal above can pass)', () => {
    expect(verifyChainToAnchors([pem(otherLeaf.certificate), pem(otherI.certificate)], [pem(other.certificate)], NOW).anchor).toBe(pem(other.certificate));
    expect(verifyChainToAnchors([pem(shortLeaf.certificate), pem(shortI.certificate)], [pem(shortRoot.certificate)], at(-2)).anchor).toBe(pem(shortRoot.certificate));
  });
});

describe('anchorsForDirectory', () => {
  it('finds a directory\'s anchors comparing URLs as URLs, and none for any other directory', () => {
    const anchors = { 'https://ca.internal.example/acme/dir': ['root-a'], 'https://acme-v02.api.letsencrypt.org/directory': ['x1', 'x2'] };
    expect(anchorsForDirectory(anchors, 'https://CA.internal.example:443/acme/dir')).toEqual(['root-a']);
    expect(anchorsForDirectory(anchors, 'https://acme-v02.api.letsencrypt.org/directory')).toEqual(['x1', 'x2']);
    expect(anchorsForDirectory(anchors, 'https://ca.internal.example/acme/other')).toEqual([]);
    expect(anchorsForDirectory(undefined, 'https://ca.internal.example/acme/dir')).toEqual([]);
  });
});

describe('the embedded default anchors', () => {
  // SHA-256 of each certificate's DER, as `openssl x509 -fingerprint -sha256` prints them (and as
  // Let's Encrypt and Mozilla publish them).
  const FINGERPRINTS: Record<KnownAnchor, { subject: string; sha256: string; notAfter: string }> = {
    'isrg-root-x1': { subject: 'ISRG Root X1', sha256: '96bcec06264976f37460779acf28c5a7cfe8a3c0aae11a8ffcee05c0bddf08c6', notAfter: '2035-06-04T11:04:38.000Z' },
    'isrg-root-x2': { subject: 'ISRG Root X2', sha256: '69729b8e15a86efc177a57afb7171dfc64add28c2fca8cf1507e34453ccb1470', notAfter: '2040-09-17T16:00:00.000Z' },
    // Gen Y: Let's Encrypt publishes serial, keys, SKI and signature (letsencrypt.org/certs/gen-y/).
    'isrg-root-yr': { subject: 'Root YR', sha256: 'e57b7e6f150c419102e8d5c055729ff967b9d1a829bf00cec89ca604ebf4a86f', notAfter: '2045-09-02T23:59:59.000Z' },
    'isrg-root-ye': { subject: 'Root YE', sha256: 'e14ffcad5b0025731006caa43a121a22d8e9700f4fb9cf852f02a708aa5d5666', notAfter: '2045-09-02T23:59:59.000Z' },
    'letsencrypt-staging-root-x1': { subject: '(STAGING) Pretend Pear X1', sha256: 'e70570a989f8565aabdf7cae27abd1621872d6a3f811e3fef27e3dba02912198', notAfter: '2035-06-04T11:04:38.000Z' },
    'letsencrypt-staging-root-x2': { subject: '(STAGING) Bogus Broccoli X2', sha256: '9b2a339fe6a3e85585c4cd75536cb8c1cf7cd603b9a64bec2521858ae48da85d', notAfter: '2040-09-17T16:00:00.000Z' },
  };

  it.each(KNOWN_ANCHOR_NAMES)('%s is the expected self-signed root, one certificate each', (name) => {
    const text = knownAnchorPem(name);
    expect(text.match(/-----BEGIN CERTIFICATE-----/g)).toHaveLength(1);
    const certificate = new X509Certificate(text);
    const expected = FINGERPRINTS[name];
    expect(createHash('sha256').update(certificate.raw).digest('hex')).toBe(expected.sha256);
    expect(certificate.subject).toContain(`CN=${expected.subject}`);
    expect(new Date(certificate.validTo).toISOString()).toBe(expected.notAfter);
    expect(certificate.ca).toBe(true);
    expect(certificate.checkIssued(certificate) && certificate.verify(certificate.publicKey)).toBe(true);
  });

  it("gives X1, X2, YR and YE for Let's Encrypt production, X1 and X2 for staging", () => {
    const cns = (pems: string[]) => pems.map((text) => /CN=(.+)/.exec(new X509Certificate(text).subject)![1]);
    expect(cns(letsEncryptProductionRoots())).toEqual(['ISRG Root X1', 'ISRG Root X2', 'Root YR', 'Root YE']);
    expect(cns(letsEncryptStagingRoots())).toEqual(['(STAGING) Pretend Pear X1', '(STAGING) Bogus Broccoli X2']);
  });
});
