/**
 * The RevokeCertificate state machine (`certflow revoke`, the key-compromise runbook):
 *
 *   ValidateRevocation ▶ RevokeAtCa ▶ MarkRevoked ▶ PublishRevoked ▶ Reissue?
 *     ─ reissue ▶ Reissue (RenewCertificate.sync: a new order, so a new key) ▶ Reissued
 *     ─ otherwise ▶ Revoked
 *   any failure before Reissue ▶ PublishRevocationFailed ▶ Fail(named error)
 *   the reissue failing ▶ Fail(ReissueFailed) (the revocation stands; RenewCertificate announced its own failure)
 *
 * Nothing is written before the CA has revoked: a refused revocation leaves the store as it was.
 * Every step is safe to repeat (the CA answers `alreadyRevoked`, a store keeps its first mark), so a
 * revocation that failed after the CA revoked completes when run again. State carries ids and
 * public data only.
 */
import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { STEPS, type StepId } from '../lambdas/catalogue';
import { RETRIES, stepTask, taskTimeoutOf, type RenewalFunctions } from './renew-state-machine';
import { taskWorstCase } from './retry-budget';

/** The error a revocation whose reissue failed ends with. */
const REISSUE_FAILED = 'ReissueFailed';

export interface RevokeFlowProps {
  readonly fns: RenewalFunctions;
  /** What a reissue runs. */
  readonly renewCertificate: sfn.IStateMachine;
}

/**
 * Slack in a revocation's timeout for what no Task accounts for: state transitions, the Choice and
 * Pass states, and the moment Step Functions takes to see the reissue's child execution end.
 */
export const REVOCATION_TIMEOUT_MARGIN = Duration.minutes(1);

export class RevokeCertificateFlow extends Construct {
  readonly definition: sfn.IChainable;
  /**
   * The longest the steps before the reissue can take: each step's worst case (retry-budget.ts).
   * A revocation's timeout is this, plus the reissue's (RenewCertificate's timeout), plus
   * REVOCATION_TIMEOUT_MARGIN. The failure path (PublishRevocationFailed) replaces the reissue.
   */
  readonly beforeReissue: Duration;
  private readonly publishFailed: sfn.TaskStateBase;
  private worstCaseSeconds = 0;

  constructor(scope: Construct, id: string, private readonly props: RevokeFlowProps) {
    super(scope, id);

    // Failure path: announce once, fail with the step's error name.
    const revocationFailed = new sfn.Fail(this, 'RevocationFailed', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    this.publishFailed = this.task('PublishRevocationFailed', 'publish-revocation-failed');
    this.publishFailed.addCatch(revocationFailed, { resultPath: '$.publishFailure' });
    this.publishFailed.next(revocationFailed);

    const reissue = new tasks.StepFunctionsStartExecution(this, 'Reissue', {
      stateMachine: props.renewCertificate,
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      input: sfn.TaskInput.fromJsonPathAt('$.revoked.reissueInput'),
      resultSelector: { 'certificateId.$': '$.Output.certificateId', 'version.$': '$.Output.version', 'executionArn.$': '$.ExecutionArn' },
      resultPath: '$.reissued',
    });
    // The child's Cause (its DescribeExecution, as JSON) names its error; its own failure event went out.
    reissue.addCatch(new sfn.Fail(this, REISSUE_FAILED, { error: REISSUE_FAILED, causePath: '$.reissueFailure.Cause' }), {
      errors: [sfn.Errors.ALL],
      resultPath: '$.reissueFailure',
    });

    this.definition = sfn.Chain.start(this.step('ValidateRevocation', 'validate-revocation'))
      .next(this.step('RevokeAtCa', 'revoke-at-ca'))
      .next(this.step('MarkRevoked', 'mark-revoked'))
      .next(this.step('PublishRevoked', 'publish-revoked'))
      .next(
        new sfn.Choice(this, 'Reissue?')
          .when(sfn.Condition.booleanEquals('$.revocation.reissue', true), reissue.next(new sfn.Succeed(this, 'Reissued')))
          .otherwise(new sfn.Succeed(this, 'Revoked')),
      );
    this.beforeReissue = Duration.seconds(this.worstCaseSeconds);
  }

  private task(state: string, step: StepId) {
    return stepTask(this, { state, step, fn: this.props.fns[step] });
  }

  /** A step: its entry's retries, and any other error goes to the failure path once the failed state is noted. */
  private step(state: string, step: StepId) {
    const task = this.task(state, step);
    this.worstCaseSeconds += taskWorstCase(taskTimeoutOf(this.props.fns[step]), RETRIES[STEPS[step].retry]);
    const failedAt = new sfn.Pass(this, `${state} failed`, { result: sfn.Result.fromString(state), resultPath: '$.failedStep' }).next(this.publishFailed);
    task.addCatch(failedAt, { errors: [sfn.Errors.ALL], resultPath: '$.failure' });
    return task;
  }
}
