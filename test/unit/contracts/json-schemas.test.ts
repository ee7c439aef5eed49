/** schemas/*.json are generated from the zod contracts: committed files must be current, and ajv must agree with zod. */
import { readdirSync, readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { jsonSchemaText, PUBLISHED_SCHEMAS } from '../../../domain/contracts/json-schemas';
import { CertificateRenewedSchema } from '../../../domain/contracts/events';
import { RenewCertificateInputSchema } from '../../../domain/contracts/request';

const SCHEMAS_DIR = new URL('../../../schemas/', import.meta.url);
const committed = (file: string) => readFileSync(new URL(file, SCHEMAS_DIR), 'utf8');
const FILES = Object.keys(PUBLISHED_SCHEMAS);

describe('schemas/*.json', () => {
  it.each(FILES)('%s is what the zod contract generates (run `npm run schemas` and commit)', (file) => {
    expect(committed(file)).toBe(jsonSchemaText(file));
  });

  it('holds only generated files', () => {
    expect(readdirSync(SCHEMAS_DIR).filter((file) => file.endsWith('.json')).sort()).toEqual([...FILES].sort());
  });

  it.each(FILES)('%s compiles as JSON Schema 2020-12 in strict mode, with its $id and title', (file) => {
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    addFormats.default(ajv);
    const schema = JSON.parse(committed(file)) as Record<string, unknown>;
    expect(() => ajv.compile(schema)).not.toThrow();
    expect(schema).toMatchObject({ $schema: 'https://json-schema.org/draft/2020-12/schema', $id: `https://certflow.dev/schemas/${file}`, title: expect.any(String) });
  });
});

describe('zod and the published JSON Schema agree', () => {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats.default(ajv);
  const validate = ajv.compile(JSON.parse(committed('certificate-renewed.schema.json')) as object);
  const renewed = {
    certificateId: 'broker',
    version: '6f1c1b2a-0000-4000-8000-000000000001',
    location: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:certflow/certificates/broker-AbCdEf',
    names: ['mq.example.com'],
    serialNumber: '04a1b2',
    notBefore: '2026-11-23T10:00:00.000Z',
    notAfter: '2027-02-21T10:00:00.000Z',
    fingerprintSha256: 'ab'.repeat(32),
    keyType: 'ec-p256',
    formats: ['pem', 'jks'],
    executionId: 'arn:aws:states:eu-west-1:111122223333:execution:certflow-RenewCertificate:manual-1',
  };

  it.each<[string, Record<string, unknown>, boolean]>([
    ['a published detail', renewed, true],
    ['a bad id', { ...renewed, certificateId: '../etc' }, false],
    ['an empty name list', { ...renewed, names: [] }, false],
    ['an upper-case serial', { ...renewed, serialNumber: '04A1' }, false],
    ['a date that is not one', { ...renewed, notAfter: 'tomorrow' }, false],
    ['a short fingerprint', { ...renewed, fingerprintSha256: 'abcd' }, false],
    ['an unknown key type', { ...renewed, keyType: 'dsa-1024' }, false],
    ['an unknown format', { ...renewed, formats: ['pfx'] }, false],
    ['a missing execution id', (({ executionId: _e, ...rest }) => rest)(renewed), false],
  ])('on %s', (_case, detail, valid) => {
    expect(CertificateRenewedSchema.safeParse(detail).success).toBe(valid);
    expect(validate(detail)).toBe(valid);
  });
});

describe('the RenewCertificate input schema', () => {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats.default(ajv);
  const validate = ajv.compile(JSON.parse(committed('renew-certificate-input.schema.json')) as object);
  const readme = {
    certificateId: 'broker-eu1',
    names: ['mq.example.com', '*.mq.example.com', 'mq.corp.example.net'],
    keyType: 'ec-p256',
    directoryUrl: 'https://acme-staging-v02.api.letsencrypt.org/directory',
    contact: ['mailto:ops@example.com'],
    externalAccountBinding: { secretRef: 'certflow/eab/my-ca' },
  };

  it.each<[string, unknown, boolean]>([
    ['the docs/reference/request-input.md example (test/unit/docs/examples.test.ts validates the page itself)', readme, true],
    ['a scan item (keystore, replaces, started by the scan)', {
      certificateId: 'broker', names: ['mq.example.com'], keyType: 'rsa-2048',
      keystore: { alias: 'MQ-Broker', profile: 'modern', passwordSecretRef: 'certflow/mq/password' },
      replaces: 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE', AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: 'arn:aws:states:eu-west-1:111122223333:execution:scan:1',
    }, true],
    ['a declared id alone (names from the declaration)', { certificateId: 'broker-eu1' }, true],
    ['an unknown field', { ...readme, hmacKey: 'x' }, false],
    ['a keystore password inline', { ...readme, keystore: { password: 'hunter2' } }, false],
    ['EAB credentials inline', { ...readme, externalAccountBinding: { kid: 'k', hmacKey: 's' } }, false],
    ['a bad id', { ...readme, certificateId: '../etc' }, false],
    ['no names', { ...readme, names: [] }, false],
    ['a contact that is not mailto:', { ...readme, contact: ['ops@example.com'] }, false],
  ])('zod and ajv agree on %s', (_case, input, valid) => {
    expect(RenewCertificateInputSchema.safeParse(input).success).toBe(valid);
    expect(validate(input)).toBe(valid);
  });
});
