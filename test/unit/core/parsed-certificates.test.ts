/** parseCertificate: one X509Certificate per PEM while it is among the last 64 parsed; a bad PEM throws every time. */
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCertificate } from '../../../domain/core/parsed-certificates';

const pems: string[] = [];

beforeAll(async () => {
  x509.cryptoProvider.set(webcrypto as never);
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(algorithm, false, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  for (let i = 0; i < 66; i += 1) {
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: `01${i.toString(16).padStart(4, '0')}`,
      name: `CN=cache-${i}`,
      notBefore: new Date('2026-01-01T00:00:00Z'),
      notAfter: new Date('2026-04-01T00:00:00Z'),
      signingAlgorithm: algorithm,
      keys,
    });
    pems.push(certificate.toString('pem'));
  }
});

describe('parseCertificate', () => {
  it('parses as X509Certificate does, and hands the same object back for the same PEM', () => {
    const first = parseCertificate(pems[0]!);
    expect(first.subject).toBe('CN=cache-0');
    expect(first.serialNumber).toBe('010000');
    expect(parseCertificate(pems[0]!)).toBe(first);
  });

  it('keeps the last 64 parsed: the oldest is parsed anew once 64 others came after it', () => {
    // Kept so far: pems[0] (the test above). Then pems[1] and 62 more: 64 in all.
    const kept = parseCertificate(pems[1]!);
    for (const pem of pems.slice(2, 64)) parseCertificate(pem);
    expect(parseCertificate(pems[1]!)).toBe(kept);
    parseCertificate(pems[64]!); // the 65th: pems[0] goes
    expect(parseCertificate(pems[1]!)).toBe(kept);
    parseCertificate(pems[65]!); // the 66th: pems[1] goes
    const anew = parseCertificate(pems[1]!);
    expect(anew).not.toBe(kept);
    expect(anew.subject).toBe(kept.subject);
  });

  it('throws for what is not a certificate, every time (nothing cached)', () => {
    expect(() => parseCertificate('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')).toThrow();
    expect(() => parseCertificate('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')).toThrow();
  });
});
