/**
 * The RenewCertificate state machine. The definition reads like the flow:
 *
 *   Validate ▶ Issuer?
 *     acme (default): CreateOrder ▶ PresentChallenges ▶ (Wait ▶ DnsInSync?)* ▶ AnswerChallenges
 *       ▶ (Wait ▶ OrderReady?)* ▶ Finalize ▶ (Wait ▶ CertificateIssued?)* ▶ PackageAndStore
 *       ▶ PublishRenewed ▶ CleanupChallenges ▶ Succeed
 *     privateCa: IssuePrivate ▶ (Wait ▶ PrivateCertificateIssued?)* ▶ PackageAndStorePrivate
 *       ▶ PublishPrivateRenewed ▶ ReleasePrivate ▶ Succeed
 *   any failure ▶ CleanupAfterFailure (private path: CleanupPrivateAfterFailure) ▶ PublishFailed ▶ Fail(named error)
 *
 * State carries URLs, ids and public data only. Every wait is a bounded Wait + Choice loop.
 */
import { Duration } from 'aws-cdk-lib';
import { Function as LambdaFunction, type IFunction } from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { AWS_THROTTLING_ERRORS } from '../domain/adapters/aws/throttling';
import { AcmeRateLimited, LOOP_TIMEOUT_ERRORS, RETRYABLE_ERRORS } from '../domain/core/errors';
import { STEPS, WHOLE_INPUT, type RetryClass, type StepId } from '../lambdas/catalogue';
import type { CertflowConfig, PollLimits } from './config';

const LAMBDA_TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
  // A function that hit its own timeout: `Sandbox.Timedout` on current runtimes, `Lambda.Unknown` on
  // older ones (which also covers running out of memory). Every step is safe to run again.
  // https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
  // https://docs.aws.amazon.com/lambda/latest/dg/troubleshooting-invocation.html#troubleshooting-timeouts
  'Sandbox.Timedout',
  'Lambda.Unknown',
  'States.Timeout',
];

/**
 * The function's own timeout ends a stuck step (and is retried above); the task timeout is only a
 * backstop for an invocation that never returns. The margin covers a cold start whose Init phase
 * ran into its 10 s limit and was run again inside the invocation.
 */
export const TASK_TIMEOUT_MARGIN = Duration.seconds(15);

/** A Lambda task's timeout: its function's own, plus TASK_TIMEOUT_MARGIN. */
export function taskTimeoutOf(fn: IFunction): Duration {
  const timeout = fn instanceof LambdaFunction ? fn.timeout : undefined;
  if (!timeout) throw new Error(`${fn.node.path}: a Lambda task's timeout is derived from its function's timeout, which is not known here`);
  return timeout.plus(TASK_TIMEOUT_MARGIN);
}

const taskTimeoutFor = (fn: IFunction): sfn.Timeout => sfn.Timeout.duration(taskTimeoutOf(fn));

export const TRANSIENT_RETRY = {
  // A throttled AWS call that no adapter names as its own error (Step Functions' DescribeExecution, ListExecutions) is transient too.
  errors: [...RETRYABLE_ERRORS.filter((name) => name !== AcmeRateLimited.name), ...AWS_THROTTLING_ERRORS, ...LAMBDA_TRANSIENT_ERRORS],
  interval: Duration.seconds(2),
  maxAttempts: 5,
  backoffRate: 2,
  maxDelay: Duration.seconds(30),
  jitterStrategy: sfn.JitterType.FULL,
};

// CA rate limits ask for minutes, not seconds (Let's Encrypt sends Retry-After in that range). Which CA
// answers are rate limits, and which (a 503 among them) are transient: caAnswerError, lambdas/acme/client.ts.
export const RATE_LIMIT_RETRY = {
  errors: [AcmeRateLimited.name],
  interval: Duration.seconds(30),
  maxAttempts: 4,
  backoffRate: 2,
  maxDelay: Duration.minutes(5),
  jitterStrategy: sfn.JitterType.FULL,
};

/** Each catalogue entry's retry class, as Retry rules in order. */
export const RETRIES: Readonly<Record<RetryClass, readonly sfn.RetryProps[]>> = {
  'rate-limited': [TRANSIENT_RETRY, RATE_LIMIT_RETRY],
  transient: [TRANSIENT_RETRY],
};

export type RenewalFunctions = Record<StepId, IFunction>;

export interface StepTaskOptions {
  /** The state's name in the definition. */
  readonly state: string;
  readonly step: StepId;
  readonly fn: IFunction;
}

/** The Lambda task of a catalogue step: payload, result path and retries from its entry. */
export function stepTask(scope: Construct, { state, step, fn }: StepTaskOptions): tasks.LambdaInvoke {
  const { payload, resultPath, retry, logKeys } = STEPS[step];
  // Every step's logger puts the execution (and the certificate) on each line: both travel in the payload.
  const fields = payload === WHOLE_INPUT ? undefined : { ...payload, ...logKeys, executionId: '$$.Execution.Id' };
  const task = new tasks.LambdaInvoke(scope, state, {
    lambdaFunction: fn,
    // `{ order: '$.order' }` → Parameters `{ 'order.$': '$.order' }`.
    ...(fields ? { payload: sfn.TaskInput.fromObject(Object.fromEntries(Object.entries(fields).map(([field, path]) => [`${field}.$`, path]))) } : {}),
    payloadResponseOnly: true,
    retryOnServiceExceptions: false, // covered by TRANSIENT_RETRY
    resultPath: resultPath ?? sfn.JsonPath.DISCARD,
    taskTimeout: taskTimeoutFor(fn),
  });
  for (const rule of RETRIES[retry]) task.addRetry(rule);
  return task;
}

export interface StepOptions {
  /** The state's name in the definition. */
  readonly state: string;
  readonly step: StepId;
  /** Where any other error goes, once the failed state is noted; the failure path's cleanup by default. */
  readonly onFailure?: sfn.IChainable;
}

export interface PollOptions {
  /** Names the loop's states: `Wait <name>`, `<name>?`, `<name> timed out`. */
  readonly name: string;
  /** The check's state name. */
  readonly check: string;
  /** The check's step; its result path holds `done` and `attempts`. */
  readonly step: StepId;
  readonly limits: PollLimits;
  /** The error a loop that runs out of attempts fails with. */
  readonly timeoutError: string;
  /** Where the check's failures and the timeout go; the ACME path's cleanup by default. */
  readonly onFailure?: sfn.IChainable;
}

export class RenewCertificateFlow extends Construct {
  readonly definition: sfn.IChainable;
  private readonly failedAt = new Map<string, sfn.Pass>();
  private readonly cleanupAfterFailure: sfn.TaskStateBase;
  private readonly cleanupPrivateAfterFailure: sfn.TaskStateBase;
  private readonly publishFailed: sfn.TaskStateBase;

  constructor(scope: Construct, id: string, private readonly fns: RenewalFunctions, poll: CertflowConfig['poll']) {
    super(scope, id);

    // Failure path, shared by every step: clean up, announce, fail with the step's error name.
    const renewalFailed = new sfn.Fail(this, 'RenewalFailed', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    this.publishFailed = this.task('PublishFailed', 'publish-failed');
    this.publishFailed.addCatch(renewalFailed, { resultPath: '$.publishFailure' });
    this.publishFailed.next(renewalFailed);
    this.cleanupAfterFailure = this.task('CleanupAfterFailure', 'cleanup-after-failure');
    this.cleanupAfterFailure.addCatch(this.publishFailed, { resultPath: '$.cleanupFailure' });
    this.cleanupAfterFailure.next(this.publishFailed);
    // The private path's own: it holds no DNS right, as that path writes no record.
    this.cleanupPrivateAfterFailure = this.task('CleanupPrivateAfterFailure', 'cleanup-private-after-failure');
    this.cleanupPrivateAfterFailure.addCatch(this.publishFailed, { resultPath: '$.cleanupFailure' });
    this.cleanupPrivateAfterFailure.next(this.publishFailed);

    const validateRequest = this.step({ state: 'ValidateRequest', step: 'validate-request', onFailure: this.publishFailed });
    // Validated request replaces the raw input, so later steps only ever see normalized data.
    const keepRequestOnly = new sfn.Pass(this, 'RequestAccepted', { parameters: { 'request.$': '$.request' } });

    const cleanupChallenges = this.task('CleanupChallenges', 'cleanup-challenges');
    // The certificate is already current and announced; a leftover TXT record fails the
    // execution loudly (for an operator) but is not a failed renewal.
    cleanupChallenges.addCatch(
      new sfn.Fail(this, 'ChallengeCleanupFailed', { errorPath: '$.cleanupFailure.Error', causePath: '$.cleanupFailure.Cause' }),
      { resultPath: '$.cleanupFailure' },
    );

    const renewed = new sfn.Succeed(this, 'Renewed', { outputPath: '$.certificate' });
    const acmePath = sfn.Chain.start(this.step({ state: 'CreateOrder', step: 'create-order' }))
      .next(this.step({ state: 'PresentChallenges', step: 'present-challenges' }))
      .next(this.pollUntil({ name: 'DnsInSync', check: 'CheckDnsSync', step: 'check-dns-sync', limits: poll.dnsSync, timeoutError: LOOP_TIMEOUT_ERRORS.dnsSync }))
      .next(this.step({ state: 'AnswerChallenges', step: 'answer-challenges' }))
      .next(this.pollUntil({ name: 'OrderReady', check: 'CheckOrder', step: 'check-order', limits: poll.orderReady, timeoutError: LOOP_TIMEOUT_ERRORS.orderReady }))
      .next(this.step({ state: 'FinalizeOrder', step: 'finalize-order' }))
      .next(
        this.pollUntil({
          name: 'CertificateIssued',
          check: 'CheckCertificate',
          step: 'check-certificate',
          limits: poll.certificateIssued,
          timeoutError: LOOP_TIMEOUT_ERRORS.certificateIssued,
        }),
      )
      .next(this.step({ state: 'PackageAndStore', step: 'package-and-store' }))
      .next(this.step({ state: 'PublishRenewed', step: 'publish-renewed' }))
      .next(cleanupChallenges)
      .next(renewed);

    // The private path: a CSR to the private CA, GetCertificate polled here (never a sleep in a Lambda),
    // then the same packaging, store, event and agents.
    const onPrivateFailure = this.cleanupPrivateAfterFailure;
    const releasePrivate = this.task('ReleasePrivate', 'release-private');
    releasePrivate.addCatch(
      new sfn.Fail(this, 'PrivateReleaseFailed', { errorPath: '$.cleanupFailure.Error', causePath: '$.cleanupFailure.Cause' }),
      { resultPath: '$.cleanupFailure' },
    );
    const privatePath = sfn.Chain.start(this.step({ state: 'IssuePrivate', step: 'issue-private', onFailure: onPrivateFailure }))
      .next(
        this.pollUntil({
          name: 'PrivateCertificateIssued',
          check: 'CheckPrivateCertificate',
          step: 'check-private-certificate',
          limits: poll.certificateIssued,
          timeoutError: LOOP_TIMEOUT_ERRORS.certificateIssued,
          onFailure: onPrivateFailure,
        }),
      )
      .next(this.step({ state: 'PackageAndStorePrivate', step: 'package-and-store-private', onFailure: onPrivateFailure }))
      .next(this.step({ state: 'PublishPrivateRenewed', step: 'publish-renewed', onFailure: onPrivateFailure }))
      .next(releasePrivate)
      .next(renewed);

    const issuer = new sfn.Choice(this, 'Issuer?')
      .when(sfn.Condition.and(sfn.Condition.isPresent('$.request.issuer'), sfn.Condition.stringEquals('$.request.issuer', 'privateCa')), privatePath)
      .otherwise(acmePath);
    this.definition = sfn.Chain.start(validateRequest).next(keepRequestOnly).next(issuer);
  }

  /** A Lambda task with its entry's retries only (the failure path itself, the final cleanup). */
  private task(state: string, step: StepId) {
    return stepTask(this, { state, step, fn: this.fns[step] });
  }

  /** A step of the happy path: retries, and any other error goes to the failure path. */
  private step({ state, step, onFailure = this.cleanupAfterFailure }: StepOptions) {
    const task = this.task(state, step);
    task.addCatch(this.recordFailedStep(state, onFailure), { errors: [sfn.Errors.ALL], resultPath: '$.failure' });
    return task;
  }

  /** Notes which step failed (Catch keeps only Error and Cause) before the failure path runs. */
  private recordFailedStep(stateName: string, next: sfn.IChainable): sfn.Pass {
    let pass = this.failedAt.get(stateName);
    if (!pass) {
      pass = new sfn.Pass(this, `${stateName} failed`, { result: sfn.Result.fromString(stateName), resultPath: '$.failedStep' });
      pass.next(next);
      this.failedAt.set(stateName, pass);
    }
    return pass;
  }

  /**
   * Wait ▶ Check ▶ Choice, looping while the check's `<resultPath>.done` is false, at most
   * `limits.maxAttempts` times, then failing with `timeoutError`. The fragment continues (Choice
   * default) when done.
   */
  private pollUntil({ name, check: checkState, step, limits, timeoutError, onFailure = this.cleanupAfterFailure }: PollOptions): sfn.IChainable {
    const path = STEPS[step].resultPath;
    if (!path) throw new Error(`${step}: a poll's check must keep its result (its catalogue entry has no resultPath)`);
    const wait = new sfn.Wait(this, `Wait ${name}`, { time: sfn.WaitTime.duration(Duration.seconds(limits.waitSeconds)) });
    const check = this.step({ state: checkState, step, onFailure });
    const timedOut = new sfn.Pass(this, `${name} timed out`, {
      result: sfn.Result.fromObject({ Error: timeoutError, Cause: `${name}: not done after ${limits.maxAttempts} checks, ${limits.waitSeconds}s apart` }),
      resultPath: '$.failure',
    }).next(this.recordFailedStep(checkState, onFailure));
    const notDone = sfn.Condition.booleanEquals(`${path}.done`, false);
    const choice = new sfn.Choice(this, `${name}?`)
      .when(sfn.Condition.and(notDone, sfn.Condition.numberLessThan(`${path}.attempts`, limits.maxAttempts)), wait)
      .when(notDone, timedOut);
    wait.next(check).next(choice);
    return new PollLoop(this, `${name} loop`, wait, choice.afterwards({ includeOtherwise: true }).endStates);
  }
}

/** Lets a loop sit in a chain: enters at its Wait, continues from its Choice's default. */
class PollLoop extends sfn.StateMachineFragment {
  constructor(
    scope: Construct,
    id: string,
    readonly startState: sfn.State,
    readonly endStates: sfn.INextable[],
  ) {
    super(scope, id);
  }
}
