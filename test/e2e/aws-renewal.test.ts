/**
 * The AWS path end to end, against the AWS API emulator (an independent implementation of the
 * APIs, test/support/aws.ts): the synthesized RenewCertificate definition runs with the Route 53,
 * Secrets Manager and EventBridge adapters; Pebble validates the TXT values from Route 53 (our DNS
 * server reads them from there); events reach the subscriber queue through an EventBridge rule;
 * the agent installs from Secrets Manager. Each scenario starts on fresh secrets and ends with
 * the same checks: version stages, inventory tags, schema-valid events, no Route 53 record left.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DescribeSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOnce, startAgent, type RunningAgent } from '../../agent';
import type { DnsChallengeProvider } from '../../domain/ports';
import { startAwsPipeline, type AwsPipeline } from '../../local/aws-environment';
import type { ExecutionResult, RunOptions } from '../../local/runner';
import { aws, awsClientConfig, uniqueSuffix } from '../support/aws';
import { detailErrors } from '../support/schemas';
import { keyNeedles, scanForSecrets } from '../support/secret-scan';

const FRESH = 'aws-fresh';
const REFUSED = 'aws-refused';
const TWICE = 'aws-twice';
const names = (id: string) => [`${id}.certflow.test`, `*.${id}.certflow.test`];

interface Envelope {
  readonly 'detail-type': string;
  readonly detail: Record<string, unknown>;
}

describe.skipIf(!aws.endpoint)(`the AWS path against ${aws.endpoint || `(skipped: ${aws.skipReason})`}`, () => {
  let pipeline: AwsPipeline;
  let root: string;
  let agent: RunningAgent | undefined;
  const logs: string[] = [];
  const reloads: string[] = [];
  /** Every execution's history: each state's input and output. */
  const histories: string[] = [];
  /** Every certflow event seen on the observer queue, in order. */
  const seen: Envelope[] = [];
  const faults = { corruptTxt: false };

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-aws-e2e-'));
    pipeline = await startAwsPipeline({
      clientConfig: awsClientConfig(),
      suffix: uniqueSuffix(),
      root,
      subscriberCertificateIds: [FRESH, TWICE],
      pebble: { env: { PEBBLE_AUTHZREUSE: '0' } },
      logSink: (line) => logs.push(line),
      wrapDns: (inner): DnsChallengeProvider => ({
        present: (records) => inner.present(faults.corruptTxt ? records.map((record) => ({ ...record, value: `wrong-${record.value}` })) : records),
        isInSync: (changes, records) => inner.isInSync(changes, records),
        cleanup: (records) => inner.cleanup(faults.corruptTxt ? records.map((record) => ({ ...record, value: `wrong-${record.value}` })) : records),
      }),
    });
  });
  afterAll(async () => {
    await agent?.stop();
    await pipeline?.stop();
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  const { secrets, route53, sqs } = (() => {
    const lazy = <K extends 'secrets' | 'route53' | 'sqs'>(key: K) => () => pipeline.clients[key];
    return { secrets: lazy('secrets'), route53: lazy('route53'), sqs: lazy('sqs') };
  })();

  async function renew(certificateId: string, options: RunOptions = {}): Promise<ExecutionResult> {
    const result = await pipeline.executor.run({ certificateId, names: names(certificateId) }, options);
    histories.push(JSON.stringify(result.history));
    return result;
  }

  async function succeed(certificateId: string, options: RunOptions = {}): Promise<string> {
    const result = await renew(certificateId, options);
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    return (result.output as { version: string }).version;
  }

  /** Version id → stages, as Secrets Manager reports them. */
  async function stages(certificateId: string): Promise<Record<string, string[]>> {
    const { VersionIdsToStages = {} } = await secrets().send(new DescribeSecretCommand({ SecretId: pipeline.store.certificateSecret(certificateId) }));
    return VersionIdsToStages;
  }
  const labelled = (all: Record<string, string[]>, stage: string) => Object.entries(all).filter(([, labels]) => labels.includes(stage)).map(([version]) => version);

  /** Every TXT record set in the test's zones. */
  async function txtSets(): Promise<{ name: string; values: string[] }[]> {
    const sets = [];
    for (const zone of pipeline.resources.zones) {
      const { ResourceRecordSets = [] } = await route53().send(new ListResourceRecordSetsCommand({ HostedZoneId: zone.id }));
      for (const set of ResourceRecordSets) if (set.Type === 'TXT') sets.push({ name: set.Name!, values: (set.ResourceRecords ?? []).map((r) => r.Value!) });
    }
    return sets;
  }

  /** Take every message from a queue (the emulator delivers on PutEvents, so nothing is in flight). */
  async function drain(queueUrl: string): Promise<Envelope[]> {
    const envelopes: Envelope[] = [];
    for (;;) {
      const { Messages = [] } = await sqs().send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if (Messages.length === 0) return envelopes;
      for (const message of Messages) {
        envelopes.push(JSON.parse(message.Body!) as Envelope);
        await sqs().send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle! }));
      }
    }
  }

  /** New events since the last call, each valid against schemas/. */
  async function newEvents(): Promise<Envelope[]> {
    const events = await drain(pipeline.resources.observerQueueUrl);
    for (const event of events) expect(detailErrors(event['detail-type'], event.detail), JSON.stringify(event.detail)).toEqual([]);
    seen.push(...events);
    return events;
  }

  /** What holds after every scenario: the store's current version, its tags, no pending label, no TXT left. */
  async function expectSettled(certificateId: string, current: string, previous: string | undefined) {
    const all = await stages(certificateId);
    expect(labelled(all, 'AWSCURRENT')).toEqual([current]);
    expect(labelled(all, 'AWSPENDING')).toEqual([]);
    if (previous) expect(labelled(all, 'AWSPREVIOUS')).toEqual([previous]);
    const stored = await pipeline.store.current(certificateId);
    expect(stored?.version).toBe(current);
    const inventory = (await pipeline.store.inventory()).find((state) => state.certificateId === certificateId);
    expect(inventory?.current?.version).toBe(current);
    expect(inventory?.current?.metadata.serialNumber).toBe(stored?.metadata.serialNumber);
    expect(await txtSets()).toEqual([]);
  }

  const liveVersion = async (installDir: string, certificateId: string) =>
    (JSON.parse(await fs.readFile(path.join(installDir, 'live', certificateId, 'metadata.json'), 'utf8')) as { version: string }).version;

  async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check().catch(() => false))) {
      if (Date.now() > deadline) throw new Error(`not within ${timeoutMs / 1000} s: ${what}`);
      await sleep(100);
    }
  }

  const agentOptions = (installDir: string) => ({
    certificateIds: [FRESH, TWICE],
    installDir,
    source: {
      kind: 'aws' as const,
      topicArn: pipeline.resources.group.topicArn,
      deadLetterQueueArn: pipeline.resources.group.deadLetterQueueArn,
      queuePrefix: pipeline.resources.group.queuePrefix,
      secretPrefix: pipeline.resources.secretPrefix,
      sqsClient: pipeline.clients.sqs,
      snsClient: pipeline.clients.sns,
      secretsManagerClient: pipeline.clients.secrets,
    },
    host: path.basename(installDir),
    reconcileIntervalMs: 0, // events only: what the host installs here arrived through the queue
    logSink: (line: string) => logs.push(line),
  });

  describe('a fresh certificate: first issuance, then two renewals', () => {
    const versions: string[] = [];

    it('issues the first version: current, tagged, announced, no TXT left, installable by an agent --once', async () => {
      versions.push(await succeed(FRESH));
      await expectSettled(FRESH, versions[0]!, undefined);
      // The only certificate version there is: nothing to roll back to.
      await expect(pipeline.store.rollback(FRESH)).rejects.toThrow(/no previous/);
      expect(await pipeline.store.currentKeystorePassword(FRESH)).toMatch(/^[A-Za-z0-9]{32}$/);

      const events = await newEvents();
      expect(events.map((event) => [event['detail-type'], event.detail.version])).toEqual([['Certificate Renewed', versions[0]]]);

      const onceDir = path.join(root, 'once');
      const once = await runOnce({ ...agentOptions(onceDir), certificateIds: [FRESH] });
      expect(once.exitCode, once.reason).toBe(0);
      expect(await liveVersion(onceDir, FRESH)).toBe(versions[0]);
    });

    it('renews twice: each renewal becomes current, the one before it previous, with the same keystore password; a running agent installs each from its queue', async () => {
      const hostDir = path.join(root, 'host');
      agent = await startAgent({ ...agentOptions(hostDir), reload: { kind: 'action', action: { description: 'count', reload: async (context) => void reloads.push(JSON.stringify(context)) } } });
      await eventually('the agent catches up with the first version', async () => (await liveVersion(hostDir, FRESH)) === versions[0]);
      const password = await pipeline.store.currentKeystorePassword(FRESH);

      for (let renewal = 1; renewal <= 2; renewal += 1) {
        versions.push(await succeed(FRESH));
        await expectSettled(FRESH, versions[renewal]!, versions[renewal - 1]);
        expect(await pipeline.store.currentKeystorePassword(FRESH)).toBe(password);
        await eventually(`the agent installs renewal ${renewal}`, async () => (await liveVersion(hostDir, FRESH)) === versions[renewal]);
      }
      expect(new Set(versions).size).toBe(3);
      const renewed = (await newEvents()).filter((event) => event['detail-type'] === 'Certificate Renewed');
      expect(renewed.map((event) => event.detail.version)).toEqual(versions.slice(1));
    });

    it('rolls back to the previous version (labels and inventory tags), then the next renewal supersedes it', async () => {
      const [, second, third] = versions as [string, string, string];
      expect(await pipeline.store.rollback(FRESH)).toEqual({ from: third, to: second });
      await expectSettled(FRESH, second, third);

      const fourth = await succeed(FRESH);
      await expectSettled(FRESH, fourth, second);
      await eventually('the agent installs the renewal after the rollback', async () => (await liveVersion(path.join(root, 'host'), FRESH)) === fourth);
      expect((await newEvents()).map((event) => [event['detail-type'], event.detail.version])).toEqual([['Certificate Renewed', fourth]]);
      versions.push(fourth);
    });
  });

  describe('a first issuance the CA refuses, then one that succeeds', () => {
    it('fails with OrderInvalid: a failure event, no TXT left, no current version, nothing a reader could take for a certificate', async () => {
      faults.corruptTxt = true;
      let result: ExecutionResult;
      try {
        result = await renew(REFUSED);
      } finally {
        faults.corruptTxt = false;
      }
      expect(result.status).toBe('FAILED');
      expect(result.error).toBe('OrderInvalid');
      const events = await newEvents();
      expect(events.map((event) => [event['detail-type'], event.detail.certificateId, event.detail.error])).toEqual([['Certificate Renewal Failed', REFUSED, 'OrderInvalid']]);
      expect(await txtSets()).toEqual([]);
      expect(await pipeline.store.current(REFUSED)).toBeUndefined();
      expect(await pipeline.store.currentKeystorePassword(REFUSED)).toBeUndefined();
      const once = await runOnce({ ...agentOptions(path.join(root, 'refused')), certificateIds: [REFUSED] });
      expect(once.outcomes[REFUSED]).toEqual({ status: 'absent' });
    });

    it('then issues: the new version is current and complete', async () => {
      const version = await succeed(REFUSED);
      await expectSettled(REFUSED, version, undefined);
      expect(await pipeline.store.currentKeystorePassword(REFUSED)).toMatch(/^[A-Za-z0-9]{32}$/);
      const once = await runOnce({ ...agentOptions(path.join(root, 'refused')), certificateIds: [REFUSED] });
      expect(once.exitCode, once.reason).toBe(0);
      expect(await newEvents()).toHaveLength(1);
    });
  });

  describe('every step run twice, as Step Functions does after a Lambda timeout', () => {
    it('stores one version, writes no duplicate TXT value, serves the certificate; the agent ignores the repeated event', async () => {
      const first = await succeed(TWICE);
      await eventually('the agent installs the first version', async () => (await liveVersion(path.join(root, 'host'), TWICE)) === first);
      const before = Object.keys(await stages(TWICE));
      const reloadsBefore = reloads.length;
      await newEvents();

      const invocations = new Map<string, number>();
      const duplicates: string[] = [];
      const version = await succeed(TWICE, {
        // The first invocation does all its work, then "times out": Step Functions retries the step.
        aroundStep: async (state, invoke) => {
          const n = (invocations.get(state) ?? 0) + 1;
          invocations.set(state, n);
          const result = await invoke();
          if (state === 'PresentChallenges') {
            for (const set of await txtSets()) if (new Set(set.values).size !== set.values.length) duplicates.push(`${set.name}: ${set.values.join(' ')}`);
          }
          if (n % 2 === 1) throw Object.assign(new Error('Task timed out after 30.00 seconds'), { name: 'Sandbox.Timedout' });
          return result;
        },
      });
      expect([...invocations.values()].every((n) => n % 2 === 0), JSON.stringify([...invocations])).toBe(true);
      expect(invocations.get('PackageAndStore')).toBe(2);
      expect(duplicates).toEqual([]);

      const added = Object.keys(await stages(TWICE)).filter((id) => !before.includes(id));
      expect(added).toContain(version);
      // One certificate version (and at most the pending key it was made from, labelled nothing).
      for (const id of added.filter((id) => id !== version)) expect((await stages(TWICE))[id]).toEqual([]);
      await expectSettled(TWICE, version, first);

      const renewed = (await newEvents()).filter((event) => event['detail-type'] === 'Certificate Renewed');
      expect(renewed.map((event) => event.detail.version)).toEqual([version, version]);
      await eventually('the agent installs the version once', async () => (await liveVersion(path.join(root, 'host'), TWICE)) === version);
      await sleep(500); // the repeated event, if mishandled, would reload again
      expect(reloads.length - reloadsBefore).toBe(1);
    });
  });

  it('puts the execution and the certificate on every log line a step writes', () => {
    const stepLines = logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.component !== 'certflow-agent');
    expect(stepLines.length).toBeGreaterThan(50);
    for (const line of stepLines) {
      expect(line.executionId, JSON.stringify(line)).toMatch(/^arn:aws:states:.*:execution:RenewCertificate:/);
      expect([FRESH, REFUSED, TWICE], JSON.stringify(line)).toContain(line.certificateId);
    }
  });

  it('no private key or keystore password in any state, event or log line', async () => {
    expect(histories.length).toBeGreaterThanOrEqual(7);
    const needles = new Map<string, string>();
    for (const id of [FRESH, REFUSED, TWICE]) {
      const { SecretString } = await secrets().send(new GetSecretValueCommand({ SecretId: pipeline.store.certificateSecret(id) }));
      const files = (JSON.parse(SecretString!) as { files: Record<string, string> }).files;
      const file = (name: string) => Buffer.from(files[name]!, 'base64').toString('utf8');
      for (const [needle, label] of keyNeedles(`${id} private key`, file('privkey.pem'))) needles.set(needle, label);
      needles.set(file('keystore.pass').trim(), `${id} keystore password`);
      // The scan can fail: it finds the key in the stored bundle itself.
      expect(scanForSecrets({ bundle: file('privkey.pem') }, needles).length).toBeGreaterThan(0);
    }
    const haystacks = { states: histories.join('\n'), events: JSON.stringify(seen), logs: logs.join('\n') };
    expect(scanForSecrets(haystacks, needles)).toEqual([]);
  });
});
