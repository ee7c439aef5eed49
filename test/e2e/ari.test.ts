/**
 * ARI (RFC 9773) end to end against Pebble 2.10, through the synthesized ScanCertificates state
 * machine: the scan asks `renewalInfo` for every certificate (its RFC 9773 CertID), renews only
 * what the CA's window (or the lifetime rule) makes due, and the new order carries `replaces`. It
 * asks again only after the Retry-After the CA sent (§4.3): meanwhile the stored window decides.
 * Pebble's management `POST /set-renewal-info/` plays the CA asking for an early renewal after an
 * incident; a revoked certificate gets a past window from Pebble itself. The steps' clock is moved
 * past a Retry-After instead of waiting for it (Pebble's certificates are real-time: 90 days).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchDirectoryOffer } from '../../lambdas/acme/directory';
import { postToPebble } from '../../local/pebble';
import type { ExecutionResult } from '../../local/runner';
import { startTestPipeline, type TestPipeline } from '../support/local-pipeline';
import { countRenewalInfoRequests, type RenewalInfoRequests } from '../support/renewal-info-requests';

const HOUR_MS = 3_600_000;
const IDS = ['a-steady', 'b-incident', 'c-compromised', 'd-retired'];
let pipeline: TestPipeline;
let requests: RenewalInfoRequests;
let clockOffsetMs = 0;
const now = () => new Date(Date.now() + clockOffsetMs);
const advanceClock = (hours: number) => (clockOffsetMs += hours * HOUR_MS);

beforeAll(async () => {
  pipeline = await startTestPipeline({
    certificates: IDS.map((id) => ({ id, names: [`${id}.certflow.test`] })),
    scan: { intervalHours: 3, budget: { windowHours: 3, maxOrders: 20 }, expiringDays: 7 },
    now,
  });
  requests = countRenewalInfoRequests((await fetchDirectoryOffer(pipeline.ca.directoryUrl, pipeline.pebble.tlsCaPem)).renewalInfo!);
});
afterAll(async () => {
  requests?.stop();
  await pipeline?.dispose();
});

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

const hoursFromNow = (hours: number) => new Date(now().getTime() + hours * HOUR_MS).toISOString();
const ariCertId = async (id: string) => (await pipeline.store.current(id))!.metadata.ariCertId!;
/** The CertIDs the scan asked renewalInfo for since the last call, sorted. */
const asked = () => requests.take().sort();
const certIds = async (...ids: string[]) => (await Promise.all(ids.map(ariCertId))).sort();

describe('ARI against Pebble 2.10, through the scan', () => {
  it('issues the missing certificates, asks for each once, and asks nothing more within the Retry-After', async () => {
    expect(renewed(await scan()).sort()).toEqual(IDS.map((id) => `${id} SUCCEEDED`));
    expect(asked()).toEqual([]); // nothing issued yet when the scan looked

    const second = await scan();
    expect(summary(second)).toMatchObject({ inventory: 4, due: 0, selected: 0, ari: 'used', ariRequests: 4, ariReused: 0 });
    expect(asked()).toEqual(await certIds(...IDS));
    expect(pipeline.logs.filter((line) => line.includes('ARI unusable'))).toEqual([]);
    // Pebble sends Retry-After: 6 h (as Let's Encrypt does): the answer is kept that long.
    for (const state of await pipeline.store.inventory()) {
      expect(state.ari?.certId).toBe(state.current!.metadata.ariCertId);
      expect(Date.parse(state.ari!.nextCheckAt) - Date.parse(state.ari!.checkedAt)).toBe(6 * HOUR_MS);
    }

    expect(summary(await scan())).toMatchObject({ due: 0, ariRequests: 0, ariReused: 4 });
    expect(asked()).toEqual([]);
  });

  it('the CA moves one window into the past (an incident): seen at the next check, then exactly that one is renewed, with replaces', async () => {
    await setRenewalInfo('b-incident', JSON.stringify({ suggestedWindow: { start: hoursFromNow(-2), end: hoursFromNow(-1) }, explanationURL: 'https://ca.test/incident' }));
    // Within the Retry-After the scan does not ask: the stored window still says weeks from now.
    expect(summary(await scan())).toMatchObject({ due: 0, ariRequests: 0 });
    expect(asked()).toEqual([]);

    advanceClock(6);
    const before = replacements().length;
    const result = await scan();
    expect(asked()).toHaveLength(4);
    expect(renewed(result)).toEqual(['b-incident SUCCEEDED']);
    expect(summary(result)).toMatchObject({ due: 1, selected: 1, ariRequests: 4 });
    // Pebble's log reaches us through a pipe: give its line a moment to arrive.
    await expect.poll(() => replacements().slice(before).length, { timeout: 5000 }).toBe(1);
    expect((await pipeline.store.current('b-incident'))!.version).toBe('2');
    expect((await pipeline.store.current('a-steady'))!.version).toBe('1');
    // The new certificate is asked for at once (no answer about it yet) and has a future window.
    expect(summary(await scan())).toMatchObject({ due: 0, selected: 0, ariRequests: 1, ariReused: 3 });
    expect(asked()).toEqual(await certIds('b-incident'));
  });

  it('a stored window that opens renews its certificate without a request', async () => {
    // a-steady's next check is in 6 h; its new window opens in 7 h, for an hour.
    await setRenewalInfo('a-steady', JSON.stringify({ suggestedWindow: { start: hoursFromNow(7), end: hoursFromNow(8) } }));
    advanceClock(6);
    expect(summary(await scan())).toMatchObject({ due: 0, ariRequests: 4 });
    requests.take();

    advanceClock(1);
    const before = replacements().length;
    const result = await scan();
    expect(asked()).toEqual([]);
    expect(renewed(result)).toEqual(['a-steady SUCCEEDED']);
    expect(summary(result)).toMatchObject({ ariRequests: 0, ariReused: 4 });
    await expect.poll(() => replacements().slice(before).length, { timeout: 5000 }).toBe(1);
  });

  it('a revoked certificate (Pebble answers a past window) is asked for again at once and renewed; one retired on purpose (cessationOfOperation) is not', async () => {
    for (const [id, reason] of [['c-compromised', 'keyCompromise'], ['d-retired', 'cessationOfOperation']] as const) {
      const revoked = await pipeline.revokeExecutor.run({ certificateId: id, reason });
      expect(revoked.status, `${revoked.error}: ${revoked.cause}`).toBe('SUCCEEDED');
    }
    // a-steady's new certificate has no answer yet; c's stored answer predates its revocation; d, retired, is not asked about.
    const expected = await certIds('a-steady', 'c-compromised');
    const before = replacements().length;
    const result = await scan();
    expect(asked()).toEqual(expected);
    expect(renewed(result)).toEqual(['c-compromised SUCCEEDED']);
    // Pebble's log reaches us through a pipe: give its line a moment to arrive.
    await expect.poll(() => replacements().slice(before).length, { timeout: 5000 }).toBe(1);
    expect((await pipeline.store.current('d-retired'))!.version).toBe('1');
    expect(summary(await scan())).toMatchObject({ due: 0, selected: 0 });
  });

  it('an answer the policy cannot use falls back to the lifetime rule, logged once per scan for all of them, and is asked again next scan', async () => {
    const backwards = JSON.stringify({ suggestedWindow: { start: hoursFromNow(-1), end: hoursFromNow(-2) } });
    for (const id of ['a-steady', 'b-incident']) await setRenewalInfo(id, backwards);
    advanceClock(24); // past every stored answer's next check
    requests.take();
    const logged = pipeline.logs.length;
    expect(summary(await scan())).toMatchObject({ due: 0, selected: 0, ariRequests: 3 });
    const warnings = pipeline.logs.slice(logged).filter((line) => line.includes('ARI unusable'));
    expect(warnings).toHaveLength(1);
    const warning = JSON.parse(warnings[0]!) as { firstIds: string[] };
    expect(warning).toMatchObject({ level: 'WARN', certificates: 2, of: 3, reasons: [expect.stringContaining('is not after its start')] });
    expect([...warning.firstIds].sort()).toEqual(['a-steady', 'b-incident']);
    // Not stored: the two are asked again by the next scan; c-compromised's usable answer is reused.
    requests.take();
    expect(summary(await scan())).toMatchObject({ ariRequests: 2, ariReused: 1 });
    expect(asked()).toEqual(await certIds('a-steady', 'b-incident'));
  });
});
