/**
 * The local default reuses its ACME account (issue #12): each run starts a fresh Pebble on a new
 * port, yet the store keeps one account key for the embedded CA. Pebble forgot the account, so
 * the saved URL of the previous run must not be used: the same key is registered anew.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeDefinitions, type LocalDefinitions } from '../../local/definition';
import { startLocalPipeline } from '../../local/environment';

let root: string;
let definitions: LocalDefinitions;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-account-'));
  definitions = synthesizeDefinitions();
});
afterAll(async () => fs.rm(root, { recursive: true, force: true }));

const accountFile = async (name: string) => {
  const [dir, ...others] = await fs.readdir(path.join(root, 'accounts'));
  expect(others).toEqual([]);
  return fs.readFile(path.join(root, 'accounts', dir!, name), 'utf8');
};

describe('the local account', () => {
  it('is one account folder, reused (same key) by two runs, each with its own Pebble', async () => {
    const seen: { directoryUrl: string; key: string; url: string }[] = [];
    for (const run of [1, 2]) {
      const pipeline = await startLocalPipeline({ root, definitions });
      try {
        const result = await pipeline.executor.run({ certificateId: 'reused-account', names: [`run${run}.certflow.test`], keyType: 'ec-p256' });
        expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
        seen.push({ directoryUrl: pipeline.pebble.directoryUrl, key: await accountFile('account.key'), url: (await accountFile('account.url')).trim() });
      } finally {
        await pipeline.stop();
      }
    }
    expect(seen[0]!.directoryUrl).not.toBe(seen[1]!.directoryUrl); // two Pebbles, two ports
    expect(seen[1]!.key).toBe(seen[0]!.key);
    // The second run's URL is on its own Pebble: the first one's was not reused.
    expect(new URL(seen[1]!.url).port).toBe(new URL(seen[1]!.directoryUrl).port);
    expect((await fs.readdir(path.join(root, 'live', 'reused-account'))).length).toBeGreaterThan(0);
    expect(await fs.readdir(path.join(root, 'archive', 'reused-account'))).toEqual(['1', '2']);
  });
});
