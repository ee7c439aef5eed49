/** The EAB credentials a registration reads: a malformed secret is refused without repeating its bytes. */
import { describe, expect, it } from 'vitest';
import { registeredClient } from '../../../lambdas/acme/account';
import type { StepDeps } from '../../../lambdas/deps';
import { InvalidCertificateRequest } from '../../../domain/core/errors';
import { validateCertificateRequest } from '../../../domain/core/request';

const request = validateCertificateRequest(
  { certificateId: 'eab-1', names: ['a.example.com'], directoryUrl: 'https://acme.invalid/dir', externalAccountBinding: { secretRef: 'certflow/eab/test-ca' } },
  { zones: [{ name: 'example.com' }], defaultDirectoryUrl: 'https://acme.invalid/dir', defaultContact: [], secretPrefix: 'certflow/' },
);

function depsWithSecret(secret: string) {
  return {
    settings: {},
    log: { info() {}, warn() {}, error() {}, debug() {} },
    now: () => new Date(),
    store: {
      account: async () => ({ keyPem: 'unused' }),
      saveAccountUrl: async () => {},
      readSecret: async () => secret,
    },
  } as unknown as StepDeps<{ store: 'account' | 'saveAccountUrl' | 'readSecret' }>;
}

describe('EAB credentials', () => {
  it.each([
    ['not JSON at all', 'hmacKey=S3CRETbytesS3CRET'],
    ['truncated JSON', '{"kid":"kid-1","hmacKey":"S3CRETbytesS3CRET"'],
    ['JSON with a stray byte', '{"kid":"kid-1","hmacKey":"S3CRETbytesS3CRET"}x'],
  ])('%s → InvalidCertificateRequest that repeats no byte of the secret', async (_case, secret) => {
    const error = await registeredClient(request, depsWithSecret(secret)).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(InvalidCertificateRequest);
    const { message, stack = '' } = error as Error;
    expect(message).toMatch(/^externalAccountBinding: the referenced secret is not valid JSON/);
    for (const text of [message, stack, JSON.stringify(error)]) {
      expect(text).not.toMatch(/S3CRET|hmacKey=|kid-1/);
    }
    expect((error as Error & { cause?: unknown }).cause).toBeUndefined();
  });
});
