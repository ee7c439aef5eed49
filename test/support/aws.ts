/**
 * The AWS endpoint of this test run (test/support/global-setup.ts): the emulator in
 * ../shared/aws-emulator, or AWS_ENDPOINT_URL (LocalStack, a sandbox account). Suites that need
 * it use `describe.skipIf(!aws.endpoint)` and print `aws.skipReason`.
 */
import { randomBytes } from 'node:crypto';
import { DescribeExecutionCommand, type SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { inject, vi } from 'vitest';
import { EMULATOR_ENVIRONMENT } from '../../local/aws-emulator';

const endpoint = inject('awsEndpoint');
const isEmulator = inject('awsIsEmulator');

export const aws = {
  endpoint,
  isEmulator,
  skipReason: inject('awsSkipReason'),
  region: isEmulator ? EMULATOR_ENVIRONMENT.AWS_REGION : (process.env.AWS_REGION ?? 'us-east-1'),
};

if (!endpoint) console.warn(`AWS tests skipped: ${aws.skipReason}`);

/** Options for every SDK client in a test: the endpoint, and test credentials for the emulator. */
export function awsClientConfig() {
  return {
    endpoint: aws.endpoint,
    region: aws.region,
    ...(aws.isEmulator ? { credentials: { accessKeyId: EMULATOR_ENVIRONMENT.AWS_ACCESS_KEY_ID, secretAccessKey: EMULATOR_ENVIRONMENT.AWS_SECRET_ACCESS_KEY } } : {}),
  };
}

/** A short random suffix: suites share one emulator, so every resource name is their own. */
export const uniqueSuffix = () => randomBytes(4).toString('hex');

/**
 * StopExecution, then wait (bounded) until DescribeExecution reports ABORTED. The emulator runs each
 * execution in a worker thread and shows the stop once that thread has seen it, so under load a
 * describe right after the stop can still read RUNNING; StopExecution's reference promises nothing
 * sooner either (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StopExecution.html).
 */
export async function stopExecution(sfn: SFNClient, executionArn: string, reason: { error?: string; cause?: string } = {}): Promise<void> {
  await sfn.send(new StopExecutionCommand({ executionArn, ...reason }));
  await vi.waitFor(async () => {
    const { status } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (status !== 'ABORTED') throw new Error(`${executionArn} still ${status}`);
  }, { timeout: 15_000, interval: 100 });
}
