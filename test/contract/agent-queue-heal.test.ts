/**
 * An agent whose queue is deleted while it runs heals it (issue #20 point 7): the next receive
 * re-creates the queue, subscribes it to the group's topic again and listens there; a message
 * published afterwards reaches it. Against the AWS API emulator (moto), which deletes queues at
 * once and lets a name be re-created at once (AWS makes it wait 60 s: the join then fails and
 * the event loop retries after its back-off). The receive in flight is a 20 s long poll: the heal
 * comes when it ends (measured ≈ 20 s here).
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateTopicCommand, DeleteTopicCommand, ListSubscriptionsByTopicCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { startAgent, type RunningAgent } from '../../agent';
import { hostQueueName } from '../../agent/fleet/host-queue-plan';
import { aws, awsClientConfig, uniqueSuffix } from '../support/aws';

const run = uniqueSuffix();

describe.skipIf(!aws.endpoint)(`the agent heals its queue on ${aws.endpoint || `(skipped: ${aws.skipReason})`}`, () => {
  const sqs = new SQSClient(awsClientConfig());
  const sns = new SNSClient(awsClientConfig());
  const queuePrefix = `certflow-heal${run}-`;
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it('re-creates and re-subscribes a queue deleted under it, and receives there', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: `certflow-heal-${run}` }));
    cleanups.push(() => sns.send(new DeleteTopicCommand({ TopicArn })));
    const { QueueUrl: dlqUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `certflow-heal-${run}-dlq` }));
    cleanups.push(() => sqs.send(new DeleteQueueCommand({ QueueUrl: dlqUrl })));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }));
    const installDir = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-heal-'));
    cleanups.push(() => fs.rm(installDir, { recursive: true, force: true }));
    const lines: { message: string; [key: string]: unknown }[] = [];

    const agent: RunningAgent = await startAgent({
      certificateIds: ['heal-mine'],
      installDir,
      host: 'h1',
      reconcileIntervalMs: 0,
      logSink: (line) => lines.push(JSON.parse(line) as { message: string }),
      source: {
        kind: 'aws', topicArn: TopicArn!, deadLetterQueueArn: Attributes!.QueueArn!, queuePrefix, secretPrefix: `certflow-heal-${run}/`,
        sqsClient: sqs, snsClient: sns, secretsManagerClient: new SecretsManagerClient(awsClientConfig()),
      },
    });
    cleanups.push(() => agent.stop());
    const name = hostQueueName(queuePrefix, 'h1');
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    cleanups.push(() => sqs.send(new DeleteQueueCommand({ QueueUrl })));

    await sqs.send(new DeleteQueueCommand({ QueueUrl }));
    const deletedAt = Date.now();
    const until = async (what: string, found: () => boolean, timeoutMs = 45_000) => {
      while (!found()) {
        if (Date.now() - deletedAt > timeoutMs) throw new Error(`timed out waiting for ${what}: ${lines.map((line) => line.message).join(' | ')}`);
        await sleep(100);
      }
    };
    await until('the heal', () => lines.filter((line) => line.message === 'host queue created and subscribed').length === 2);
    expect(lines.find((line) => line.message === 'host queue is gone; creating and subscribing it again')).toMatchObject({ queueName: name });
    expect(lines.filter((line) => line.message === 'receiving events failed')).toEqual([]);
    const { Subscriptions = [] } = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }));
    expect(Subscriptions.filter((subscription) => subscription.Endpoint?.endsWith(`:${name}`))).not.toHaveLength(0);

    // A message on the topic now reaches the healed queue (an event for a certificate another host manages: ignored and acknowledged).
    const envelope = { version: '0', id: run, source: 'certflow', 'detail-type': 'Certificate Renewed', time: new Date().toISOString(), detail: { certificateId: 'heal-other', version: '1', serialNumber: '01ab', notBefore: new Date().toISOString(), fingerprintSha256: 'a'.repeat(64) } };
    await sns.send(new PublishCommand({ TopicArn, Message: JSON.stringify(envelope) }));
    await until('the event on the healed queue', () => lines.some((line) => line.message === 'event acknowledged'));
    expect(lines.find((line) => line.message === 'event ignored: certificate not managed here')).toMatchObject({ certificateId: 'heal-other' });
  });
});
