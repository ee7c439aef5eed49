/**
 * The RenewCertificate state machine. The definition reads like the flow:
 *
 *   Validate ▶ CreateOrder ▶ PresentChallenges ▶ (Wait ▶ DnsInSync?)* ▶ AnswerChallenges
 *     ▶ (Wait ▶ OrderReady?)* ▶ Finalize ▶ (Wait ▶ CertificateIssued?)* ▶ PackageAndStore
 *     ▶ PublishRenewed ▶ CleanupChallenges ▶ Succeed
 *   any failure ▶ CleanupAfterFailure ▶ PublishFailed ▶ Fail(named error)
 *
 * State carries URLs, ids and public data only. Every wait is a bounded Wait + Choice loop.
 */
import { Duration } from 'aws-cdk-lib';
import { Function as LambdaFunction, type IFunction } from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { AcmeRateLimited, LOOP_TIMEOUT_ERRORS, RETRYABLE_ERRORS } from '../lambdas/core/errors';
import type { StepId } from '../lambdas/step-ids';
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

export function taskTimeoutFor(fn: IFunction): sfn.Timeout {
  const timeout = fn instanceof LambdaFunction ? fn.timeout : undefined;
  if (!timeout) throw new Error(`${fn.node.path}: a Lambda task's timeout is derived from its function's timeout, which is not known here`);
  return sfn.Timeout.duration(timeout.plus(TASK_TIMEOUT_MARGIN));
}

export const TRANSIENT_RETRY = {
  errors: [...RETRYABLE_ERRORS.filter((name) => name !== AcmeRateLimited.name), ...LAMBDA_TRANSIENT_ERRORS],
  interval: Duration.seconds(2),
  maxAttempts: 5,
  backoffRate: 2,
  maxDelay: Duration.seconds(30),
  jitterStrategy: sfn.JitterType.FULL,
};

// CA rate limits ask for minutes, not seconds (Let's Encrypt sends Retry-After in that range).
export const RATE_LIMIT_RETRY = {
  errors: [AcmeRateLimited.name],
  interval: Duration.seconds(30),
  maxAttempts: 4,
  backoffRate: 2,
  maxDelay: Duration.minutes(5),
  jitterStrategy: sfn.JitterType.FULL,
};

export type RenewalFunctions = Record<StepId, IFunction>;
/** No Parameters: the task receives the whole state as its input. */
const WHOLE_INPUT = 'whole input';
type Payload = typeof WHOLE_INPUT | Record<string, unknown>;

export class RenewCertificateFlow extends Construct {
  readonly definition: sfn.IChainable;
  private readonly failedAt = new Map<string, sfn.Pass>();
  private readonly cleanupAfterFailure: sfn.TaskStateBase;
  private readonly publishFailed: sfn.TaskStateBase;

  constructor(scope: Construct, id: string, private readonly fns: RenewalFunctions, poll: CertflowConfig['poll']) {
    super(scope, id);

    // Failure path, shared by every step: clean up, announce, fail with the step's error name.
    const renewalFailed = new sfn.Fail(this, 'RenewalFailed', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    this.publishFailed = this.invoke('PublishFailed', 'publish-failed', {
      'input.$': '$$.Execution.Input',
      'failure.$': '$.failure',
      'step.$': '$.failedStep',
      'executionId.$': '$$.Execution.Id',
    });
    this.publishFailed.addCatch(renewalFailed, { resultPath: '$.publishFailure' });
    this.publishFailed.next(renewalFailed);
    this.cleanupAfterFailure = this.invoke('CleanupAfterFailure', 'cleanup-after-failure', { 'state.$': '$' });
    this.cleanupAfterFailure.addCatch(this.publishFailed, { resultPath: '$.cleanupFailure' });
    this.cleanupAfterFailure.next(this.publishFailed);

    const validateRequest = this.step('ValidateRequest', 'validate-request', WHOLE_INPUT, '$.request', this.publishFailed);
    // Validated request replaces the raw input, so later steps only ever see normalized data.
    const keepRequestOnly = new sfn.Pass(this, 'RequestAccepted', { parameters: { 'request.$': '$.request' } });

    const cleanupChallenges = this.invoke('CleanupChallenges', 'cleanup-challenges', { 'records.$': '$.order.records' });
    // The certificate is already current and announced; a leftover TXT record fails the
    // execution loudly (for an operator) but is not a failed renewal.
    cleanupChallenges.addCatch(
      new sfn.Fail(this, 'ChallengeCleanupFailed', { errorPath: '$.cleanupFailure.Error', causePath: '$.cleanupFailure.Cause' }),
      { resultPath: '$.cleanupFailure' },
    );

    this.definition = sfn.Chain.start(validateRequest)
      .next(keepRequestOnly)
      .next(this.step('CreateOrder', 'create-order', { 'request.$': '$.request' }, '$.order'))
      .next(this.step('PresentChallenges', 'present-challenges', { 'records.$': '$.order.records' }, '$.dns'))
      .next(
        this.pollUntil('DnsInSync', 'CheckDnsSync', 'check-dns-sync', '$.dns', poll.dnsSync, LOOP_TIMEOUT_ERRORS.dnsSync, {
          'dns.$': '$.dns',
          'records.$': '$.order.records',
        }),
      )
      .next(this.step('AnswerChallenges', 'answer-challenges', { 'request.$': '$.request', 'order.$': '$.order' }, '$.validation'))
      .next(
        this.pollUntil('OrderReady', 'CheckOrder', 'check-order', '$.validation', poll.orderReady, LOOP_TIMEOUT_ERRORS.orderReady, {
          'request.$': '$.request',
          'order.$': '$.order',
          'validation.$': '$.validation',
        }),
      )
      .next(this.step('FinalizeOrder', 'finalize-order', { 'request.$': '$.request', 'order.$': '$.order', 'validation.$': '$.validation' }, '$.issuance'))
      .next(
        this.pollUntil(
          'CertificateIssued',
          'CheckCertificate',
          'check-certificate',
          '$.issuance',
          poll.certificateIssued,
          LOOP_TIMEOUT_ERRORS.certificateIssued,
          { 'request.$': '$.request', 'order.$': '$.order', 'issuance.$': '$.issuance' },
        ),
      )
      .next(
        this.step(
          'PackageAndStore',
          'package-and-store',
          { 'request.$': '$.request', 'order.$': '$.order', 'issuance.$': '$.issuance' },
          '$.certificate',
        ),
      )
      .next(
        this.step('PublishRenewed', 'publish-renewed', { 'certificate.$': '$.certificate', 'executionId.$': '$$.Execution.Id' }, sfn.JsonPath.DISCARD),
      )
      .next(cleanupChallenges)
      .next(new sfn.Succeed(this, 'Renewed', { outputPath: '$.certificate' }));
  }

  /** A Lambda task with retries only (used on the failure path itself). */
  private invoke(stateName: string, stepId: StepId, payload: Payload, resultPath: string = sfn.JsonPath.DISCARD) {
    const task = new tasks.LambdaInvoke(this, stateName, {
      lambdaFunction: this.fns[stepId],
      ...(payload === WHOLE_INPUT ? {} : { payload: sfn.TaskInput.fromObject(payload) }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false, // covered by TRANSIENT_RETRY
      resultPath,
      taskTimeout: taskTimeoutFor(this.fns[stepId]),
    });
    task.addRetry(TRANSIENT_RETRY);
    return task;
  }

  /** A step of the happy path: retries, and any other error goes to the failure path. */
  private step(
    stateName: string,
    stepId: StepId,
    payload: Payload,
    resultPath: string,
    onFailure: sfn.IChainable = this.cleanupAfterFailure,
  ) {
    const task = this.invoke(stateName, stepId, payload, resultPath);
    task.addRetry(RATE_LIMIT_RETRY);
    task.addCatch(this.recordFailedStep(stateName, onFailure), { errors: [sfn.Errors.ALL], resultPath: '$.failure' });
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
   * Wait ▶ Check ▶ Choice, looping while `<path>.done` is false, at most `limits.maxAttempts`
   * times, then failing with `timeoutError`. The fragment continues (Choice default) when done.
   */
  private pollUntil(
    name: string,
    checkState: string,
    stepId: StepId,
    path: string,
    limits: PollLimits,
    timeoutError: string,
    payload: Record<string, unknown>,
  ): sfn.IChainable {
    const wait = new sfn.Wait(this, `Wait ${name}`, { time: sfn.WaitTime.duration(Duration.seconds(limits.waitSeconds)) });
    const check = this.step(checkState, stepId, payload, path);
    const timedOut = new sfn.Pass(this, `${name} timed out`, {
      result: sfn.Result.fromObject({ Error: timeoutError, Cause: `${name}: not done after ${limits.maxAttempts} checks, ${limits.waitSeconds}s apart` }),
      resultPath: '$.failure',
    }).next(this.recordFailedStep(checkState, this.cleanupAfterFailure));
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
