/** The failure path forgets the key of an order whose FinalizeOrder stored it and then failed. */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileCertificateStore } from '../../../domain/adapters/local/file-store';
import type { TxtRecord } from '../../../domain/ports';
import { cleanupAfterFailure } from '../../../lambdas/handlers/cleanup-challenges';
import type { CertificateRequest, OrderRef } from '../../../lambdas/state';

let root: string;
let store: FileCertificateStore;
const removed: TxtRecord[][] = [];
beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-cleanup-'));
  store = new FileCertificateStore(root);
  removed.length = 0;
});
afterEach(async () => fs.rm(root, { recursive: true, force: true }));

const request = { certificateId: 'web', names: ['web.certflow.test'] } as unknown as CertificateRequest;
const order: OrderRef = {
  accountUrl: 'https://ca.test/acct/1',
  orderUrl: 'https://ca.test/order/7',
  finalizeUrl: 'https://ca.test/finalize/7',
  challengeUrls: [],
  records: [{ name: '_acme-challenge.web.certflow.test', value: 'v' }],
};
const deps = () => ({
  settings: { zones: [], defaultDirectoryUrl: 'https://ca.test/dir', defaultContact: [], secretPrefix: 'certflow/' },
  log: { info: () => {}, warn: () => {}, error: () => {} },
  now: () => new Date(),
  dns: { cleanup: async (records: readonly TxtRecord[]) => void removed.push([...records]) },
  store,
});

describe('CleanupAfterFailure', () => {
  it('discards the pending key of the failed order even when FinalizeOrder failed after storing it (no issuance in the state)', async () => {
    const { pending } = await store.pendingKey('web', order.orderUrl, async () => 'KEY');
    const result = await cleanupAfterFailure({ state: { request, order }, executionId: 'exec-1' }, deps());
    expect(result).toEqual({ removed: 1, discardedPending: true });
    await expect(store.readPendingKey(pending)).rejects.toThrow(/no pending key/);
    expect(await fs.readdir(path.join(root, 'pending'))).toEqual([]);
    expect(removed).toEqual([order.records]);
  });

  it("gives back the renewal lease CreateOrder took before it failed, and never another execution's", async () => {
    const expiresAt = new Date(Date.now() + 60_000);
    await store.acquireLease({ certificateId: 'web', holder: 'exec-1', expiresAt }, new Date());
    await cleanupAfterFailure({ state: { request }, executionId: 'exec-2' }, deps());
    await expect(store.acquireLease({ certificateId: 'web', holder: 'exec-2', expiresAt }, new Date())).rejects.toMatchObject({ name: 'RenewalInProgress' });
    await cleanupAfterFailure({ state: { request }, executionId: 'exec-1' }, deps());
    await store.acquireLease({ certificateId: 'web', holder: 'exec-2', expiresAt }, new Date());
    await store.releaseLease('web', 'exec-2');
    expect(await fs.readdir(path.join(root, 'leases'))).toEqual([]);
  });

  it('touches nothing when the execution failed before it had an order', async () => {
    expect(await cleanupAfterFailure({ state: { request }, executionId: 'exec-1' }, deps())).toEqual({ removed: 0, discardedPending: false });
    expect(removed).toEqual([]);
  });
});
