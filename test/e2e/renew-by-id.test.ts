/**
 * A manual execution by id (issue #11 point 2) on the local default: the synthesized
 * RenewCertificate state machine, started with `{"certificateId"}` alone, issues the declared
 * names with the declared options; an undeclared id without names, and names that disagree with
 * the declaration, fail as InvalidCertificateRequest before any order is placed.
 */
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPipeline, type TestPipeline } from '../support/local-pipeline';

let pipeline: TestPipeline;

const DECLARED = [{ id: 'broker-eu1', names: ['mq.certflow.test', '*.mq.certflow.test'], keyType: 'ec-p384' as const, keystore: { profile: 'modern' as const, alias: 'MQ' } }];

beforeAll(async () => {
  pipeline = await startTestPipeline({ certificates: DECLARED });
});
afterAll(async () => pipeline?.dispose());

describe('RenewCertificate started with {certificateId} alone', () => {
  it('issues the declared names with the declared key type and keystore options', async () => {
    const result = await pipeline.executor.run({ certificateId: 'broker-eu1' });
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    const current = await pipeline.store.current('broker-eu1');
    expect(current?.metadata).toMatchObject({ names: ['mq.certflow.test', '*.mq.certflow.test'], keyType: 'ec-p384' });
    // What Pebble issued, read from the stored PEM: the declared names as SANs, a P-384 key.
    const leaf = new X509Certificate(await fs.readFile(path.join(current!.location, 'cert.pem'), 'utf8'));
    expect(leaf.subjectAltName?.split(', ').sort()).toEqual(['DNS:*.mq.certflow.test', 'DNS:mq.certflow.test']);
    expect(leaf.publicKey.asymmetricKeyDetails?.namedCurve).toBe('secp384r1');
    // The validated request in the execution's log line carries what was filled in.
    const valid = pipeline.logs.find((line) => line.includes('"request valid"') && line.includes('broker-eu1'));
    expect(valid).toContain('"keyType":"ec-p384"');
  }, 120_000);

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['an undeclared id without names', { certificateId: 'nowhere' }, /names: required, as 'nowhere' is not a declared certificate \(declared in certflow\.config\.ts: broker-eu1\)/],
    ['names that disagree with the declaration', { certificateId: 'broker-eu1', names: ['mq.certflow.test'] }, /names: 'mq\.certflow\.test' differs from the declaration of 'broker-eu1'/],
    ['another key type than declared', { certificateId: 'broker-eu1', keyType: 'rsa-2048' }, /keyType: 'rsa-2048' differs from the declaration of 'broker-eu1' \('ec-p384'\)/],
  ])('refuses %s as InvalidCertificateRequest, with no order placed', async (_case, input, cause) => {
    const ordersCreated = () => pipeline.logs.filter((line) => line.includes('"order created"')).length;
    const before = ordersCreated();
    const result = await pipeline.executor.run(input);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InvalidCertificateRequest');
    expect(result.cause).toMatch(cause);
    expect(ordersCreated()).toBe(before);
  }, 60_000);
});
