import { webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeCertificate, generatePrivateKey, splitPemChain, verifyIssuedChain } from '../../../domain/core/certificate';
import { CertificateVerificationFailed } from '../../../domain/core/errors';
import { KEY_TYPES } from '../../../domain/core/key-types';

x509.cryptoProvider.set(webcrypto as never);
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

async function pkcs8Pem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

interface Fixture {
  leafPem: string;
  intermediatePem: string;
  rootPem: string;
  keyPem: string;
  otherKeyPem: string;
  now: Date;
}

let fx: Fixture;

beforeAll(async () => {
  const now = new Date('2026-06-01T00:00:00Z');
  const keys = async () => (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const [rootKeys, intKeys, leafKeys, otherKeys] = [await keys(), await keys(), await keys(), await keys()];
  const validity = { notBefore: new Date(now.getTime() - DAY), notAfter: new Date(now.getTime() + 90 * DAY) };
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01', name: 'CN=Test Root', keys: rootKeys as never, signingAlgorithm: ALG, ...validity,
    extensions: [new x509.BasicConstraintsExtension(true, 1, true)],
  });
  const intermediate = await x509.X509CertificateGenerator.create({
    serialNumber: '02', subject: 'CN=Test Intermediate', issuer: root.subject, publicKey: intKeys.publicKey as never,
    signingKey: rootKeys.privateKey as never, signingAlgorithm: ALG, ...validity,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
  });
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: '0a0b0c', subject: 'CN=example.com', issuer: intermediate.subject, publicKey: leafKeys.publicKey as never,
    signingKey: intKeys.privateKey as never, signingAlgorithm: ALG, ...validity,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'example.com' }, { type: 'dns', value: '*.example.com' }])],
  });
  fx = {
    leafPem: `${leaf.toString('pem')}\n`,
    intermediatePem: `${intermediate.toString('pem')}\n`,
    rootPem: `${root.toString('pem')}\n`,
    keyPem: await pkcs8Pem(leafKeys.privateKey),
    otherKeyPem: await pkcs8Pem(otherKeys.privateKey),
    now,
  };
});

function check(overrides: Partial<Parameters<typeof verifyIssuedChain>[0]> = {}) {
  return () =>
    verifyIssuedChain({
      chain: [fx.leafPem, fx.intermediatePem],
      privateKeyPem: fx.keyPem,
      names: ['example.com', '*.example.com'],
      now: fx.now,
      ...overrides,
    });
}

describe('verifyIssuedChain', () => {
  it('accepts a matching key, ordered chain, valid leaf and exact names', () => {
    expect(check()).not.toThrow();
    expect(check({ chain: [fx.leafPem, fx.intermediatePem, fx.rootPem] })).not.toThrow();
  });

  it.each([
    ['no certificate', () => ({ chain: [] }), /returned no certificate/],
    ['another key', () => ({ privateKeyPem: fx.otherKeyPem }), /does not match the pending private key/],
    ['chain out of order', () => ({ chain: [fx.leafPem, fx.rootPem] }), /chain out of order: certificate #0 .* is not signed by #1/],
    ['not yet valid', () => ({ now: new Date(fx.now.getTime() - 2 * DAY) }), /leaf is not valid now/],
    ['expired', () => ({ now: new Date(fx.now.getTime() + 91 * DAY) }), /leaf is not valid now/],
    ['missing name', () => ({ names: ['example.com', '*.example.com', 'www.example.com'] }), /does not cover requested name\(s\): www\.example\.com/],
    ['extra name', () => ({ names: ['example.com'] }), /covers name\(s\) that were not requested: \*\.example\.com/],
  ])('rejects %s with a reason', (_case, overrides, message) => {
    expect(check(overrides())).toThrow(CertificateVerificationFailed);
    expect(check(overrides())).toThrow(message);
  });

  it('splits a PEM bundle and describes the leaf', () => {
    const chain = splitPemChain(`${fx.leafPem}\n${fx.intermediatePem}`);
    expect(chain).toHaveLength(2);
    const metadata = describeCertificate(chain[0]!, 'ec-p256');
    expect(metadata).toMatchObject({ names: ['example.com', '*.example.com'], serialNumber: '0a0b0c', keyType: 'ec-p256' });
    expect(metadata.fingerprintSha256).toBe(new X509Certificate(fx.leafPem).fingerprint256.replaceAll(':', '').toLowerCase());
  });
});

describe('generatePrivateKey', () => {
  it.each(KEY_TYPES)('%s gives a PKCS#8 key of that type', async (keyType) => {
    const pem = await generatePrivateKey(keyType);
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const { createPrivateKey } = await import('node:crypto');
    const key = createPrivateKey(pem);
    if (keyType.startsWith('rsa')) {
      expect(key.asymmetricKeyType).toBe('rsa');
      expect(key.asymmetricKeyDetails?.modulusLength).toBe(Number(keyType.slice(4)));
    } else {
      expect(key.asymmetricKeyType).toBe('ec');
      expect(key.asymmetricKeyDetails?.namedCurve).toBe(keyType === 'ec-p256' ? 'prime256v1' : 'secp384r1');
    }
  });
});
