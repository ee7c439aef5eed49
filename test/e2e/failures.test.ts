/**
 * Failure paths through the real state machine: every one cleans up its TXT records, leaves
 * the previous certificate current, publishes "Certificate Renewal Failed" and fails with a
 * named error. Pebble never reuses authorizations here, so every order must validate.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as acme from 'acme-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DnsThrottled } from '../../domain/core/errors';
import type { DnsChallengeProvider } from '../../domain/ports';
import type { ExecutionResult } from '../../local/runner';
import { detailErrors } from '../support/schemas';
import { startTestPipeline, type TestPipeline } from '../support/local-pipeline';

const faults = { corruptTxt: false, neverInSync: false, throttleOnce: false };
const dnsCalls: string[] = [];
let acmeRequests = 0;
let pipeline: TestPipeline;

const corrupt = (records: Parameters<DnsChallengeProvider['present']>[0]) =>
  faults.corruptTxt ? records.map((record) => ({ ...record, value: `${record.value.slice(0, -4)}AAAA` })) : records;

beforeAll(async () => {
  pipeline = await startTestPipeline({
    pebble: { env: { PEBBLE_AUTHZREUSE: '0' } },
    wrapDns: (inner): DnsChallengeProvider => ({
      async present(records) {
        dnsCalls.push('present');
        if (faults.throttleOnce) {
          faults.throttleOnce = false;
          throw new DnsThrottled('Rate exceeded');
        }
        return inner.present(corrupt(records));
      },
      async isInSync(changes, records) {
        dnsCalls.push('isInSync');
        return faults.neverInSync ? false : inner.isInSync(changes, records);
      },
      async cleanup(records) {
        dnsCalls.push('cleanup');
        return inner.cleanup(corrupt(records));
      },
    }),
  });
  acme.axios.interceptors.request.use((config) => {
    acmeRequests += 1;
    return config;
  });
});
afterAll(async () => pipeline?.dispose());

async function failedEventsFor(certificateId: string) {
  return (await pipeline.events.read()).filter(
    (event) => event.detail.certificateId === certificateId && event['detail-type'] === 'Certificate Renewal Failed',
  );
}

function visited(result: ExecutionResult): string[] {
  return result.history.filter((event) => event.type === 'StateEntered').map((event) => event.state!.name);
}

async function withFault<T>(fault: keyof typeof faults, run: () => Promise<T>): Promise<T> {
  faults[fault] = true;
  try {
    return await run();
  } finally {
    faults[fault] = false;
  }
}

describe('a failed validation (wrong TXT value)', () => {
  it('publishes the failure, removes its TXT records and leaves the previous certificate current', async () => {
    const certificateId = 'fail-validation';
    const names = ['broker.certflow.test', '*.broker.certflow.test'];
    expect((await pipeline.executor.run({ certificateId, names })).status).toBe('SUCCEEDED');
    const before = await fs.readFile(path.join(pipeline.root, 'live', certificateId, 'cert.pem'), 'utf8');

    const result = await withFault('corruptTxt', () => pipeline.executor.run({ certificateId, names }));
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('OrderInvalid');
    expect(result.cause).toMatch(/broker\.certflow\.test: urn:ietf:params:acme:error:unauthorized: Correct value not found for DNS challenge/);

    const failed = await failedEventsFor(certificateId);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.detail).toMatchObject({ step: 'CheckOrder', error: 'OrderInvalid', executionId: result.executionId, currentVersion: '1' });
    expect((failed[0]!.detail as { message: string }).message).toMatch(/Correct value not found/);
    expect(detailErrors('Certificate Renewal Failed', failed[0]!.detail)).toEqual([]);

    expect(pipeline.dnsServer.data.names()).toEqual([]);
    expect(await fs.readFile(path.join(pipeline.root, 'live', certificateId, 'cert.pem'), 'utf8')).toBe(before);
    expect((await pipeline.store.current(certificateId))?.version).toBe('1');
    expect(visited(result).slice(-4)).toEqual(['CheckOrder failed', 'CleanupAfterFailure', 'PublishFailed', 'RenewalFailed']);
  });
});

describe('a DNS change that never syncs', () => {
  it('gives up after the bounded loop with DnsSyncTimeout and cleans up', async () => {
    const certificateId = 'fail-dns-sync';
    const result = await withFault('neverInSync', () => pipeline.executor.run({ certificateId, names: ['slow.example.test'] }));
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('DnsSyncTimeout');
    expect(result.cause).toMatch(/DnsInSync: not done after 30 checks, 10s apart/);
    expect(visited(result).filter((name) => name === 'CheckDnsSync')).toHaveLength(30);
    expect(pipeline.dnsServer.data.names()).toEqual([]);
    expect((await failedEventsFor(certificateId))[0]!.detail).toMatchObject({ step: 'CheckDnsSync', error: 'DnsSyncTimeout' });
    expect(await pipeline.store.current(certificateId)).toBeUndefined();
  });
});

describe('a retryable error', () => {
  it('is retried by the state machine (DnsThrottled on present) and the renewal succeeds', async () => {
    const result = await withFault('throttleOnce', () => pipeline.executor.run({ certificateId: 'retry-throttle', names: ['throttle.example.test'] }));
    expect(result.status).toBe('SUCCEEDED');
    const retried = result.history.filter((event) => event.type === 'StateRetried').map((event) => event.state!.name);
    expect(retried).toEqual(['PresentChallenges']);
  });
});

describe('bad requests', () => {
  it.each([
    ['empty names', { certificateId: 'bad-1', names: [] }, /^names: at least one name is required$/],
    ['invalid characters', { certificateId: 'bad-2', names: ['bad_name.certflow.test'] }, /names\[0\]: 'bad_name\.certflow\.test' has invalid label 'bad_name'/],
    ['label too long', { certificateId: 'bad-3', names: [`${'x'.repeat(64)}.certflow.test`] }, /of 64 characters \(at most 63\)/],
    ['wildcard not leftmost', { certificateId: 'bad-4', names: ['a.*.certflow.test'] }, /wildcard that is not the whole leftmost label/],
    ['more than 100 names', { certificateId: 'bad-5', names: Array.from({ length: 101 }, (_, i) => `h${i}.certflow.test`) }, /101 names given, at most 100/],
    ['duplicates after normalization', { certificateId: 'bad-6', names: ['a.certflow.test', 'A.CERTFLOW.TEST.'] }, /names\[1\]: 'A\.CERTFLOW\.TEST\.' duplicates names\[0\]/],
    ['outside every zone', { certificateId: 'bad-7', names: ['www.example.org'] }, /'www\.example\.org' is outside every configured hosted zone \(zones: certflow\.test, example\.test\)/],
    ['unknown key type', { certificateId: 'bad-8', names: ['a.certflow.test'], keyType: 'ed448' }, /^keyType: unknown key type 'ed448'/],
    ['malformed directory URL', { certificateId: 'bad-9', names: ['a.certflow.test'], directoryUrl: 'ftp//nope' }, /^directoryUrl: 'ftp\/\/nope' is not a valid URL$/],
    ['an IP address', { certificateId: 'bad-10', names: ['192.0.2.1'] }, /^names\[0\]: '192\.0\.2\.1' is an IP address: DNS-01 cannot validate IP addresses$/],
    ['the Kelvin sign', { certificateId: 'bad-11', names: ['\u212aa.certflow.test'] }, /^names\[0\]: .* \(U\+212A is not ASCII; give internationalised names as A-labels/],
    ['a trailing newline', { certificateId: 'bad-12', names: ['a.certflow.test\n'] }, /^names\[0\]: 'a\.certflow\.test\\u000a' has leading or trailing whitespace$/],
    [
      'a password secret outside the stack prefix',
      { certificateId: 'bad-13', names: ['a.certflow.test'], keystore: { passwordSecretRef: '../../x' } },
      /^keystore\.passwordSecretRef: '\.\.\/\.\.\/x' must be a secret under certflow\/passwords\/$/,
    ],
    [
      'a directory outside the allowed ones',
      { certificateId: 'bad-14', names: ['a.certflow.test'], directoryUrl: 'https://acme-v02.api.letsencrypt.org/directory' },
      /^directoryUrl: 'https:\/\/acme-v02\.api\.letsencrypt\.org\/directory' is not an allowed ACME directory \(allowed: https:\/\/localhost:\d+\/dir\)$/,
    ],
  ])('%s → InvalidCertificateRequest from the first state, no ACME or DNS traffic', async (_case, input, message) => {
    const [dnsBefore, acmeBefore] = [dnsCalls.length, acmeRequests];
    const result = await pipeline.executor.run(input);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InvalidCertificateRequest');
    expect(JSON.parse(result.cause!).errorMessage).toMatch(message);
    expect(visited(result)).toEqual(['ValidateRequest', 'ValidateRequest failed', 'PublishFailed', 'RenewalFailed']);
    expect([dnsCalls.length, acmeRequests]).toEqual([dnsBefore, acmeBefore]);
    const failed = await failedEventsFor(input.certificateId);
    expect(failed[0]!.detail).toMatchObject({ step: 'ValidateRequest', error: 'InvalidCertificateRequest' });
    expect(detailErrors('Certificate Renewal Failed', failed[0]!.detail)).toEqual([]);
  });
});
