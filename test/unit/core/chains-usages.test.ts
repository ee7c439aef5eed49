/**
 * The pure halves of issue #18 points 5 and 6: which offered chain is the preferred one (certbot's
 * --preferred-chain: the issuer CN of the topmost certificate, not of any certificate in it), and
 * which declared usages an issued leaf lacks. Certificates built in-process (EC P-256).
 */
import { webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import { isPreferredChain, topmostIssuerCn } from '../../../domain/core/chains';
import { describeCertificate } from '../../../domain/core/certificate';
import { MissingExtendedKeyUsage } from '../../../domain/core/errors';
import { checkUsages, extendedKeyUsages, missingUsages } from '../../../domain/core/usages';
import type { Usage } from '../../../domain/contracts/request';

x509.cryptoProvider.set(webcrypto as never);

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
type Keys = webcrypto.CryptoKeyPair;
const newKeys = () => webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']) as Promise<Keys>;
const pem = (certificate: x509.X509Certificate) => `${certificate.toString('pem')}\n`;
let serial = 0;

async function certificate(subject: string, issuer: string, signer: Keys, keys: Keys, extensions: x509.Extension[] = []): Promise<string> {
  serial += 1;
  const created = await x509.X509CertificateGenerator.create({
    serialNumber: `0${serial}`, subject: `CN=${subject}`, issuer: `CN=${issuer}`, publicKey: keys.publicKey as never, signingKey: signer.privateKey as never,
    signingAlgorithm: EC, notBefore: new Date(Date.now() - 86_400_000), notAfter: new Date(Date.now() + 86_400_000), extensions,
  });
  return pem(created);
}

const OIDS = { serverAuth: '1.3.6.1.5.5.7.3.1', clientAuth: '1.3.6.1.5.5.7.3.2', codeSigning: '1.3.6.1.5.5.7.3.3', any: '2.5.29.37.0', unknown: '1.2.3.4.5' };
const eku = (...oids: string[]) => [new x509.ExtendedKeyUsageExtension(oids)];

describe('the preferred chain: issuer CN of the topmost certificate', () => {
  // leaf ← YR1 ← Root YR (cross-signed by X1): the long chain; leaf ← YR1: the short one (Let's Encrypt's Gen Y).
  let long: string[];
  let short: string[];
  beforeAll(async () => {
    const [leafKeys, yr1, rootYr, x1] = await Promise.all([newKeys(), newKeys(), newKeys(), newKeys()]);
    const leaf = await certificate('mq.example.com', 'YR1', yr1, leafKeys);
    const intermediate = await certificate('YR1', 'ISRG Root YR', rootYr, yr1);
    const crossSigned = await certificate('ISRG Root YR', 'ISRG Root X1', x1, rootYr);
    long = [leaf, intermediate, crossSigned];
    short = [leaf, intermediate];
  });

  it.each([
    ['the long chain tops out at X1', () => long, 'ISRG Root X1'],
    ['the short chain tops out at Root YR', () => short, 'ISRG Root YR'],
  ])('%s', (_case, chain, issuer) => {
    expect(topmostIssuerCn(chain())).toBe(issuer);
    expect(isPreferredChain(chain(), issuer)).toBe(true);
  });

  it('matches only the topmost issuer: Root YR is an issuer inside the long chain, yet the long chain is not the Root YR chain (acme-client would take it)', () => {
    expect(new X509Certificate(long[1]!).issuer).toBe('CN=ISRG Root YR');
    expect(isPreferredChain(long, 'ISRG Root YR')).toBe(false);
    expect(isPreferredChain(short, 'ISRG Root X1')).toBe(false);
  });

  it('compares exactly (case and spaces count, as certbot does)', () => {
    expect(isPreferredChain(long, 'isrg root x1')).toBe(false);
    expect(isPreferredChain(long, 'ISRG Root X1 ')).toBe(false);
  });

  it('has no topmost issuer for an empty chain', () => {
    expect(topmostIssuerCn([])).toBeUndefined();
    expect(isPreferredChain([], 'ISRG Root X1')).toBe(false);
  });
});

describe('declared usages against the leaf', () => {
  const leaves: Record<string, string> = {};
  beforeAll(async () => {
    const [ca, keys] = await Promise.all([newKeys(), newKeys()]);
    const cases: Record<string, x509.Extension[]> = {
      serverAuth: eku(OIDS.serverAuth),
      both: eku(OIDS.serverAuth, OIDS.clientAuth),
      clientAuth: eku(OIDS.clientAuth),
      codeSigning: eku(OIDS.codeSigning, OIDS.unknown),
      any: eku(OIDS.any),
      none: [],
    };
    for (const [name, extensions] of Object.entries(cases)) leaves[name] = await certificate(name, 'CA', ca, keys, extensions);
  });

  it.each<[string, string[] | undefined]>([
    ['serverAuth', ['serverAuth']],
    ['both', ['serverAuth', 'clientAuth']],
    ['codeSigning', ['codeSigning', '1.2.3.4.5']],
    ['any', ['anyExtendedKeyUsage']],
    ['none', undefined],
  ])('names what a %s leaf carries (an unknown usage by OID)', (leaf, usages) => {
    expect(extendedKeyUsages(new X509Certificate(leaves[leaf]!))).toEqual(usages);
    expect(describeCertificate(leaves[leaf]!, 'ec-p256').usages).toEqual(usages);
  });

  it.each<[string, Usage[], Usage[]]>([
    ['serverAuth', ['serverAuth'], []],
    ['serverAuth', ['serverAuth', 'clientAuth'], ['clientAuth']],
    ['serverAuth', ['clientAuth'], ['clientAuth']],
    ['both', ['serverAuth', 'clientAuth'], []],
    ['clientAuth', ['serverAuth', 'clientAuth'], ['serverAuth']],
    ['codeSigning', ['serverAuth', 'clientAuth'], ['serverAuth', 'clientAuth']],
    // RFC 5280 §4.2.1.12: no EKU extension, or anyExtendedKeyUsage, restricts nothing.
    ['any', ['serverAuth', 'clientAuth'], []],
    ['none', ['serverAuth', 'clientAuth'], []],
  ])('a %s leaf declared %j lacks %j', (leaf, declared, missing) => {
    expect(missingUsages(new X509Certificate(leaves[leaf]!), declared)).toEqual(missing);
  });

  it('refuses a leaf lacking a declared usage with the final MissingExtendedKeyUsage, naming what is missing and what it carries', () => {
    const refusal = () => checkUsages(new X509Certificate(leaves.serverAuth!), ['serverAuth', 'clientAuth']);
    expect(refusal).toThrow(MissingExtendedKeyUsage);
    expect(refusal).toThrow(/^the issued certificate lacks the declared usage clientAuth \(it carries serverAuth\): nothing is stored/);
    expect(() => checkUsages(new X509Certificate(leaves.codeSigning!), ['serverAuth', 'clientAuth'])).toThrow(
      /lacks the declared usages serverAuth, clientAuth \(it carries codeSigning, 1\.2\.3\.4\.5\)/,
    );
    expect(new MissingExtendedKeyUsage('x').retryable).toBe(false);
    expect(() => checkUsages(new X509Certificate(leaves.both!), ['serverAuth', 'clientAuth'])).not.toThrow();
  });
});
