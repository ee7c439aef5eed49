/**
 * ADR 0012 on the private path: an execution stopped after IssuePrivate (StopExecution on AWS,
 * Ctrl-C locally: no Catch runs) holds the renewal lease and leaves its pending key. The next
 * execution — private or ACME — takes the lease over at once and its cleanup discards that key;
 * nothing waits for the 2-hour expiry. A stopped ACME execution's TXT values need DNS rights the
 * private path does not hold: IssuePrivate then refuses (RenewalInProgress, saying why) and the
 * next ACME renewal takes over and cleans up. Invariants after each case: no pending key, no lease,
 * no TXT value left; the last run's version current.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutionResult } from '../../local/runner';
import { localHarness } from '../support/fault-matrix';
import { startTestPipeline, type TestPipeline } from '../support/local-pipeline';

let pipeline: TestPipeline;
const harness = () => localHarness(() => pipeline);

beforeAll(async () => {
  pipeline = await startTestPipeline({ pebble: { env: { PEBBLE_AUTHZREUSE: '0' } } });
});
afterAll(async () => pipeline?.dispose());

const privateRequest = (id: string) => ({ certificateId: id, names: [`${id}.certflow.test`], issuer: 'privateCa', usages: ['clientAuth', 'serverAuth'], lifetimeDays: 7 });
const acmeRequest = (id: string) => ({ certificateId: id, names: [`${id}.certflow.test`] });

/** Runs `request`, stopped right after `state` returned (as StopExecution stops it). */
async function stoppedAfter(request: object, state: string): Promise<ExecutionResult> {
  const stop = new AbortController();
  return pipeline.executor.run(request, {
    signal: stop.signal,
    aroundStep: async (name, invoke) => {
      const result = await invoke();
      if (name === state) stop.abort();
      return result;
    },
  });
}

async function leftBehind(id: string): Promise<string[]> {
  return [...(await harness().pendingLeft(id)), ...(await harness().txtLeft())];
}

const ok = (result: ExecutionResult) => expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');

describe('the private path takes over the lease of a stopped execution', () => {
  it('private stopped after IssuePrivate, then private: taken over at once, the stopped one\'s key discarded', async () => {
    const id = 'private-then-private';
    const stopped = await stoppedAfter(privateRequest(id), 'IssuePrivate');
    expect(stopped.status).toBe('ABORTED');
    expect(await harness().pendingLeft(id)).toEqual([expect.stringMatching(/^pending key /), expect.stringMatching(/^lease /)]);

    const started = performance.now();
    const next = await pipeline.executor.run(privateRequest(id));
    ok(next);
    expect(performance.now() - started).toBeLessThan(60_000); // not the 2-hour lease
    expect(pipeline.logs.join('\n')).toMatch(/taking over the renewal lease of an execution that is over/);
    expect(await leftBehind(id)).toEqual([]);
    expect((await harness().current(id))?.version).toBe((await pipeline.store.current(id))!.version);
  });

  it('private stopped after IssuePrivate, then ACME: CreateOrder takes over and its cleanup discards the private key', async () => {
    const id = 'private-then-acme';
    expect((await stoppedAfter(privateRequest(id), 'IssuePrivate')).status).toBe('ABORTED');
    ok(await pipeline.executor.run(acmeRequest(id)));
    expect(await leftBehind(id)).toEqual([]);
  });

  it('ACME stopped after FinalizeOrder (TXT values out), then private: refused, saying why; the next ACME renewal cleans up, then private renews', async () => {
    const id = 'acme-then-private';
    expect((await stoppedAfter(acmeRequest(id), 'FinalizeOrder')).status).toBe('ABORTED');
    expect(await harness().txtLeft()).not.toEqual([]);

    const refused = await pipeline.executor.run(privateRequest(id));
    expect(refused).toMatchObject({ status: 'FAILED', error: 'RenewalInProgress' });
    expect(refused.cause).toMatch(/its execution is over, but it left \d+ TXT value\(s\) only an ACME renewal's cleanup can remove/);

    ok(await pipeline.executor.run(acmeRequest(id)));
    expect(await leftBehind(id)).toEqual([]);
    ok(await pipeline.executor.run(privateRequest(id)));
    expect(await leftBehind(id)).toEqual([]);
  });
});
