/**
 * A host group's members on AWS: the hosts whose queue is there. Each agent makes its own queue
 * `certflow-<group>-<host>` (ADR 0007); `--leave` deletes it and the peers sweep one silent for 3
 * days, so the queues are the group's roster, and a host gone from it is not counted as silent.
 *
 * API reference (ListQueues): https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ListQueues.html
 * ("QueueNamePrefix … only queues with a name that begins with the specified value are returned";
 * MaxResults up to 1,000 with NextToken).
 * Minimal IAM (infra/iam.ts groupQueues): sqs:ListQueues, which takes no resource.
 */
import { ListQueuesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { GroupQueues } from '../../ports';

/** Every queue URL whose name starts with `prefix`, all pages. */
export async function listQueueUrls(sqs: Pick<SQSClient, 'send'>, prefix: string): Promise<string[]> {
  const urls: string[] = [];
  let NextToken: string | undefined;
  do {
    const page = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: prefix, MaxResults: 1000, NextToken }));
    urls.push(...(page.QueueUrls ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return urls;
}

export class SqsGroupQueues implements GroupQueues {
  constructor(private readonly sqs: Pick<SQSClient, 'send'>) {}

  async queueNames(prefix: string): Promise<ReadonlySet<string>> {
    return new Set((await listQueueUrls(this.sqs, prefix)).map((url) => url.slice(url.lastIndexOf('/') + 1)));
  }
}
