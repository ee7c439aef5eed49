/** A manual execution by id (issue #11 point 2): the declaration completes the request, and a given field must agree with it. */
import { describe, expect, it } from 'vitest';
import { InvalidCertificateRequest } from '../../../domain/core/errors';
import { validateCertificateRequest, type RequestPolicy } from '../../../domain/core/request';

const policy: RequestPolicy = {
  zones: [{ name: 'example.com' }],
  defaultDirectoryUrl: 'https://acme.example/dir',
  defaultContact: ['mailto:ops@example.com'],
  secretPrefix: 'certflow/',
  certificates: [
    { id: 'broker-eu1', names: ['mq.example.com', '*.mq.example.com'], keystore: { profile: 'modern', alias: 'MQ' } },
    { id: 'api', names: ['API.example.com.'], keyType: 'rsa-2048', keystore: { passwordSecretRef: 'certflow/passwords/api' } },
    { id: 'plain', names: ['plain.example.com'] },
    { id: 'client', names: ['client.example.com'], usages: ['serverAuth', 'clientAuth'], preferredChain: 'ISRG Root X1' },
  ],
};

describe('a request by a declared id', () => {
  it('takes names, key type and keystore options from the declaration', () => {
    expect(validateCertificateRequest({ certificateId: 'broker-eu1' }, policy)).toEqual({
      certificateId: 'broker-eu1',
      names: ['mq.example.com', '*.mq.example.com'],
      keyType: 'ec-p256',
      directoryUrl: 'https://acme.example/dir',
      contact: ['mailto:ops@example.com'],
      keystore: { alias: 'mq', profile: 'modern', rotatePassword: false },
      usages: ['serverAuth'],
    });
    expect(validateCertificateRequest({ certificateId: 'client' }, policy)).toMatchObject({ usages: ['serverAuth', 'clientAuth'], preferredChain: 'ISRG Root X1' });
    expect(validateCertificateRequest({ certificateId: 'client', usages: ['clientAuth', 'serverAuth'], preferredChain: 'ISRG Root X1' }, policy)).toMatchObject({
      usages: ['serverAuth', 'clientAuth'],
    });
    const api = validateCertificateRequest({ certificateId: 'api' }, policy);
    expect(api).toMatchObject({ names: ['api.example.com'], keyType: 'rsa-2048', keystore: { alias: 'api', profile: 'legacy', passwordSecretRef: 'certflow/passwords/api' } });
    expect(validateCertificateRequest({ certificateId: 'plain' }, policy).keystore).toEqual({ alias: 'plain', profile: 'legacy', rotatePassword: false });
  });

  it.each<[string, Record<string, unknown>]>([
    ['the same names in another order, case and trailing dot', { names: ['*.MQ.example.com', 'mq.example.com.'] }],
    ['the declared key type', { keyType: 'ec-p256' }],
    ['the declared keystore options (alias in any case)', { keystore: { alias: 'mq', profile: 'modern' } }],
    ['a password rotation (not part of a declaration)', { keystore: { rotatePassword: true } }],
    ['what a declaration does not hold', { contact: ['mailto:me@example.com'], replaces: 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE' }],
  ])('accepts explicit fields that agree: %s', (_case, fields) => {
    const request = validateCertificateRequest({ certificateId: 'broker-eu1', ...fields }, policy);
    expect(new Set(request.names)).toEqual(new Set(['mq.example.com', '*.mq.example.com']));
    expect(request.keystore).toMatchObject({ alias: 'mq', profile: 'modern' });
    if ('keystore' in fields && (fields.keystore as { rotatePassword?: boolean }).rotatePassword) expect(request.keystore.rotatePassword).toBe(true);
    if ('replaces' in fields) expect(request.replaces).toBe(fields.replaces);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['a name fewer', { certificateId: 'broker-eu1', names: ['mq.example.com'] }, /^names: 'mq\.example\.com' differs from the declaration of 'broker-eu1' \('mq\.example\.com, \*\.mq\.example\.com'\): the next scan would reissue/],
    ['a name more', { certificateId: 'plain', names: ['plain.example.com', 'other.example.com'] }, /^names: .* differs from the declaration of 'plain'/],
    ['another key type', { certificateId: 'api', keyType: 'ec-p384' }, /^keyType: 'ec-p384' differs from the declaration of 'api' \('rsa-2048'\)/],
    ['another key type than the default', { certificateId: 'plain', keyType: 'rsa-2048' }, /^keyType: 'rsa-2048' differs from the declaration of 'plain' \('ec-p256'\)/],
    ['another alias', { certificateId: 'broker-eu1', keystore: { alias: 'other' } }, /^keystore\.alias: 'other' differs .* \('mq'\)/],
    ['another profile', { certificateId: 'broker-eu1', keystore: { profile: 'legacy' } }, /^keystore\.profile: 'legacy' differs .* \('modern'\)/],
    ['another password secret', { certificateId: 'api', keystore: { passwordSecretRef: 'certflow/passwords/x' } }, /^keystore\.passwordSecretRef: 'certflow\/passwords\/x' differs .* \('certflow\/passwords\/api'\)/],
    ['a password secret where a password is generated', { certificateId: 'plain', keystore: { passwordSecretRef: 'certflow/passwords/x' } }, /^keystore\.passwordSecretRef: .* \('\(a generated password\)'\)/],
    ['other usages', { certificateId: 'client', usages: ['serverAuth'] }, /^usages: 'serverAuth' differs from the declaration of 'client' \('serverAuth, clientAuth'\)/],
    ['clientAuth where the default is declared', { certificateId: 'plain', usages: ['clientAuth'] }, /^usages: 'clientAuth' differs .* \('serverAuth'\)/],
    ['another preferred chain', { certificateId: 'client', preferredChain: 'ISRG Root X2' }, /^preferredChain: 'ISRG Root X2' differs .* \('ISRG Root X1'\)/],
    ['a preferred chain where none is declared', { certificateId: 'plain', preferredChain: 'ISRG Root X1' }, /^preferredChain: .* \('\(the CA's default chain\)'\)/],
    ['rotating a password held in a secret', { certificateId: 'api', keystore: { rotatePassword: true } }, /^keystore\.rotatePassword: 'api' is declared with keystore\.passwordSecretRef/],
  ])('refuses explicit fields that disagree: %s', (_case, input, message) => {
    expect(() => validateCertificateRequest(input, policy)).toThrow(InvalidCertificateRequest);
    expect(() => validateCertificateRequest(input, policy)).toThrow(message);
  });
});

describe('a request by an undeclared id', () => {
  it('needs its names, and says which ids are declared', () => {
    const refusal = () => validateCertificateRequest({ certificateId: 'nowhere' }, policy);
    expect(refusal).toThrow(InvalidCertificateRequest);
    expect(refusal).toThrow(/^names: required, as 'nowhere' is not a declared certificate \(declared in certflow\.config\.ts: broker-eu1, api, plain, client\)$/);
    expect(() => validateCertificateRequest({ certificateId: 'nowhere' }, { ...policy, certificates: undefined })).toThrow(/declared in certflow\.config\.ts: none/);
  });

  it('lists ten declared ids at most', () => {
    const certificates = Array.from({ length: 25 }, (_, i) => ({ id: `c${i}`, names: [`c${i}.example.com`] }));
    expect(() => validateCertificateRequest({ certificateId: 'nowhere' }, { ...policy, certificates })).toThrow(/c0, c1, .*, c9, … \(25 in all\)\)$/);
  });

  it('is issued for the names it gives, as before', () => {
    expect(validateCertificateRequest({ certificateId: 'nowhere', names: ['n.example.com'], keyType: 'rsa-3072' }, policy)).toMatchObject({
      names: ['n.example.com'],
      keyType: 'rsa-3072',
      keystore: { alias: 'nowhere', profile: 'legacy' },
    });
  });
});
