/**
 * The renewal lease (one renewal per certificate at a time), the same contract for both stores:
 * the file store, and Secrets Manager against the AWS API emulator (skipped without it). It relies
 * on: O_EXCL-style link(2) locally; on AWS, CreateSecret failing with ResourceExistsException for an
 * existing name, and PutSecretValue failing with ResourceExistsException when a ClientRequestToken
 * is reused with other data (API reference, PutSecretValue: "If a version with this value already
 * exists and that version's SecretString … values differ from those in the request, then the request
 * fails").
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateStateMachineCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { StepFunctionsExecutions } from '../../domain/adapters/aws/sfn-executions';
import { takeLease } from '../../lambdas/lease/take-lease';
import { SecretsManagerCertificateStore } from '../../domain/adapters/aws/secrets-store';
import { FileCertificateStore } from '../../domain/adapters/local/file-store';
import type { RenewalLeases } from '../../domain/ports';
import { aws, awsClientConfig, stopExecution, uniqueSuffix } from '../support/aws';

const roots: string[] = [];
afterAll(async () => Promise.all(roots.map((root) => fs.rm(root, { recursive: true, force: true }))));

const stores: [string, boolean, () => Promise<RenewalLeases>][] = [
  [
    'the file store',
    true,
    async () => {
      const root = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-lease-'));
      roots.push(root);
      return new FileCertificateStore(root);
    },
  ],
  [
    `Secrets Manager against ${aws.endpoint || `(skipped: ${aws.skipReason})`}`,
    Boolean(aws.endpoint),
    async () => {
      const kms = new KMSClient(awsClientConfig());
      const keyId = (await kms.send(new CreateKeyCommand({ Description: 'certflow lease contract' }))).KeyMetadata!.KeyId!;
      return new SecretsManagerCertificateStore(new SecretsManagerClient(awsClientConfig()), { prefix: `certflow-lease-${uniqueSuffix()}/`, kmsKeyId: keyId });
    },
  ],
];

const NOW = new Date('2026-03-01T12:00:00.000Z');
const inAnHour = new Date(NOW.getTime() + 3_600_000);
const lease = (certificateId: string, holder: string, expiresAt = inAnHour) => ({ certificateId, holder, expiresAt });
const outcome = (promise: Promise<unknown>) => promise.then(() => 'held', (error: Error) => error.name);

describe.each(stores)('the renewal lease in %s', (_name, available, make) => {
  it.skipIf(!available)('goes to exactly one of five executions racing for it; the holder takes it again (a retried step)', async () => {
    const store = await make();
    const results = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((holder) => outcome(store.acquireLease(lease('race', holder), NOW))));
    expect(results.filter((result) => result === 'held')).toHaveLength(1);
    expect(results.filter((result) => result !== 'held')).toEqual(Array(4).fill('RenewalInProgress'));
    const winner = ['a', 'b', 'c', 'd', 'e'][results.indexOf('held')]!;
    await expect(store.acquireLease(lease('race', winner), NOW)).resolves.toBeUndefined();
  });

  it.skipIf(!available)('is released by its holder only; then another execution takes it', async () => {
    const store = await make();
    await store.acquireLease(lease('release', 'first'), NOW);
    await store.releaseLease('release', 'second'); // not its lease: nothing happens
    await expect(store.acquireLease(lease('release', 'second'), NOW)).rejects.toThrow(/release is being renewed by first \(lease until 2026-03-01T13:00:00.000Z\)/);
    await store.releaseLease('release', 'first');
    await store.releaseLease('release', 'first'); // again: nothing left to release
    await expect(store.acquireLease(lease('release', 'second'), NOW)).resolves.toBeUndefined();
  });

  it.skipIf(!available)('is taken over once expired (its holder was killed); the old holder then releases nothing', async () => {
    const store = await make();
    await store.acquireLease(lease('expired', 'killed', new Date(NOW.getTime() - 1)), NOW);
    await expect(store.acquireLease(lease('expired', 'next'), NOW)).resolves.toMatchObject({ holder: 'killed' }); // the lease it replaced
    await store.releaseLease('expired', 'killed');
    await expect(store.acquireLease(lease('expired', 'third'), NOW)).rejects.toMatchObject({ name: 'RenewalInProgress' });
  });

  it.skipIf(!available)('names its holder; is taken over at once from a holder known to be gone, passing its order on as leftovers', async () => {
    const store = await make();
    const order = { orderUrl: 'https://ca.test/order/1', records: [{ name: '_acme-challenge.gone.test', value: 'v1' }] };
    await store.acquireLease(lease('gone', 'stopped'), NOW);
    await store.acquireLease({ ...lease('gone', 'stopped'), order }, NOW); // CreateOrder notes its order
    expect(await store.heldLease('gone')).toEqual({ ...lease('gone', 'stopped'), order });
    await expect(store.acquireLease(lease('gone', 'next'), NOW)).rejects.toMatchObject({ name: 'RenewalInProgress', holder: 'stopped' });
    // Only the holder named as gone is taken over, not whoever holds it by then.
    await expect(store.acquireLease(lease('gone', 'next'), NOW, { takeOverFrom: 'another' })).rejects.toMatchObject({ holder: 'stopped' });
    expect(await store.acquireLease(lease('gone', 'next'), NOW, { takeOverFrom: 'stopped' })).toEqual({ ...lease('gone', 'stopped'), order });
    expect(await store.heldLease('gone')).toEqual({ ...lease('gone', 'next'), leftovers: [order] });
    // Its own order noted: the leftovers stay until its cleanup (and they pass on again if it is stopped too).
    const own = { orderUrl: 'https://ca.test/order/2', records: [] };
    await store.acquireLease({ ...lease('gone', 'next'), order: own }, NOW);
    await store.acquireLease(lease('gone', 'third'), NOW, { takeOverFrom: 'next' });
    expect(await store.heldLease('gone')).toEqual({ ...lease('gone', 'third'), leftovers: [order, own] });
    await store.releaseLease('gone', 'stopped'); // the stopped holder's late cleanup releases nothing
    expect((await store.heldLease('gone'))?.holder).toBe('third');
    await store.releaseLease('gone', 'third');
    expect(await store.heldLease('gone')).toBeUndefined();
  });
});

describe.skipIf(!aws.endpoint)(`a holder stopped with StopExecution, asked with DescribeExecution against ${aws.endpoint || '(skipped)'}`, () => {
  // The emulator runs each execution in a worker thread (its Lambda tasks do not run): RUNNING until
  // stopped, then ABORTED once that thread has seen the stop (stopExecution waits for it).
  it('is over once stopped (or unknown to Step Functions); a running one is not; CreateOrder then takes its lease over', async () => {
    const sfn = new SFNClient(awsClientConfig());
    const suffix = uniqueSuffix();
    const definition = JSON.stringify({ StartAt: 'Wait', States: { Wait: { Type: 'Wait', Seconds: 3600, End: true } } });
    const { stateMachineArn } = await sfn.send(new CreateStateMachineCommand({ name: `certflow-lease-${suffix}`, definition, roleArn: 'arn:aws:iam::123456789012:role/certflow-test' }));
    const start = async (name: string) => (await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: '{}' }))).executionArn!;
    const [stopped, running] = [await start('stopped'), await start('running')];
    await stopExecution(sfn, stopped, { error: 'Operator', cause: 'Ctrl-C' });
    const executions = new StepFunctionsExecutions(sfn);
    expect(await executions.isGone(stopped)).toBe(true);
    expect(await executions.isGone(running)).toBe(false);
    expect(await executions.isGone(stopped.replace(/:stopped$/, ':never-started'))).toBe(true);
    expect(await executions.isGone('local-execution')).toBe(false); // not an execution ARN: cannot tell

    const [, , store] = stores[1]!;
    const leases = (await store()) as SecretsManagerCertificateStore;
    const log = { info: () => {}, warn: vi.fn(), error: () => {} };
    const deps = { settings: {} as never, log, now: () => NOW, store: leases, executions };
    await leases.acquireLease(lease('stopped-holder', stopped), NOW);
    await takeLease(lease('stopped-holder', 'arn:next'), deps);
    expect((await leases.heldLease('stopped-holder'))?.holder).toBe('arn:next');
    expect(log.warn).toHaveBeenCalledWith(expect.stringMatching(/taking over/), { certificateId: 'stopped-holder', previousHolder: stopped });
    await leases.acquireLease(lease('running-holder', running), NOW);
    await expect(takeLease(lease('running-holder', 'arn:next'), deps)).rejects.toMatchObject({ name: 'RenewalInProgress', holder: running });
  });
});
