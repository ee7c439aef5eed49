/**
 * Every host gets every renewal (issue #10), on the AWS API emulator: the group's rule feeds its
 * SNS topic, each agent makes and subscribes a queue of its own, and three hosts serving TLS
 * install and reload each renewal and each announced rollback; a host started later catches up;
 * forged messages change nothing; a host that leaves, or vanishes, leaves nothing behind.
 *
 * What the emulator does not enforce (docs/explanation/testing.md: IAM, queue and topic policies are stored only) is
 * checked as stored documents here and as template assertions in test/infra/subscriber.test.ts.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ListSubscriptionsByTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, GetQueueUrlCommand, ListQueuesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostQueue } from '../../agent/adapters/aws/host-queue';
import { SecretsManagerCertificateSource } from '../../agent/adapters/aws/secrets-manager-source';
import { hostQueueName } from '../../agent/fleet/host-queue-plan';
import { EventBridgePublisher } from '../../domain/adapters/aws/eventbridge-events';
import { DETAIL_TYPES } from '../../domain/contracts/events';
import { jsonLogger } from '../../domain/logging/logger';
import { startAwsPipeline, type AwsPipeline } from '../../local/aws-environment';
import { startServingHost, type ServingHost } from '../../local/serving-host';
import { aws, awsClientConfig, uniqueSuffix } from '../support/aws';
import { detailErrors } from '../support/schemas';

const FLEET = 'fleet-broker';
const names = [`${FLEET}.certflow.test`];
/** Measured: every host serves a renewal within ~1 s of the event on this machine; 30 s leaves room for a loaded CI. */
const WITHIN_MS = 30_000;

interface Envelope {
  readonly 'detail-type': string;
  readonly detail: Record<string, unknown>;
}

const sameSerial = (a: string | undefined, b: string) => a !== undefined && BigInt(`0x${a}`) === BigInt(`0x${b}`);

describe.skipIf(!aws.endpoint)(`a fleet of hosts on ${aws.endpoint || `(skipped: ${aws.skipReason})`}`, () => {
  let pipeline: AwsPipeline;
  let root: string;
  const hosts: ServingHost[] = [];
  const logs = new Map<string, string[]>();
  const versions: { version: string; serialNumber: string }[] = [];

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-fleet-'));
    pipeline = await startAwsPipeline({ clientConfig: awsClientConfig(), suffix: uniqueSuffix(), root, subscriberCertificateIds: [FLEET], pebble: { env: { PEBBLE_AUTHZREUSE: '0' } } });
  });
  afterAll(async () => {
    for (const host of hosts) await host.stop();
    await pipeline?.stop();
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  const group = () => pipeline.resources.group;
  const source = () => ({
    kind: 'aws' as const,
    ...group(),
    secretPrefix: pipeline.resources.secretPrefix,
    eventBusName: pipeline.resources.busName,
    sqsClient: pipeline.clients.sqs,
    snsClient: pipeline.clients.sns,
    secretsManagerClient: pipeline.clients.secrets,
    eventBridgeClient: pipeline.clients.eventBridge,
  });

  async function startHost(name: string): Promise<ServingHost> {
    const lines: string[] = [];
    logs.set(name, lines);
    const host = await startServingHost({ name, installDir: path.join(root, name), certificateId: FLEET, source: source(), logSink: (line) => lines.push(line) });
    hosts.push(host);
    return host;
  }

  async function renew(): Promise<{ version: string; serialNumber: string }> {
    const result = await pipeline.executor.run({ certificateId: FLEET, names });
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    const current = (await pipeline.store.current(FLEET))!;
    const issued = { version: current.version, serialNumber: current.metadata.serialNumber };
    versions.push(issued);
    return issued;
  }

  async function allServe(which: readonly ServingHost[], serialNumber: string): Promise<void> {
    const deadline = Date.now() + WITHIN_MS;
    for (;;) {
      const served = await Promise.all(which.map((host) => host.served().catch(() => undefined)));
      if (served.every((serial) => sameSerial(serial, serialNumber))) return;
      if (Date.now() > deadline) throw new Error(`not every host serves ${serialNumber} within ${WITHIN_MS} ms: ${served.join(', ')}`);
      await sleep(50);
    }
  }

  /** Every certflow event on the observer queue so far, each valid against schemas/. */
  const seen: Envelope[] = [];
  async function observed(): Promise<Envelope[]> {
    const { sqs } = pipeline.clients;
    for (;;) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: pipeline.resources.observerQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if (Messages.length === 0) break;
      for (const message of Messages) {
        const envelope = JSON.parse(message.Body!) as Envelope;
        expect(detailErrors(envelope['detail-type'], envelope.detail), JSON.stringify(envelope.detail)).toEqual([]);
        seen.push(envelope);
        await sqs.send(new DeleteMessageCommand({ QueueUrl: pipeline.resources.observerQueueUrl, ReceiptHandle: message.ReceiptHandle! }));
      }
    }
    return seen;
  }
  /** The hosts that reported "Certificate Installed" for a version, once `expected` have (a host reports just after it serves). */
  async function installedBy(version: string, expected: readonly string[]): Promise<unknown[]> {
    const deadline = Date.now() + WITHIN_MS;
    for (;;) {
      const reported = (await observed()).filter((event) => event['detail-type'] === DETAIL_TYPES.installed && event.detail.version === version).map((event) => event.detail.host);
      if (expected.every((host) => reported.includes(host)) || Date.now() > deadline) return reported.sort();
      await sleep(50);
    }
  }

  it('three hosts join after the first issuance: each makes its own queue on the topic and installs the current version at start', async () => {
    const first = await renew();
    for (const name of ['mq-1', 'mq-2', 'mq-3']) await startHost(name);
    await allServe(hosts, first.serialNumber);
    const { QueueUrls = [] } = await pipeline.clients.sqs.send(new ListQueuesCommand({ QueueNamePrefix: group().queuePrefix }));
    expect(QueueUrls.map((url) => url.slice(url.lastIndexOf('/') + 1)).sort()).toEqual(['mq-1', 'mq-2', 'mq-3'].map((name) => hostQueueName(group().queuePrefix, name)));
    const { Subscriptions = [] } = await pipeline.clients.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: group().topicArn }));
    expect(Subscriptions.map((subscription) => subscription.Protocol)).toEqual(['sqs', 'sqs', 'sqs']);
    expect(await installedBy(first.version, ['mq-1', 'mq-2', 'mq-3'])).toEqual(['mq-1', 'mq-2', 'mq-3']);
  });

  it('each host queue is sent to by the topic alone, and dead-letters into the group DLQ (stored attributes)', async () => {
    const { QueueUrl } = await pipeline.clients.sqs.send(new GetQueueUrlCommand({ QueueName: hostQueueName(group().queuePrefix, 'mq-1') }));
    const { Attributes = {} } = await pipeline.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
    const policy = JSON.parse(Attributes.Policy!) as { Statement: { Effect: string; Principal: unknown; Action: string; Condition: Record<string, Record<string, string>> }[] };
    expect(policy.Statement.filter((statement) => statement.Action === 'sqs:SendMessage')).toEqual([
      expect.objectContaining({ Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Condition: { ArnEquals: { 'aws:SourceArn': group().topicArn } } }),
      expect.objectContaining({ Effect: 'Deny', Principal: '*', Condition: { ArnNotEquals: { 'aws:SourceArn': group().topicArn } } }),
    ]);
    expect(JSON.parse(Attributes.RedrivePolicy!)).toEqual({ deadLetterTargetArn: group().deadLetterQueueArn, maxReceiveCount: 5 });
  });

  it('a renewal reaches all three hosts: each installs, reloads and serves it, and says so with its host id', async () => {
    const reloadsBefore = hosts.map((host) => host.reloads.length);
    const second = await renew();
    await allServe(hosts, second.serialNumber);
    expect(hosts.map((host, index) => host.reloads.length - reloadsBefore[index]!)).toEqual([1, 1, 1]);
    expect(await installedBy(second.version, ['mq-1', 'mq-2', 'mq-3'])).toEqual(['mq-1', 'mq-2', 'mq-3']);
  });

  it('a host started after the renewal catches up at start', async () => {
    const late = await startHost('mq-4');
    await allServe([late], versions.at(-1)!.serialNumber);
  });

  it('forged messages on a host queue change nothing: another secret, an older version with a future notBefore, another certificate, garbage', async () => {
    // The queue policy keeps anyone but the topic out on AWS; the emulator does not enforce it, so this is what a host does if a message gets through anyway.
    const [target] = hosts;
    const { QueueUrl } = await pipeline.clients.sqs.send(new GetQueueUrlCommand({ QueueName: hostQueueName(group().queuePrefix, target!.name) }));
    const [older, current] = [versions.at(-2)!, versions.at(-1)!];
    const olderBundle = await new SecretsManagerCertificateSource(pipeline.clients.secrets, { secretPrefix: pipeline.resources.secretPrefix }).version(FLEET, older.version);
    const envelope = (detail: Record<string, unknown>, detailType: string = DETAIL_TYPES.renewed) => JSON.stringify({ source: 'certflow', 'detail-type': detailType, detail });
    const renewedOf = (bundle: typeof olderBundle) => ({
      certificateId: FLEET,
      version: bundle.version,
      location: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${pipeline.resources.secretPrefix}certificates/${FLEET}-AbCdEf`,
      names,
      serialNumber: bundle.metadata.serialNumber,
      notBefore: bundle.metadata.notBefore,
      notAfter: bundle.metadata.notAfter,
      fingerprintSha256: bundle.metadata.fingerprintSha256,
      keyType: bundle.metadata.keyType,
      formats: bundle.formats,
      executionId: 'forged',
    });
    const forged = [
      envelope({ ...renewedOf(olderBundle), version: '0c0ffee0-0000-4000-8000-000000000000', location: 'arn:aws:secretsmanager:us-east-1:999999999999:secret:elsewhere-AbCdEf', notBefore: new Date(Date.now() + 86_400_000).toISOString() }),
      envelope({ ...renewedOf(olderBundle), notBefore: new Date(Date.now() + 30 * 86_400_000).toISOString() }),
      envelope({ ...renewedOf(olderBundle), certificateId: 'someone-else' }),
      'not even JSON \u0000',
    ];
    const reloadsBefore = target!.reloads.length;
    const lines = logs.get(target!.name)!;
    const linesBefore = lines.length;
    for (const body of forged) await pipeline.clients.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body }));

    // One warning (or error) per forged message: the unknown version is left for redelivery (it could be a
    // read racing a write; a forged one ends in the DLQ and its alarm), the others are acknowledged.
    const expected = ['event handling failed', 'version refused: nothing installed', 'event ignored: certificate not managed here', 'event ignored: not a certflow store event'];
    const warned = () => lines.slice(linesBefore).map((line) => (JSON.parse(line) as { message: string }).message);
    const deadline = Date.now() + WITHIN_MS;
    while (!expected.every((message) => warned().includes(message)) && Date.now() < deadline) await sleep(50);
    expect(warned()).toEqual(expect.arrayContaining(expected));
    expect(warned()).not.toContain('version installed');
    expect(target!.reloads.length).toBe(reloadsBefore);
    expect(sameSerial(await target!.served(), current.serialNumber)).toBe(true);
    const installedVersion = JSON.parse(await fs.readFile(path.join(target!.installDir, 'live', FLEET, 'metadata.json'), 'utf8')) as { version: string };
    expect(installedVersion.version).toBe(current.version);
  });

  it('an announced rollback reaches every host: each serves the previous version again', async () => {
    const [older] = [versions.at(-2)!];
    const { from, to } = await pipeline.store.rollback(FLEET);
    expect(to).toBe(older.version);
    const now = (await pipeline.store.current(FLEET))!;
    const { serialNumber, notBefore, notAfter, fingerprintSha256 } = now.metadata;
    await new EventBridgePublisher(pipeline.clients.eventBridge, pipeline.resources.busName).rolledBack({ certificateId: FLEET, version: to, previousVersion: from, serialNumber, notBefore, notAfter, fingerprintSha256 });
    await allServe(hosts, older.serialNumber);
    // Each host reports the first version again: mq-1..3 installed it once before, mq-4 never had it.
    const rolledBackTo = await installedBy(older.version, ['mq-1', 'mq-2', 'mq-3', 'mq-4']);
    expect(rolledBackTo.filter((host) => host === 'mq-4')).toEqual(['mq-4']);
    expect(rolledBackTo.filter((host) => host === 'mq-1')).toHaveLength(2);
  });

  it('a host that leaves removes its queue and subscription; a host that vanished is swept by a peer once stale', async () => {
    const log = jsonLogger(() => {});
    const { sqs, sns } = pipeline.clients;
    const leaver = hosts.pop()!;
    await leaver.stop();
    const options = (hostId: string, now = () => new Date()) => ({ ...group(), hostId, staleAfterMs: 3 * 86_400_000, visibilityTimeoutSeconds: 600, maxReceiveCount: 5, now });
    await new HostQueue(sqs, sns, options(leaver.name), log).leave();

    // A host that vanished four days ago: its queue and subscription are still there, its heartbeat is old.
    const vanished = new HostQueue(sqs, sns, options('mq-gone', () => new Date(Date.now() - 4 * 86_400_000)), log);
    await vanished.join();
    const swept = await new HostQueue(sqs, sns, options('mq-1'), log).sweep();
    expect(swept).toEqual([hostQueueName(group().queuePrefix, 'mq-gone')]);

    const { QueueUrls = [] } = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: group().queuePrefix }));
    expect(QueueUrls.map((url) => url.slice(url.lastIndexOf('/') + 1)).sort()).toEqual(['mq-1', 'mq-2', 'mq-3'].map((name) => hostQueueName(group().queuePrefix, name)));
    const { Subscriptions = [] } = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: group().topicArn }));
    expect(Subscriptions.map((subscription) => subscription.Endpoint!.split(':').pop()).sort()).toEqual(['mq-1', 'mq-2', 'mq-3'].map((name) => hostQueueName(group().queuePrefix, name)));
  });

  it('a queue of the group prefix without a heartbeat tag is not the sweep\'s to judge', async () => {
    const { sqs, sns } = pipeline.clients;
    const name = `${group().queuePrefix}made-by-hand`;
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    await sns.send(new SubscribeCommand({ TopicArn: group().topicArn, Protocol: 'sqs', Endpoint: Attributes!.QueueArn }));
    const sweeper = new HostQueue(sqs, sns, { ...group(), hostId: 'mq-2', staleAfterMs: 1, visibilityTimeoutSeconds: 600, maxReceiveCount: 5, now: () => new Date(Date.now() + 86_400_000) }, jsonLogger(() => {}));
    // With a 1 ms limit and a clock a day ahead, every tagged peer would be stale: only those are removed.
    const swept = await sweeper.sweep();
    expect(swept).not.toContain(name);
    expect(swept.sort()).toEqual(['mq-1', 'mq-3'].map((host) => hostQueueName(group().queuePrefix, host)));
  });
});
