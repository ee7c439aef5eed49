/**
 * When the local CA process dies, a failed renewal says so (exit code or signal, last output)
 * instead of only `AcmeUnavailable … ECONNREFUSED`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPipeline, type TestPipeline } from '../support/local-pipeline';

let pipeline: TestPipeline;
beforeAll(async () => {
  pipeline = await startTestPipeline();
});
afterAll(async () => pipeline?.dispose());

describe('the local CA exits', () => {
  it('a renewal fails with AcmeUnavailable naming the exit of Pebble', async () => {
    expect((await pipeline.executor.run({ certificateId: 'ca-alive', names: ['alive.certflow.test'] })).status).toBe('SUCCEEDED');
    process.kill(pipeline.pebble.pid, 'SIGKILL');
    for (let i = 0; i < 100 && !pipeline.pebble.exited; i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(pipeline.pebble.exited).toMatchObject({ signal: 'SIGKILL' });

    const result = await pipeline.executor.run({ certificateId: 'ca-dead', names: ['dead.certflow.test'] });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('AcmeUnavailable');
    const { errorMessage } = JSON.parse(result.cause!) as { errorMessage: string };
    expect(errorMessage).toMatch(/^the local CA \(Pebble\) was killed by SIGKILL; its last output:\n/);
    expect(errorMessage).toMatch(/ECONNREFUSED/);
    const failed = (await pipeline.events.read()).filter((event) => event.detail.certificateId === 'ca-dead');
    expect((failed[0]!.detail as { message: string }).message).toMatch(/the local CA \(Pebble\) was killed by SIGKILL/);
  }, 120_000);
});
