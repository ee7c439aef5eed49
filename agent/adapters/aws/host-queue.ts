/**
 * This host's own queue on the group's topic (ADR 0007): created or brought up to date at start,
 * subscribed with raw delivery (the body is the EventBridge event, as on any queue target),
 * tagged with a heartbeat, and removed by `leave` (scale-in) or, once stale, by any peer's sweep.
 *
 * Minimal IAM (the host policy, infra/subscriber.ts): sqs:* calls below on queues named
 * `<queuePrefix>*` only, sqs:ListQueues, sns:Subscribe/Unsubscribe/ListSubscriptionsByTopic on the
 * group's topic. Hosts cannot send to any queue (sqs:SendMessage is not granted, and each queue's
 * policy denies every sender but the topic).
 */
import {
  ListSubscriptionsByTopicCommand,
  SubscribeCommand,
  UnsubscribeCommand,
  type SNSClient,
} from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueUrlCommand,
  ListQueueTagsCommand,
  SetQueueAttributesCommand,
  TagQueueCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { listQueueUrls } from '../../../domain/adapters/aws/group-queues';
import type { Logger } from '../../../domain/ports';
import { HOST_QUEUE_TAGS, hostQueueName, hostQueuePolicy, queueArnBesideTopic, staleHostQueues, type PeerQueue } from '../../fleet/host-queue-plan';

export interface HostQueueOptions {
  /** The group's topic (stack output). */
  readonly topicArn: string;
  /** The group's dead-letter queue: every host queue redrives there, so one alarm watches them all. */
  readonly deadLetterQueueArn: string;
  /** `certflow-<group>-` (stack output); the host policy allows queues with this prefix only. */
  readonly queuePrefix: string;
  readonly hostId: string;
  /** A peer queue whose heartbeat is older than this is removed by the sweep. */
  readonly staleAfterMs: number;
  /** Longer than a reload plus its rollback. */
  readonly visibilityTimeoutSeconds: number;
  readonly maxReceiveCount: number;
  readonly now: () => Date;
}

export interface JoinedQueue {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly subscriptionArn: string;
  readonly created: boolean;
}

/** A host that was off catches up from the store at start, so the queue need not keep messages long. */
const RETENTION_SECONDS = 4 * 24 * 3600;

export const isMissingQueue = (error: unknown) => ['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue'].includes((error as Error).name);

export class HostQueue {
  readonly queueName: string;
  readonly queueArn: string;

  constructor(
    private readonly sqs: Pick<SQSClient, 'send'>,
    private readonly sns: Pick<SNSClient, 'send'>,
    private readonly options: HostQueueOptions,
    private readonly log: Logger,
  ) {
    this.queueName = hostQueueName(options.queuePrefix, options.hostId);
    this.queueArn = queueArnBesideTopic(options.topicArn, this.queueName);
  }

  private attributes(): Record<string, string> {
    const { deadLetterQueueArn, maxReceiveCount, visibilityTimeoutSeconds, topicArn } = this.options;
    return {
      Policy: hostQueuePolicy(this.queueArn, topicArn),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterQueueArn, maxReceiveCount }),
      VisibilityTimeout: String(visibilityTimeoutSeconds),
      MessageRetentionPeriod: String(RETENTION_SECONDS),
      ReceiveMessageWaitTimeSeconds: '20',
      SqsManagedSseEnabled: 'true',
    };
  }

  private tags(): Record<string, string> {
    return { [HOST_QUEUE_TAGS.host]: this.options.hostId.slice(0, 256), [HOST_QUEUE_TAGS.lastSeen]: this.options.now().toISOString() };
  }

  /**
   * Make sure the queue exists with today's settings and is subscribed. Idempotent: a restarted
   * host finds its queue (and what arrived while it was down) and its subscription as they were.
   */
  async join(): Promise<JoinedQueue> {
    let queueUrl = await this.ownQueueUrl();
    const created = queueUrl === undefined;
    if (queueUrl === undefined) {
      ({ QueueUrl: queueUrl } = await this.sqs.send(new CreateQueueCommand({ QueueName: this.queueName, Attributes: this.attributes(), tags: this.tags() })));
    } else {
      await this.sqs.send(new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: this.attributes() }));
      await this.sqs.send(new TagQueueCommand({ QueueUrl: queueUrl, Tags: this.tags() }));
    }
    // Subscribe is idempotent for the same topic, protocol, endpoint and attributes: it returns the existing subscription.
    const { SubscriptionArn } = await this.sns.send(
      new SubscribeCommand({
        TopicArn: this.options.topicArn,
        Protocol: 'sqs',
        Endpoint: this.queueArn,
        Attributes: { RawMessageDelivery: 'true' },
        ReturnSubscriptionArn: true,
      }),
    );
    const joined = { queueUrl: queueUrl!, queueArn: this.queueArn, subscriptionArn: SubscriptionArn!, created };
    this.log.info(created ? 'host queue created and subscribed' : 'host queue found and subscribed', { ...joined, topicArn: this.options.topicArn });
    return joined;
  }

  /** Say this host is alive (the sweep of every peer reads it). */
  async heartbeat(queueUrl: string): Promise<void> {
    await this.sqs.send(new TagQueueCommand({ QueueUrl: queueUrl, Tags: { [HOST_QUEUE_TAGS.lastSeen]: this.options.now().toISOString() } }));
  }

  /** Remove the queues (and subscriptions) of peers not seen for `staleAfterMs`: hosts that went away without `leave`. */
  async sweep(): Promise<string[]> {
    const peers: PeerQueue[] = [];
    for (const url of await this.groupQueueUrls()) {
      const name = url.slice(url.lastIndexOf('/') + 1);
      let lastSeen: string | undefined;
      try {
        const { Tags = {} } = await this.sqs.send(new ListQueueTagsCommand({ QueueUrl: url }));
        lastSeen = Tags[HOST_QUEUE_TAGS.lastSeen];
      } catch (error) {
        if (isMissingQueue(error)) continue; // removed meanwhile (another peer's sweep)
        throw error;
      }
      peers.push({ url, name, lastSeen });
    }
    const stale = staleHostQueues(peers, this.queueName, this.options.now(), this.options.staleAfterMs);
    for (const peer of stale) {
      await this.remove(peer.url, queueArnBesideTopic(this.options.topicArn, peer.name));
      this.log.warn('stale host queue removed', { queueUrl: peer.url, lastSeen: peer.lastSeen, staleAfterMs: this.options.staleAfterMs });
    }
    return stale.map((peer) => peer.name);
  }

  /** This host leaves the group for good (scale-in): nothing of it is left to cost or alarm. */
  async leave(): Promise<void> {
    const queueUrl = await this.ownQueueUrl();
    await this.remove(queueUrl, this.queueArn);
    this.log.info('host queue removed', { queueName: this.queueName });
  }

  /** This host's queue URL, or undefined while it has none. */
  private async ownQueueUrl(): Promise<string | undefined> {
    try {
      return (await this.sqs.send(new GetQueueUrlCommand({ QueueName: this.queueName }))).QueueUrl;
    } catch (error) {
      if (isMissingQueue(error)) return undefined;
      throw error;
    }
  }

  private async remove(queueUrl: string | undefined, queueArn: string): Promise<void> {
    for (const subscriptionArn of await this.subscriptionsOf(queueArn)) {
      await this.sns.send(new UnsubscribeCommand({ SubscriptionArn: subscriptionArn }));
    }
    if (queueUrl === undefined) return;
    try {
      await this.sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    } catch (error) {
      if (!isMissingQueue(error)) throw error;
    }
  }

  private groupQueueUrls(): Promise<string[]> {
    return listQueueUrls(this.sqs, this.options.queuePrefix);
  }

  private async subscriptionsOf(queueArn: string): Promise<string[]> {
    const found: string[] = [];
    let NextToken: string | undefined;
    do {
      const page = await this.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: this.options.topicArn, NextToken }));
      for (const subscription of page.Subscriptions ?? []) {
        if (subscription.Endpoint === queueArn && subscription.SubscriptionArn?.startsWith('arn:')) found.push(subscription.SubscriptionArn);
      }
      NextToken = page.NextToken;
    } while (NextToken);
    return found;
  }
}
