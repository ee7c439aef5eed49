/**
 * ARI (RFC 9773) end to end against Pebble 2.10, through the synthesized ScanCertificates state
 * machine: the scan asks `renewalInfo` for every certificate (its RFC 9773 CertID), renews only
 * what the CA's window (or the lifetime rule) makes due, and the new order carries `replaces`.
 * Pebble's management `POST /set-renewal-info/` plays the CA asking for an early renewal after an
 * incident; a revoked certificate gets a past window from Pebble itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postToPebble } from '../../local/pebble';
import type { ExecutionResult } from '../../local/runner';
import { startTestPipeline, type TestPipeline } from '../support/local-pipeline';

const IDS = ['a-steady', 'b-incident', 'c-compromised', 'd-retired'];
let pipeline: TestPipeline;

beforeAll(async () => {
  pipeline = await startTestPipeline({
    certificates: IDS.map((id) => ({ id, names: [`${id}.certflow.test`] })),
    scan: { intervalHours: 3, budget: { windowHours: 3, maxOrders: 20 }, expiringDays: 7 },
  });
});
afterAll(async () => pipeline?.dispose());

const renewed = (result: ExecutionResult) => (result.output as { outcomes: { certificateId: string; status: string }[] }).outcomes.map((o) => `${o.certificateId} ${o.status}`);
const summary = (result: ExecutionResult) => (result.output as { summary: Record<string, unknown> }).summary;
/** Pebble's log lines for orders whose `replaces` named a certificate it issued (it logs the two order ids). */
const replacements = () => pipeline.pebble.output().split('\n').filter((line) => /ARI: order .* is a replacement of/.test(line));

async function scan(): Promise<ExecutionResult> {
  const result = await pipeline.scanExecutor.run({});
  expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
  return result;
}

/** The CA's answer for one certificate, replaced through Pebble's management listener. */
async function setRenewalInfo(id: string, ariResponse: string): Promise<void> {
  const issued = (await pipeline.store.issuedCertificate(id))!;
  const answer = await postToPebble(`${pipeline.pebble.managementUrl}/set-renewal-info/`, pipeline.pebble.tlsCaPem, { Certificate: issued.certificatePem, ARIResponse: ariResponse });
  expect(answer.status, answer.body).toBe(200);
}

const hoursFromNow = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString();
const ariCertId = async (id: string) => (await pipeline.store.current(id))!.metadata.ariCertId!;

describe('ARI against Pebble 2.10, through the scan', () => {
  it('issues the missing certificates, then finds nothing due: every window is weeks away', async () => {
    expect(renewed(await scan()).sort()).toEqual(IDS.map((id) => `${id} SUCCEEDED`));
    const second = await scan();
    expect(summary(second)).toMatchObject({ inventory: 4, due: 0, selected: 0, ari: 'used' });
    expect(pipeline.logs.filter((line) => line.includes('ARI unusable'))).toEqual([]);
    for (const id of IDS) expect(await ariCertId(id)).toMatch(/^[\w-]+\.[\w-]+$/);
  });

  it('the CA moves one window into the past (an incident): the next scan renews exactly that one, with replaces', async () => {
    const before = replacements().length;
    await setRenewalInfo('b-incident', JSON.stringify({ suggestedWindow: { start: hoursFromNow(-2), end: hoursFromNow(-1) }, explanationURL: 'https://ca.test/incident' }));
    const result = await scan();
    expect(renewed(result)).toEqual(['b-incident SUCCEEDED']);
    expect(summary(result)).toMatchObject({ due: 1, selected: 1 });
    // Pebble's log reaches us through a pipe: give its line a moment to arrive.
    await expect.poll(() => replacements().slice(before).length, { timeout: 5000 }).toBe(1);
    expect((await pipeline.store.current('b-incident'))!.version).toBe('2');
    expect((await pipeline.store.current('a-steady'))!.version).toBe('1');
    // The new certificate has its own (future) window: nothing more is due.
    expect(summary(await scan())).toMatchObject({ due: 0, selected: 0 });
  });

  it('a revoked certificate (Pebble answers a past window) is renewed; one retired on purpose (cessationOfOperation) is not', async () => {
    for (const [id, reason] of [['c-compromised', 'keyCompromise'], ['d-retired', 'cessationOfOperation']] as const) {
      const revoked = await pipeline.revokeExecutor.run({ certificateId: id, reason });
      expect(revoked.status, `${revoked.error}: ${revoked.cause}`).toBe('SUCCEEDED');
    }
    const before = replacements().length;
    const result = await scan();
    expect(renewed(result)).toEqual(['c-compromised SUCCEEDED']);
    // Pebble's log reaches us through a pipe: give its line a moment to arrive.
    await expect.poll(() => replacements().slice(before).length, { timeout: 5000 }).toBe(1);
    expect((await pipeline.store.current('d-retired'))!.version).toBe('1');
    expect(summary(await scan())).toMatchObject({ due: 0, selected: 0 });
  });

  it('an answer the policy cannot use falls back to the lifetime rule, logged once per scan for all of them', async () => {
    const backwards = JSON.stringify({ suggestedWindow: { start: hoursFromNow(-1), end: hoursFromNow(-2) } });
    for (const id of ['a-steady', 'b-incident']) await setRenewalInfo(id, backwards);
    const logged = pipeline.logs.length;
    expect(summary(await scan())).toMatchObject({ due: 0, selected: 0 });
    const warnings = pipeline.logs.slice(logged).filter((line) => line.includes('ARI unusable'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0]!)).toMatchObject({ level: 'WARN', certificates: 2, of: 3, firstIds: ['a-steady', 'b-incident'], reasons: [expect.stringContaining('is not after its start')] });
  });
});
