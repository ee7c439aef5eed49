/**
 * The scheduled path, locally: the synthesized ScanCertificates state machine reads a mixed
 * inventory, renews exactly what is due (each as its own RenewCertificate run against Pebble),
 * keeps inside the order budget, reports the one that fails, and the next scan picks up the rest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DnsChallengeProvider } from '../../domain/ports';
import type { ExecutionResult } from '../../local/runner';
import { detailErrors } from '../support/schemas';
import { startTestPipeline, type TestPipeline } from '../support/local-pipeline';

let pipeline: TestPipeline;
let breakFailing = true;

type Declared = { id: string; names: string[]; issuer?: 'privateCa' };
/** b-changed is first declared with one name; the test then adds one (a changed config, deployed). */
const B_DECLARED_NOW: Declared = { id: 'b-changed', names: ['b.certflow.test', 'b2.certflow.test'] };
const DECLARED: Declared[] = [
  { id: 'a-missing', names: ['a.certflow.test'] },
  { id: 'b-changed', names: ['b.certflow.test'] },
  { id: 'c-failing', names: ['c.example.test'] },
  { id: 'd-missing', names: ['d.certflow.test'] },
  { id: 'e-fresh', names: ['e.certflow.test'] },
];

beforeAll(async () => {
  pipeline = await startTestPipeline({
    certificates: DECLARED,
    // Budget 5 orders per 3 h; the watchdog reports anything within 95 days (all of Pebble's 90-day certs).
    scan: { intervalHours: 6, budget: { windowHours: 3, maxOrders: 5 }, expiringDays: 95 },
    wrapDns: (inner): DnsChallengeProvider => ({
      present: (records) =>
        inner.present(records.map((r) => (breakFailing && r.name === '_acme-challenge.c.example.test' ? { ...r, value: 'wrong' } : r))),
      isInSync: (changes, records) => inner.isInSync(changes, records),
      cleanup: (records) =>
        inner.cleanup(records.map((r) => (breakFailing && r.name === '_acme-challenge.c.example.test' ? { ...r, value: 'wrong' } : r))),
    }),
  });
  // Before the scan: e-fresh is current; b-changed was issued for fewer names than now declared.
  for (const [certificateId, names] of [['e-fresh', ['e.certflow.test']], ['b-changed', ['b.certflow.test']]] as const) {
    expect((await pipeline.executor.run({ certificateId, names: [...names] })).status).toBe('SUCCEEDED');
  }
  // The declaration changes (the pipeline's settings hold this very list): ValidateRequest refuses
  // names that disagree with a declaration, so b-changed had to be issued while declared so.
  DECLARED[1] = B_DECLARED_NOW;
});
afterAll(async () => pipeline?.dispose());

const outcomes = (result: ExecutionResult) => (result.output as { outcomes: { certificateId: string; status: string }[] }).outcomes;
const summary = (result: ExecutionResult) => (result.output as { summary: Record<string, unknown> }).summary;

describe('scheduled scan', () => {
  it('renews exactly the due certificates, most urgent first, within the order budget; reports the failing one', async () => {
    const result = await pipeline.scanExecutor.run({});
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    // 2 orders already in the window, budget 5: three of the four due certificates this scan.
    // Pebble 2.10 offers ARI (renewalInfo): the scan asks it for every certificate.
    expect(summary(result)).toMatchObject({ inventory: 5, due: 4, selected: 3, deferred: 1, ordersInWindow: 2, ari: 'used' });
    expect(outcomes(result).map((o) => [o.certificateId, o.status])).toEqual([
      ['a-missing', 'SUCCEEDED'],
      ['b-changed', 'SUCCEEDED'],
      ['c-failing', 'FAILED'],
    ]);
    expect((await pipeline.store.current('b-changed'))?.metadata.names).toEqual(['b.certflow.test', 'b2.certflow.test']);
    expect((await pipeline.store.current('e-fresh'))?.version).toBe('1');
    expect(await pipeline.store.current('d-missing')).toBeUndefined();
    expect(pipeline.logs.some((line) => line.includes('"renewal deferred"') && line.includes('d-missing') && line.includes('order budget used'))).toBe(true);

    const events = await pipeline.events.read();
    const failed = events.filter((e) => e['detail-type'] === 'Certificate Renewal Failed');
    expect(failed.map((e) => e.detail.certificateId)).toEqual(['c-failing']);
    const expiring = events.filter((e) => e['detail-type'] === 'Certificate Expiring');
    expect(expiring.map((e) => e.detail.certificateId).sort()).toEqual(['b-changed', 'e-fresh']);
    for (const event of expiring) expect(detailErrors(event['detail-type'], event.detail)).toEqual([]);
    expect(JSON.stringify(expiring.find((e) => e.detail.certificateId === 'b-changed')!.detail)).toContain('renewal started by this scan');
    expect((await pipeline.store.inventory()).find((s) => s.certificateId === 'c-failing')?.lastFailure).toMatchObject({ step: 'CheckOrder', error: 'OrderInvalid' });
  });

  it('the next scan (budget spent) defers everything; once the window allows, it renews the rest and retries the failure', async () => {
    const spent = await pipeline.scanExecutor.run({});
    expect(summary(spent)).toMatchObject({ selected: 0, deferred: 2 });
    expect(outcomes(spent)).toEqual([]);

    breakFailing = false;
    // The budget is per 3 h window: widen it rather than wait for the window to pass.
    Object.assign(pipeline.deps.settings.scan!.budget, { maxOrders: 20 });
    const next = await pipeline.scanExecutor.run({});
    expect(outcomes(next).map((o) => [o.certificateId, o.status]).sort()).toEqual([
      ['c-failing', 'SUCCEEDED'],
      ['d-missing', 'SUCCEEDED'],
    ]);
    const after = await pipeline.scanExecutor.run({});
    expect(summary(after)).toMatchObject({ due: 0, selected: 0 });
  });

  it('a private identity due while the ACME budget is spent: renewed all the same, and not counted against that budget', async () => {
    const before = await pipeline.scanExecutor.run({});
    const spent = summary(before).ordersInWindow as number;
    expect(spent).toBeGreaterThan(0);
    Object.assign(pipeline.deps.settings.scan!.budget, { maxOrders: spent }); // nothing left for ACME
    DECLARED.push({ id: 'f-identity', names: ['f.certflow.test'], issuer: 'privateCa' }, { id: 'g-missing', names: ['g.certflow.test'] });
    const result = await pipeline.scanExecutor.run({});
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    expect(summary(result)).toMatchObject({ due: 2, selected: 1, deferred: 1, ordersInWindow: spent });
    expect(outcomes(result).map((o) => [o.certificateId, o.status])).toEqual([['f-identity', 'SUCCEEDED']]);
    expect(pipeline.logs.some((line) => line.includes('"renewal deferred"') && line.includes('g-missing') && line.includes('order budget used'))).toBe(true);
    // The private issuance left the ACME count where it was.
    expect(summary(await pipeline.scanExecutor.run({}))).toMatchObject({ ordersInWindow: spent, due: 1, selected: 0 });
  });
});
