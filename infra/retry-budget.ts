/**
 * How long a Task state can take at worst, from what its definition says: each attempt may run
 * until the task's timeout, and between attempts each Retry rule waits IntervalSeconds ×
 * BackoffRate^k, capped at MaxDelaySeconds (FULL jitter only shortens the waits). Each rule keeps
 * its own count, so a task whose errors alternate between rules runs 1 + Σ MaxAttempts times.
 * Defaults as in the Amazon States Language: IntervalSeconds 1, MaxAttempts 3, BackoffRate 2.0.
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html#error-handling-retrying-after-an-error
 */
import type { Duration } from 'aws-cdk-lib';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';

/** A Retry rule in the Amazon States Language's terms. */
export interface Retrier {
  readonly IntervalSeconds?: number;
  readonly MaxAttempts?: number;
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
}

/** The longest a rule makes its task wait, over all its retries. */
export function retryWaitSeconds({ IntervalSeconds = 1, MaxAttempts = 3, BackoffRate = 2, MaxDelaySeconds = Infinity }: Retrier): number {
  let total = 0;
  for (let retry = 0; retry < MaxAttempts; retry += 1) total += Math.min(IntervalSeconds * BackoffRate ** retry, MaxDelaySeconds);
  return total;
}

/** A task's worst case: every attempt until its timeout, and every wait between them. */
export function taskWorstCaseSeconds(timeoutSeconds: number, retriers: readonly Retrier[]): number {
  const attempts = 1 + retriers.reduce((sum, { MaxAttempts = 3 }) => sum + MaxAttempts, 0);
  return attempts * timeoutSeconds + retriers.reduce((sum, retrier) => sum + retryWaitSeconds(retrier), 0);
}

/** CDK's RetryProps as the Retry block it renders. */
export const asRetrier = (props: sfn.RetryProps): Retrier => ({
  ...(props.interval ? { IntervalSeconds: props.interval.toSeconds() } : {}),
  ...(props.maxAttempts !== undefined ? { MaxAttempts: props.maxAttempts } : {}),
  ...(props.backoffRate !== undefined ? { BackoffRate: props.backoffRate } : {}),
  ...(props.maxDelay ? { MaxDelaySeconds: props.maxDelay.toSeconds() } : {}),
});

/** The worst case of a task with this timeout and these Retry rules. */
export const taskWorstCase = (timeout: Duration, retries: readonly sfn.RetryProps[]): number => taskWorstCaseSeconds(timeout.toSeconds(), retries.map(asRetrier));
