/**
 * This host's queue, healed: when the queue is gone (deleted by hand, by a peer's sweep that
 * judged this host stale, by a stack update), the next receive re-creates it and subscribes it
 * again (`HostQueue.join`, idempotent) and goes on listening there, instead of failing every
 * receive forever. What was published while it was gone is caught up by reconcile (the store is
 * the truth). On AWS a queue name can be re-created 60 s after its deletion: until then the join
 * fails and the event loop retries after its back-off.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from '../../../domain/ports';
import type { EventSource, ReceivedEvent } from '../../ports';
import { isMissingQueue, type HostQueue } from './host-queue';
import { SqsEventSource } from './sqs-event-source';

export class HealingQueueSource implements EventSource {
  private current: SqsEventSource;

  constructor(
    private readonly client: Pick<SQSClient, 'send'>,
    private readonly hostQueue: Pick<HostQueue, 'join' | 'queueName'>,
    queueUrl: string,
    private readonly log: Logger,
  ) {
    this.current = new SqsEventSource(client, queueUrl);
  }

  get queueUrl(): string {
    return this.current.queueUrl;
  }

  /** The queue's settings (start-up checks). */
  settings() {
    return this.current.settings();
  }

  async receive(signal?: AbortSignal): Promise<ReceivedEvent[]> {
    try {
      return await this.current.receive(signal);
    } catch (error) {
      if (!isMissingQueue(error) || signal?.aborted) throw error;
      this.log.warn('host queue is gone; creating and subscribing it again', { queueName: this.hostQueue.queueName, queueUrl: this.current.queueUrl });
      const { queueUrl } = await this.hostQueue.join();
      this.current = new SqsEventSource(this.client, queueUrl);
      return [];
    }
  }

  ack(event: ReceivedEvent): Promise<void> {
    return this.current.ack(event);
  }

  release(event: ReceivedEvent): Promise<void> {
    return this.current.release(event);
  }
}
