/**
 * The real synthesized RenewCertificate state machine against a real Pebble, our DNS server
 * and the file store. Pebble's bad-nonce injection stays at its default (5 %).
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerChallenges } from '../../lambdas/handlers/answer-challenges';
import { checkCertificate } from '../../lambdas/handlers/check-certificate';
import { checkOrder } from '../../lambdas/handlers/check-order';
import { cleanupChallenges } from '../../lambdas/handlers/cleanup-challenges';
import { createOrder } from '../../lambdas/handlers/create-order';
import { finalizeOrder } from '../../lambdas/handlers/finalize-order';
import { packageAndStore } from '../../lambdas/handlers/package-and-store';
import { presentChallenges } from '../../lambdas/handlers/present-challenges';
import { validateRequest } from '../../lambdas/handlers/validate-request';
import { synthesizeDefinitions, type LocalDefinitions } from '../../local/definition';
import { detailErrors } from '../support/schemas';
import { opensslVerify, run, startTestPipeline, type TestPipeline } from '../support/local-pipeline';

let pipeline: TestPipeline;

let definitions: LocalDefinitions;

beforeAll(async () => {
  definitions = synthesizeDefinitions();
  // Authorization reuse always on: a repeat order for validated names needs no challenge.
  // Bad-nonce injection stays at Pebble's default (5 %).
  pipeline = await startTestPipeline({ definitions, pebble: { env: { PEBBLE_AUTHZREUSE: '100' } } });
});
afterAll(async () => pipeline?.dispose());

const namesFor = (label: string) => [`${label}.certflow.test`, `*.${label}.certflow.test`, `${label}.example.test`];

describe.each([
  ['ec-p256', 'id-ecPublicKey', 'prime256v1'],
  ['ec-p384', 'id-ecPublicKey', 'secp384r1'],
  ['rsa-2048', 'rsaEncryption', '2048 bit'],
])('issuance with %s', (keyType, algorithm, detail) => {
  it('issues apex + wildcard + a name in a second zone, verified by openssl against Pebble\'s root', async () => {
    const certificateId = `e2e-${keyType}`;
    const NAMES = namesFor(keyType);
    const result = await pipeline.executor.run({ certificateId, names: NAMES, keyType });
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');

    const live = path.join(pipeline.root, 'live', certificateId);
    const [leafPem, chainPem, keyPem] = await Promise.all(
      ['cert.pem', 'chain.pem', 'privkey.pem'].map((file) => fs.readFile(path.join(live, file), 'utf8')),
    );
    const rootPem = await pipeline.pebble.rootPem();
    expect(await opensslVerify(pipeline.root, leafPem!, chainPem!, rootPem)).toBe('v-leaf.pem: OK');

    const leaf = new X509Certificate(leafPem!);
    expect(leaf.subjectAltName!.split(', ').sort()).toEqual(NAMES.map((name) => `DNS:${name}`).sort());
    const { stdout } = await run('openssl', ['x509', '-in', path.join(live, 'cert.pem'), '-noout', '-text']);
    expect(stdout).toContain(`Public Key Algorithm: ${algorithm}`);
    expect(stdout).toContain(detail);
    const { stdout: modulus } = await run('openssl', ['pkey', '-in', path.join(live, 'privkey.pem'), '-pubout']);
    expect(modulus).toBe(leaf.publicKey.export({ type: 'spki', format: 'pem' }));
    expect(keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);

    expect(result.output).toMatchObject({ certificateId, version: '1', metadata: { serialNumber: leaf.serialNumber.toLowerCase() } });
    expect(pipeline.dnsServer.data.names()).toEqual([]); // TXT records cleaned up
    const events = (await pipeline.events.read()).filter((event) => event.detail.certificateId === certificateId);
    expect(events.map((event) => event['detail-type'])).toEqual(['Certificate Renewed']);
    expect(events[0]!.detail).toMatchObject({ serialNumber: leaf.serialNumber.toLowerCase(), names: NAMES, executionId: result.executionId });
    expect(detailErrors(events[0]!['detail-type'], events[0]!.detail)).toEqual([]);
  });
});

describe('renewal', () => {
  it('a second issuance becomes version 2 with a new key; version 1 stays in the archive', async () => {
    const certificateId = 'e2e-renew';
    const names = ['renew.example.test'];
    expect((await pipeline.executor.run({ certificateId, names })).status).toBe('SUCCEEDED');
    expect((await pipeline.executor.run({ certificateId, names })).status).toBe('SUCCEEDED');
    const archive = path.join(pipeline.root, 'archive', certificateId);
    const [key1, key2] = await Promise.all(['1', '2'].map((v) => fs.readFile(path.join(archive, v, 'privkey.pem'), 'utf8')));
    expect(key1).not.toBe(key2);
    expect(await fs.readlink(path.join(pipeline.root, 'live', certificateId))).toBe(path.join('..', 'archive', certificateId, '2'));
  });

  it('skips authorizations the CA already holds as valid: no TXT record, no challenge', async () => {
    const names = ['reuse.certflow.test', '*.reuse.certflow.test'];
    const first = await pipeline.executor.run({ certificateId: 'e2e-reuse', names });
    const second = await pipeline.executor.run({ certificateId: 'e2e-reuse', names });
    expect([first.status, second.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    const orderOf = (result: typeof first) =>
      result.history.find((event) => event.type === 'StateExited' && event.state?.name === 'CreateOrder')?.state?.output as {
        order: { records: unknown[]; challengeUrls: unknown[] };
      };
    expect(orderOf(first).order.records).toHaveLength(2);
    expect(orderOf(second).order).toMatchObject({ records: [], challengeUrls: [] });
  });
});

describe('a bad-nonce storm (Pebble rejects 60 % of nonces)', () => {
  it('still issues: acme-client refreshes nonces, the state machine retries AcmeBadNonce', async () => {
    const stormy = await startTestPipeline({ definitions, pebble: { env: { PEBBLE_WFE_NONCEREJECT: '60' } } });
    try {
      const results = [];
      for (let i = 0; i < 6; i += 1) {
        results.push(await stormy.executor.run({ certificateId: `storm-${i}`, names: [`storm${i}.certflow.test`, `*.storm${i}.certflow.test`] }));
      }
      expect(results.map((result) => result.status)).toEqual(Array(6).fill('SUCCEEDED'));
      const failures = results.flatMap((result) => result.history.filter((event) => event.type === 'StateFailed').map((event) => event.Error));
      expect(new Set(failures).size <= 1 && failures.every((error) => error === 'AcmeBadNonce')).toBe(true);
    } finally {
      await stormy.dispose();
    }
  });
});

describe('retried steps resume from state', () => {
  it('answering and finalizing again after they went through neither fails nor makes a new key; a mismatched chain is not stored', async () => {
    const { deps } = pipeline;
    const request = await validateRequest({ request: { certificateId: 'e2e-retry', names: ['retry.certflow.test'] } }, deps);
    const executionId = 'arn:aws:states:eu-west-1:000000000000:execution:RenewCertificate:e2e-retry';
    const order = await createOrder({ request, executionId }, deps);
    await presentChallenges({ records: order.records }, deps);
    await answerChallenges({ request, order }, deps);
    let validation = await checkOrder({ request, order, validation: { status: 'pending', done: false, attempts: 0 } }, deps);
    while (!validation.done) validation = await checkOrder({ request, order, validation }, deps);
    // The state machine retries a step whose Lambda died after the CA acted: same input again.
    await expect(answerChallenges({ request, order }, deps)).resolves.toMatchObject({ status: 'pending' });

    const first = await finalizeOrder({ request, order, validation }, deps);
    const again = await finalizeOrder({ request, order, validation }, deps);
    expect(again.pending).toEqual(first.pending);
    expect(['processing', 'valid']).toContain(again.status);

    let issuance = await checkCertificate({ request, order, issuance: again }, deps);
    while (!issuance.done) issuance = await checkCertificate({ request, order, issuance }, deps);
    // Verified before storing: a chain that does not match the request stores nothing.
    const mismatched = { ...request, names: [...request.names, 'extra.certflow.test'] };
    await expect(packageAndStore({ request: mismatched, order, issuance }, deps)).rejects.toMatchObject({
      name: 'CertificateVerificationFailed',
      message: 'leaf does not cover requested name(s): extra.certflow.test',
    });
    expect(await pipeline.store.current('e2e-retry')).toBeUndefined();
    const stored = await packageAndStore({ request, order, issuance }, deps);
    expect(stored).toMatchObject({ certificateId: 'e2e-retry', version: '1' });
    expect(await packageAndStore({ request, order, issuance }, deps), 'a retried PackageAndStore stores nothing again').toEqual(stored);
    await cleanupChallenges({ records: order.records, certificateId: request.certificateId, executionId, pending: issuance.pending }, deps);
    expect(await fs.readdir(path.join(pipeline.root, 'pending'))).toEqual([]);
  });
});
