/**
 * The redacting formatter: whatever a step logs by mistake — a private key PEM, its base64 body,
 * a keystore password, EAB HMAC key — the line carries none of it; identifiers stay readable.
 */
import { generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { jsonLogger } from '../../../domain/logging/logger';
import { isSecretKey, redact, REDACTED, REDACTED_BASE64, REDACTED_KEY } from '../../../domain/logging/redaction';
import { keyNeedles, scanForSecrets } from '../../support/secret-scan';

const PASSWORD = 'Qx7vT2mLp9ZsR4kWc8YnB3hJd6FaG5eU'; // a generated keystore password's shape: 32 alphanumerics
const HMAC_KEY = 'zWq3bQ9Kf1sVx7LpTn2Rd8GmYc4HjA6E';

const keys: Record<string, string> = {};
beforeAll(() => {
  keys.ecPkcs8 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  keys.ecSec1 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'sec1', format: 'pem' }).toString();
  keys.rsaPkcs1 = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
});

/** Logs one entry through the real Powertools Logger and returns its line, raw and parsed. */
function logLine(message: string, fields: Record<string, unknown>): { raw: string; line: Record<string, unknown> } {
  const lines: string[] = [];
  jsonLogger((line) => lines.push(line)).info(message, fields);
  expect(lines).toHaveLength(1);
  return { raw: lines[0]!, line: JSON.parse(lines[0]!) as Record<string, unknown> };
}

const needlesOf = (pem: string) => keyNeedles('key', pem);

describe('RedactingLogFormatter', () => {
  it.each(['ecPkcs8', 'ecSec1', 'rsaPkcs1'])('a %s private key PEM is redacted from the message, attributes, nested objects and errors', (kind) => {
    const pem = keys[kind]!;
    const { raw, line } = logLine(`stored ${pem}`, {
      privateKey: pem,
      nested: { material: { pem: `leading text ${pem.trim()} trailing text` }, list: [pem] },
      failure: new Error(`could not parse ${pem}`),
    });
    expect(scanForSecrets({ line: raw }, needlesOf(pem))).toEqual([]);
    expect(line.message).toBe(`stored ${REDACTED_KEY}\n`);
    expect(line.privateKey).toBe(REDACTED);
    expect(line.nested).toEqual({ material: { pem: `leading text ${REDACTED_KEY} trailing text` }, list: [`${REDACTED_KEY}\n`] });
    expect((line.failure as { message: string }).message).toBe(`could not parse ${REDACTED_KEY}\n`);
  });

  it('a private key body without its PEM armour (long base64, on one line or wrapped) is redacted', () => {
    const pem = keys.rsaPkcs1!;
    const wrapped = pem.replace(/-----[A-Z ]+-----/g, '').trim();
    const body = wrapped.replace(/\s+/g, '');
    const { raw, line } = logLine('leak', { body, wrapped, inText: `key=${body};` });
    expect(scanForSecrets({ line: raw }, needlesOf(pem))).toEqual([]);
    expect(line).toMatchObject({ body: REDACTED_BASE64, wrapped: REDACTED_BASE64, inText: `key=${REDACTED_BASE64};` });
  });

  it('an AWS Private CA certificate ARN stays readable; a long hex run (a key in hex) does not', () => {
    const certificateRef = 'arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/11223344-1234-1122-2233-112233445566/certificate/6707447683a9b7f4055627ffd55cebcc';
    const hexKey = Buffer.from(keys.ecPkcs8!.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64').toString('hex');
    const { line } = logLine('private certificate requested', { certificateRef, hexKey });
    expect(line).toMatchObject({ certificateRef, hexKey: REDACTED_BASE64 });
  });

  it('a truncated PEM (no END line) is cut to the end of the text', () => {
    const pem = keys.ecPkcs8!;
    expect(redact(`before ${pem.slice(0, 80)}`)).toBe(`before ${REDACTED_KEY}`);
  });

  it('keystore passwords and keys named as secrets are redacted, whatever their value looks like', () => {
    const { raw, line } = logLine('keystore written', {
      certificateId: 'broker-eu1',
      password: PASSWORD,
      keystorePassword: PASSWORD,
      keystore: { storePassword: PASSWORD, key_password: PASSWORD, passphrase: PASSWORD },
      externalAccountBinding: { kid: 'kid-1', hmacKey: HMAC_KEY },
      secret: PASSWORD,
    });
    expect(raw).not.toContain(PASSWORD);
    expect(raw).not.toContain(HMAC_KEY);
    expect(line).toMatchObject({
      certificateId: 'broker-eu1',
      password: REDACTED,
      keystorePassword: REDACTED,
      keystore: { storePassword: REDACTED, key_password: REDACTED, passphrase: REDACTED },
      externalAccountBinding: { kid: 'kid-1', hmacKey: REDACTED },
      secret: REDACTED,
    });
  });

  it.each([
    ['passwordSecretRef', 'certflow/broker-eu1/keystore-password'],
    ['secretArn', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:certflow/broker-eu1-AbCdEf'],
    ['rotatePassword', true],
    ['names', ['broker.certflow.test', '*.broker.certflow.test']],
    ['fingerprintSha256', 'a3f1c9e2b7d4058a6e1f3c2b9d8e7a6f5c4b3a2918d7e6f5a4b3c2d1e0f9a8b7'],
    ['txtValue', 'LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0'],
    ['orderUrl', 'https://127.0.0.1:14000/my-order/sKqA9p1nTfYQ0dtbW0wX1c8bG6pPq2B3kQ9lZrYcA7s'],
    ['ariCertId', 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE'],
    ['path', '/tmp/certflow-e2e-AbC123/archive/broker-eu1/1/keystore-with-a-rather-long-name/and/more/levels/of/directories/privkey.pem'],
  ])('%s stays readable', (key, value) => {
    expect(logLine('kept', { [key]: value }).line[key]).toEqual(value);
  });

  it.each([
    ['password', true],
    ['keystorePassword', true],
    ['KEYSTORE_PASSWORD', true],
    ['hmacKey', true],
    ['privateKeyPem', true],
    ['keyPem', true],
    ['secretAccessKey', true],
    ['passwordSecretRef', false],
    ['keystorePasswordFile', false],
    ['secretArn', false],
    ['secretPrefix', false],
    ['keyType', false],
    ['keyAuthorization', false],
  ])('isSecretKey(%s) = %s', (key, secret) => {
    expect(isSecretKey(key)).toBe(secret);
  });
});
