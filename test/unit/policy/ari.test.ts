import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import { ariCertId, ariInstant, certIdMatchesSerial, jitterFraction, parseRenewalInfo } from '../../../domain/core/ari';
import { describeCertificate } from '../../../domain/core/certificate';

x509.cryptoProvider.set(webcrypto as never);
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const HOUR = 3_600_000;

// RFC 9773 §4.1's example: this AKI keyIdentifier and serial give this certID.
const RFC_AKI = '69885b6b87464041e1b37b847ba0ae2cde01c8d4';
const RFC_CERT_ID = 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE';

let keys: webcrypto.CryptoKeyPair;

async function leaf(serialNumber: string, aki?: string): Promise<string> {
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber,
    name: 'CN=example.com',
    notBefore: new Date('2026-06-01T00:00:00Z'),
    notAfter: new Date('2026-08-30T00:00:00Z'),
    keys: keys as never,
    signingAlgorithm: ALG,
    extensions: [
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'example.com' }]),
      ...(aki ? [new x509.AuthorityKeyIdentifierExtension(aki)] : []),
    ],
  });
  return `${cert.toString('pem')}\n`;
}

beforeAll(async () => {
  keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
});

describe('ariCertId (RFC 9773 §4.1)', () => {
  it.each([
    // [serial as given to the generator, certID]: a high first bit gets DER's leading 0x00
    ['87654321', RFC_CERT_ID],
    ['0a0b0c', 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.CgsM'],
    ['7f', 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.fw'],
  ])('serial %s → %s', async (serial, certId) => {
    expect(ariCertId(await leaf(serial, RFC_AKI))).toBe(certId);
  });

  it('takes the leaf of a full chain', async () => {
    const chain = (await leaf('87654321', RFC_AKI)) + (await leaf('01', '00112233'));
    expect(ariCertId(chain)).toBe(RFC_CERT_ID);
  });

  it('matches the serial that describeCertificate stores', async () => {
    const pem = await leaf('87654321', RFC_AKI);
    const { serialNumber } = describeCertificate(pem, 'ec-p256');
    expect(certIdMatchesSerial(ariCertId(pem), serialNumber)).toBe(true);
    expect(certIdMatchesSerial(ariCertId(pem), '87654322')).toBe(false);
  });

  it('refuses a certificate without an Authority Key Identifier, and text that is no certificate', async () => {
    const pem = await leaf('01');
    expect(() => ariCertId(pem)).toThrow(/no Authority Key Identifier keyIdentifier/);
    expect(() => ariCertId('not a certificate')).toThrow();
  });
});

describe('parseRenewalInfo (RFC 9773 §4.2)', () => {
  const window = { start: '2026-07-20T00:00:00Z', end: '2026-07-22T00:00:00Z' };

  it.each([
    ['parsed JSON', { suggestedWindow: window }],
    ['the response text', JSON.stringify({ suggestedWindow: window })],
    ['offsets and fractions', { suggestedWindow: { start: '2026-07-20T02:00:00.000+02:00', end: '2026-07-22T00:00:00.5z' } }],
  ])('accepts %s', (_case, body) => {
    const info = parseRenewalInfo(body);
    expect(info).toMatchObject({ start: new Date('2026-07-20T00:00:00Z') });
    expect('end' in info && info.end.getTime()).toBeGreaterThanOrEqual(Date.parse(window.end));
  });

  it('keeps the explanation URL', () => {
    expect(parseRenewalInfo({ suggestedWindow: window, explanationURL: 'https://ca.example/why' })).toMatchObject({ explanationUrl: 'https://ca.example/why' });
  });

  it('accepts a window entirely in the past (renew now)', () => {
    expect(parseRenewalInfo({ suggestedWindow: { start: '2020-01-01T00:00:00Z', end: '2020-01-02T00:00:00Z' } })).toHaveProperty('start');
  });

  it.each([
    ['text that is not JSON', '{"suggestedWindow": ', /^the response is not JSON$/],
    ['an array', [window], /^the response is not a JSON object$/],
    ['null', null, /^the response is not a JSON object$/],
    ['no suggestedWindow', { explanationURL: 'https://ca.example' }, /^suggestedWindow is missing$/],
    ['a start that is not RFC 3339', { suggestedWindow: { ...window, start: 'July 20, 2026' } }, /^suggestedWindow\.start is not an RFC 3339 timestamp: "July 20, 2026"$/],
    ['an impossible date', { suggestedWindow: { ...window, end: '2026-13-45T00:00:00Z' } }, /^suggestedWindow\.end is not an RFC 3339 timestamp/],
    ['a numeric end', { suggestedWindow: { ...window, end: 1784678400 } }, /^suggestedWindow\.end is not an RFC 3339 timestamp: 1784678400$/],
    ['end equal to start', { suggestedWindow: { start: window.start, end: window.start } }, /^suggestedWindow\.end \(.+\) is not after its start/],
    ['end before start', { suggestedWindow: { start: window.end, end: window.start } }, /^suggestedWindow\.end \(.+\) is not after its start/],
  ])('rejects %s', (_case, body, reason) => {
    const info = parseRenewalInfo(body);
    expect('invalid' in info && info.invalid).toMatch(reason);
  });
});

describe('ariInstant', () => {
  const window = { start: new Date('2026-07-20T00:00:00Z'), end: new Date('2026-07-22T00:00:00Z') };

  it('is deterministic and stays in [start, end − one scan interval]', () => {
    const instants = Array.from({ length: 1000 }, (_, i) => ariInstant(window, `cert-${i}:0a`, 6).getTime());
    expect(ariInstant(window, 'cert-1:0a', 6)).toEqual(ariInstant(window, 'cert-1:0a', 6));
    expect(Math.min(...instants)).toBeGreaterThanOrEqual(window.start.getTime());
    expect(Math.max(...instants)).toBeLessThanOrEqual(window.end.getTime() - 6 * HOUR);
    expect(Math.max(...instants) - Math.min(...instants)).toBeGreaterThan(0.95 * (42 * HOUR));
  });

  it('gives the start of a window narrower than a scan interval', () => {
    const narrow = { start: window.start, end: new Date(window.start.getTime() + 3 * HOUR) };
    expect(ariInstant(narrow, 'cert-1:0a', 6)).toEqual(window.start);
  });

  it('jitterFraction is uniform enough: ten buckets of 10 000 draws each hold 10 % ± 1.5', () => {
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 10_000; i += 1) buckets[Math.floor(jitterFraction(`cert-${i}:01`) * 10)]! += 1;
    for (const count of buckets) expect(Math.abs(count - 1000)).toBeLessThan(150);
  });
});
