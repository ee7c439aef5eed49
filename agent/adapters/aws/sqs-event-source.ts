/**
 * Event source on AWS: the subscriber group's SQS queue, fed by an EventBridge rule with the
 * full event envelope as the message body (infra/subscriber.ts). A message is deleted only
 * when handled; a failed one is left alone, comes back after the visibility timeout and, after
 * maxReceiveCount deliveries, moves to the dead-letter queue.
 *
 * Minimal IAM for the host (what infra/subscriber.ts grants):
 *   sqs:ReceiveMessage, sqs:DeleteMessage, sqs:GetQueueAttributes   on the queue
 *   (sqs:ChangeMessageVisibility is granted as well; the agent itself does not call it)
 */
import { DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { EventSource, ReceivedEvent } from '../../ports';

const RECEIVE_WAIT_SECONDS = 20;
const RECEIVE_BATCH = 10;

export interface QueueSettings {
  readonly visibilityTimeoutSeconds: number;
  /** From the redrive policy; undefined when the queue has no dead-letter queue. */
  readonly maxReceiveCount: number | undefined;
}

function parseBody(body: string | undefined): unknown {
  try {
    return JSON.parse(body ?? '');
  } catch {
    return body;
  }
}

export class SqsEventSource implements EventSource {
  constructor(
    private readonly client: Pick<SQSClient, 'send'>,
    readonly queueUrl: string,
  ) {}

  async receive(signal?: AbortSignal): Promise<ReceivedEvent[]> {
    const { Messages = [] } = await this.client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.queueUrl,
        MaxNumberOfMessages: RECEIVE_BATCH,
        WaitTimeSeconds: RECEIVE_WAIT_SECONDS,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
      { abortSignal: signal },
    );
    return Messages.flatMap((message) =>
      message.MessageId && message.ReceiptHandle
        ? [{ id: message.MessageId, receipt: message.ReceiptHandle, envelope: parseBody(message.Body), receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 1) }]
        : [],
    );
  }

  async ack(event: ReceivedEvent): Promise<void> {
    await this.client.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: event.receipt }));
  }

  /** Nothing to do: the visibility timeout returns the message, the redrive policy dead-letters it. */
  async release(_event: ReceivedEvent): Promise<void> {}

  /** The queue's visibility timeout and redrive limit; also proves the URL and permissions at start-up. */
  async settings(): Promise<QueueSettings> {
    const { Attributes = {} } = await this.client.send(
      new GetQueueAttributesCommand({ QueueUrl: this.queueUrl, AttributeNames: ['VisibilityTimeout', 'RedrivePolicy'] }),
    );
    const redrive = Attributes.RedrivePolicy ? (JSON.parse(Attributes.RedrivePolicy) as { maxReceiveCount?: number | string }) : undefined;
    return {
      visibilityTimeoutSeconds: Number(Attributes.VisibilityTimeout ?? 30),
      maxReceiveCount: redrive?.maxReceiveCount === undefined ? undefined : Number(redrive.maxReceiveCount),
    };
  }
}

SqsEventSource satisfies new (client: SQSClient, queueUrl: string) => EventSource;
