/**
 * One list of AWS throttling errors (domain/adapters/aws/throttling.ts): every AWS adapter turns
 * each of them into its retryable error, and the state machine's transient Retry matches them for
 * calls no adapter translates. A quota (LimitExceededException) stays final.
 */
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { AcmPcaIssuer } from '../../../../domain/adapters/aws/private-ca';
import { Route53DnsProvider } from '../../../../domain/adapters/aws/route53-dns';
import { SecretsManagerCertificateStore } from '../../../../domain/adapters/aws/secrets-store';
import { AWS_THROTTLING_ERRORS, isThrottled } from '../../../../domain/adapters/aws/throttling';
import { TRANSIENT_RETRY } from '../../../../infra/renew-state-machine';

const CA = 'arn:aws:acm-pca:eu-west-1:111111111111:certificate-authority/11111111-2222-3333-4444-555555555555';
/** What the SDK throws for an error answer: the error's name, and the HTTP status in $metadata. */
const awsError = (name: string, httpStatusCode = 400) => Object.assign(new Error(`${name}: Rate exceeded`), { name, $metadata: { httpStatusCode } });
/** A client whose every call fails with `error` (only the error's classification is under test here). */
const failing = (error: Error) => ({ send: () => Promise.reject(error) });

const ADAPTERS: [string, (error: Error) => Promise<unknown>, string, string][] = [
  [
    'Route 53',
    (error) =>
      new Route53DnsProvider(failing(error) as unknown as Route53Client, { zones: [{ name: 'example.com', id: 'Z1' }], authoritativeCheck: async () => true }).present([
        { name: '_acme-challenge.example.com', value: 'v' },
      ]),
    'DnsThrottled',
    'DnsChangeRejected',
  ],
  ['Secrets Manager', (error) => new SecretsManagerCertificateStore(failing(error) as unknown as SecretsManagerClient, { prefix: 'certflow/', kmsKeyId: 'k' }).current('broker'), 'StoreUnavailable', 'StoreRejected'],
  ['AWS Private CA', (error) => new AcmPcaIssuer(failing(error), { certificateAuthorityArn: CA }).fetch(`${CA}/certificate/0a`), 'PrivateCaUnavailable', 'PrivateCaRejected'],
];

describe.each(ADAPTERS)('%s', (_adapter, call, retryable, final) => {
  it.each(AWS_THROTTLING_ERRORS)(`%s → ${retryable}`, async (name) => {
    await expect(call(awsError(name))).rejects.toMatchObject({ name: retryable, retryable: true });
  });

  it(`HTTP 429 under any name → ${retryable}`, async () => {
    await expect(call(awsError('SomethingNew', 429))).rejects.toMatchObject({ name: retryable });
  });

  it(`a quota (LimitExceededException) → ${final}`, async () => {
    await expect(call(awsError('LimitExceededException'))).rejects.toMatchObject({ name: final, retryable: false });
  });
});

describe('the list', () => {
  it('is what isThrottled reads', () => {
    expect(AWS_THROTTLING_ERRORS.filter((name) => !isThrottled(awsError(name)))).toEqual([]);
    expect(isThrottled(awsError('AccessDeniedException'))).toBe(false);
    expect(isThrottled(undefined)).toBe(false);
  });

  it("is matched by the state machine's transient Retry (a throttled call no adapter translates)", () => {
    expect(AWS_THROTTLING_ERRORS.filter((name) => !TRANSIENT_RETRY.errors.includes(name))).toEqual([]);
  });
});
