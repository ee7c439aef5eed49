/**
 * The AWS error names that mean "slow down", for every service certflow calls: the one list the
 * AWS adapters read to turn a throttled call into their retryable error, and the state machine's
 * transient Retry (infra/renew-state-machine.ts) matches for a call no adapter translates. The SDK
 * has retried these already (standard mode, 3 attempts); one that still comes through is retried
 * by the state machine, seconds later.
 *
 * The SDK's own list (@smithy/service-error-classification THROTTLING_ERROR_CODES) without
 * `LimitExceededException`, which Secrets Manager and AWS Private CA answer for a quota (too many
 * versions, certificates): final, not a rate.
 */
export const AWS_THROTTLING_ERRORS = [
  'Throttling', // Route 53, STS
  'ThrottlingException', // Secrets Manager, EventBridge, Step Functions, KMS, AWS Private CA
  'ThrottledException',
  'TooManyRequestsException', // Lambda
  'RequestLimitExceeded', // EC2-style APIs
  'RequestThrottled', // SQS
  'RequestThrottledException',
  'PriorRequestNotComplete', // Route 53: a change to the same records still in progress
  'ProvisionedThroughputExceededException',
  'TransactionInProgressException',
  'BandwidthLimitExceeded',
  'SlowDown',
  'EC2ThrottledException',
] as const;

const THROTTLING: ReadonlySet<string> = new Set(AWS_THROTTLING_ERRORS);

/** An SDK error's name ('' for anything that has none). */
export const awsErrorName = (error: unknown): string => (error as { name?: unknown } | undefined)?.name?.toString() ?? '';

/** A throttled AWS call: a name of the list, or HTTP 429 whatever the name. */
export function isThrottled(error: unknown): boolean {
  return THROTTLING.has(awsErrorName(error)) || (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode === 429;
}
