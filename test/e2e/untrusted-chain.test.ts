/**
 * Trust pinned (issue #12 point 4), through the synthesized state machine and Pebble: a chain that
 * does not lead to the directory's configured anchor fails the renewal with UntrustedChain before
 * anything is stored. Pebble makes a new root at every start, so a local run still pinned to the
 * previous run's root is exactly that case: the previous certificate stays current, no TXT value
 * or pending key is left, one failure event names the error, and the next run with the right
 * anchor succeeds.
 */
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalPipeline, type LocalPipeline } from '../../local/environment';
import { listKeystore } from '../support/judges';

let root: string;
let running: LocalPipeline | undefined;

async function start(options: Parameters<typeof startLocalPipeline>[0]): Promise<LocalPipeline> {
  await running?.stop();
  running = await startLocalPipeline(options);
  return running;
}

const request = { certificateId: 'pinned', names: ['pinned.certflow.test', '*.pinned.certflow.test'] };
const live = (file: string) => path.join(root, 'live', request.certificateId, file);
const pendingKeys = async () => fs.readdir(path.join(root, 'pending', request.certificateId)).catch(() => []);

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-untrusted-'));
});
afterAll(async () => {
  await running?.stop();
  if (root) await fs.rm(root, { recursive: true, force: true });
});

describe('a chain that does not lead to the configured anchor', () => {
  it('fails with UntrustedChain before anything is stored, cleans up, and the next run with the right anchor succeeds', async () => {
    // 1. A first run, anchored to the root this Pebble serves: version 1.
    const first = await start({ root });
    const firstResult = await first.executor.run(request);
    expect(firstResult.status, `${firstResult.error}: ${firstResult.cause}`).toBe('SUCCEEDED');
    const previousRoot = await first.pebble.rootPem();
    const before = { cert: await fs.readFile(live('cert.pem'), 'utf8'), current: await first.store.current(request.certificateId) };
    expect(before.current?.version).toBe('1');

    // 2. A new Pebble (a new root), the config still pinned to the previous run's root.
    const pinned = await start({ root, trustAnchors: async () => [previousRoot] });
    expect(await pinned.pebble.rootPem()).not.toBe(previousRoot);
    const result = await pinned.executor.run(request);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('UntrustedChain');
    expect(result.cause).toMatch(
      /the chain ends at 'Pebble Intermediate CA [0-9a-f]+', issued by 'Pebble Root CA [0-9a-f]+', which is none of this directory's trust anchors \('Pebble Root CA [0-9a-f]+'\)/,
    );
    const visited = result.history.filter((event) => event.type === 'StateEntered').map((event) => event.state!.name);
    expect(visited).toContain('PackageAndStore');
    expect(visited.slice(-3)).toEqual(['CleanupAfterFailure', 'PublishFailed', 'RenewalFailed']);

    // Nothing stored, nothing left behind, one failure event.
    expect(await fs.readFile(live('cert.pem'), 'utf8')).toBe(before.cert);
    expect(await pinned.store.current(request.certificateId)).toEqual(before.current);
    expect(pinned.dnsServer.data.names()).toEqual([]);
    expect(await pendingKeys()).toEqual([]);
    const failed = (await pinned.events.read()).filter(
      (event) => event['detail-type'] === 'Certificate Renewal Failed' && event.detail.certificateId === request.certificateId,
    );
    expect(failed).toHaveLength(1);
    expect(failed[0]!.detail).toMatchObject({ step: 'PackageAndStore', error: 'UntrustedChain', currentVersion: '1' });

    // 3. Anchored to this Pebble's root again: version 2, its truststore leading with that root.
    const fixed = await start({ root });
    const fixedResult = await fixed.executor.run(request);
    expect(fixedResult.status, `${fixedResult.error}: ${fixedResult.cause}`).toBe('SUCCEEDED');
    expect((await fixed.store.current(request.certificateId))?.version).toBe('2');
    const password = (await fs.readFile(live('keystore.pass'), 'utf8')).trim();
    const entries = (await listKeystore(live('truststore.jks'), 'JKS', password)).entries.map((entry) => entry.alias);
    const rootCn = /CN=Pebble Root CA ([0-9a-f]+)/.exec(new X509Certificate(await fixed.pebble.rootPem()).subject)![1];
    expect(entries).toContain(`ca-pebble-root-ca-${rootCn}`);
  });
});
