/**
 * The CSR both issuers receive, read back by real OpenSSL (`openssl req -verify -text`): the
 * self-signature verifies, and subject, key usage, SAN and signature algorithm are the ones
 * acme-client's createCsr produced before (its output compared field by field in the last test).
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import * as acme from 'acme-client';
import { describe, expect, it } from 'vitest';
import { csrFor } from '../../../lambdas/issued/csr';

const pem = (type: 'ec' | 'rsa', options: object) =>
  generateKeyPairSync(type as 'ec', options as { namedCurve: string }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const KEYS = {
  'ec-p256': () => pem('ec', { namedCurve: 'P-256' }),
  'ec-p384': () => pem('ec', { namedCurve: 'P-384' }),
  'rsa-2048': () => pem('rsa', { modulusLength: 2048 }),
};
const LONG = `${'x'.repeat(60)}.example.test`; // 73 characters: over ub-common-name (64)

/** OpenSSL's reading of the request; throws when the self-signature does not verify. */
function openssl(csr: string): string {
  return execFileSync('openssl', ['req', '-noout', '-verify', '-text'], { input: csr, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}
/** The text without key and signature bytes (random per key and per signature). */
const fields = (text: string) => text.split('\n').filter((line) => !/^\s*([0-9a-f]{2}:)*[0-9a-f]{2}:?$/.test(line)).join('\n');

describe('csrFor', () => {
  it.each([
    ['ec-p256', 'ecdsa-with-SHA256', 'id-ecPublicKey'],
    ['ec-p384', 'ecdsa-with-SHA384', 'id-ecPublicKey'],
    ['rsa-2048', 'sha256WithRSAEncryption', 'rsaEncryption'],
  ] as const)('%s: signed with %s, the names in the SAN, the first as CN', async (keyType, signature, keyAlgorithm) => {
    const text = openssl(await csrFor(['a.example.test', '*.b.example.test'], KEYS[keyType]()));
    expect(text).toContain('Subject: CN = a.example.test');
    expect(text).toContain(`Public Key Algorithm: ${keyAlgorithm}`);
    expect(text).toContain(`Signature Algorithm: ${signature}`);
    expect(text).toMatch(/X509v3 Key Usage: \n\s+Digital Signature, Key Encipherment/);
    expect(text).toMatch(/X509v3 Subject Alternative Name: \n\s+DNS:a\.example\.test, DNS:\*\.b\.example\.test\n/);
  });

  it('a name over 64 characters is in the SAN only; the first short one is the CN', async () => {
    expect(openssl(await csrFor([LONG], KEYS['ec-p256']()))).toMatch(/Subject: *\n[\s\S]*DNS:x{60}\.example\.test\n/);
    expect(openssl(await csrFor([LONG, 'short.example.test'], KEYS['ec-p256']()))).toContain('Subject: CN = short.example.test');
  });

  it('IP addresses are iPAddress names, v4 and v6', async () => {
    expect(openssl(await csrFor(['10.0.0.1', '2001:db8::1', 'c.example.test'], KEYS['ec-p256']()))).toContain('IP Address:10.0.0.1, IP Address:2001:DB8:0:0:0:0:0:1, DNS:c.example.test');
  });

  it.each(Object.keys(KEYS) as (keyof typeof KEYS)[])('%s: the same fields as acme-client createCsr gave', async (keyType) => {
    const key = KEYS[keyType]();
    const names = ['a.example.test', '10.0.0.2', LONG];
    const [, theirs] = await acme.crypto.createCsr({ altNames: [...names], commonName: names[0] }, key);
    expect(fields(openssl(await csrFor(names, key)))).toBe(fields(openssl(theirs.toString())));
  });
});
