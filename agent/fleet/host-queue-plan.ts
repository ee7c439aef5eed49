/**
 * Fan-out to every host, pure part: each host of a group has a queue of its own, subscribed to the
 * group's SNS topic (ADR 0007). Its name, its policy and which peers' queues are stale are
 * decided here; agent/adapters/aws/host-queue.ts makes the calls.
 */
import { createHash } from 'node:crypto';
import { GROUP_NAME } from '../../domain/contracts/ids';

/** SQS queue names: 1–80 characters of [A-Za-z0-9_-]. */
const QUEUE_NAME_MAX = 80;
const HASH_LENGTH = 8;

/** `certflow-<group>-`: the agent's --queue-prefix, and the only queue names the group's host policy allows. */
export const hostQueuePrefix = (groupName: string) => `certflow-${groupName}-`;

/** The group a --queue-prefix names (`certflow-<group>-`), when it is one the stack made. */
export function groupOfQueuePrefix(queuePrefix: string): string | undefined {
  const group = /^certflow-(.+)-$/.exec(queuePrefix)?.[1];
  return group !== undefined && GROUP_NAME.test(group) ? group : undefined;
}

/** The tags an agent puts on its queue: who it is, and when it was last alive (the sweep reads it). */
export const HOST_QUEUE_TAGS = { host: 'certflow:host', lastSeen: 'certflow:last-seen' } as const;

/**
 * `<prefix><host>`: the host id made safe for a queue name. When it had to change (characters
 * replaced or cut), a hash of the original keeps two hosts from sharing a queue.
 */
export function hostQueueName(queuePrefix: string, hostId: string): string {
  if (!/^[A-Za-z0-9_-]{1,60}$/.test(queuePrefix)) throw new Error(`queue prefix '${queuePrefix.slice(0, 100)}' must be 1–60 characters of A-Z a-z 0-9 _ -`);
  const room = QUEUE_NAME_MAX - queuePrefix.length;
  const safe = hostId.replace(/[^A-Za-z0-9_-]/g, '-');
  if (safe === hostId && safe.length > 0 && safe.length <= room) return `${queuePrefix}${safe}`;
  const hash = createHash('sha256').update(hostId).digest('hex').slice(0, HASH_LENGTH);
  return `${queuePrefix}${safe.slice(0, Math.max(0, room - HASH_LENGTH - 1))}-${hash}`;
}

/**
 * Groups whose host queues could mix: group `brokers` has queues `certflow-brokers-*`, which take
 * in every queue of a group `brokers-eu` (its host policy and its sweep would cover them), and
 * host `eu-x` of `brokers` and host `x` of `brokers-eu` would share `certflow-brokers-eu-x`.
 * Such names are refused by the config: each pair [covering, covered].
 */
export function overlappingGroups(names: readonly string[]): [string, string][] {
  return names.flatMap((a) => names.filter((b) => a !== b && b.startsWith(`${a}-`)).map((b): [string, string] => [a, b]));
}

/** `arn:aws:sqs:<region>:<account>:<name>`, in the topic's partition, region and account. */
export function queueArnBesideTopic(topicArn: string, queueName: string): string {
  const parts = topicArn.split(':');
  if (parts.length !== 6 || parts[0] !== 'arn' || parts[2] !== 'sns') throw new Error(`'${topicArn.slice(0, 100)}' is not an SNS topic ARN`);
  const [, partition, , region, account] = parts;
  return `arn:${partition}:sqs:${region}:${account}:${queueName}`;
}

/**
 * Only the group's topic may send to a host queue. The Allow lets SNS deliver; the Deny stops
 * everyone else, IAM principals of this account included (`ArnNotEquals` is true when a request
 * has no aws:SourceArn at all, as a direct SendMessage has not).
 */
export function hostQueuePolicy(queueArn: string, topicArn: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'GroupTopicDelivers',
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        Condition: { ArnEquals: { 'aws:SourceArn': topicArn } },
      },
      {
        Sid: 'NoOtherSender',
        Effect: 'Deny',
        Principal: '*',
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        Condition: { ArnNotEquals: { 'aws:SourceArn': topicArn } },
      },
      {
        Sid: 'TlsOnly',
        Effect: 'Deny',
        Principal: '*',
        Action: 'sqs:*',
        Resource: queueArn,
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ],
  });
}

export interface PeerQueue {
  readonly url: string;
  readonly name: string;
  /** The peer's `certflow:last-seen` tag; undefined when the queue carries none. */
  readonly lastSeen?: string;
}

/**
 * The peers' queues to remove: last seen longer ago than `staleAfterMs`. A queue without a
 * readable last-seen tag is not ours to judge and stays; so does this host's own queue.
 */
export function staleHostQueues(peers: readonly PeerQueue[], ownName: string, now: Date, staleAfterMs: number): PeerQueue[] {
  return peers.filter((peer) => {
    if (peer.name === ownName || peer.lastSeen === undefined) return false;
    const seen = Date.parse(peer.lastSeen);
    return Number.isFinite(seen) && now.getTime() - seen > staleAfterMs;
  });
}
