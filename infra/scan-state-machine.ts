/**
 * The ScanCertificates state machine, started by an EventBridge schedule:
 *
 *   AdvanceRotation ▶ ScanInventory ▶ RenewDue (Map, bounded concurrency: RenewCertificate.sync per due certificate,
 *   each its own execution — scheduled and manual renewals look the same; a private issuance's
 *   execution is named privateCa-<uuid>, as it counts against no order budget) ▶ Scanned
 *
 * The scan Lambda decides what is due within the CA's order budget; what does not fit waits for
 * the next scan. AdvanceRotation first moves a private root's rotation on when the hosts' reports
 * pass its phase's gate (ADR 0013); the reissues that phase needs lead the scan's requests. A failed renewal is recorded in the scan's output (and announced by its own
 * "Certificate Renewal Failed"); the other renewals go on.
 */
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { PRIVATE_EXECUTION_PREFIX } from '../domain/core/scan-selection';
import { stepTask } from './renew-state-machine';

export interface ScanFlowProps {
  readonly scanFunction: IFunction;
  readonly advanceRotationFunction: IFunction;
  readonly renewCertificate: sfn.IStateMachine;
  /** RenewCertificate executions running at once. */
  readonly maxConcurrency: number;
}

export class ScanFlow extends Construct {
  readonly definition: sfn.IChainable;

  constructor(scope: Construct, id: string, props: ScanFlowProps) {
    super(scope, id);
    const advance = stepTask(this, { state: 'AdvanceRotation', step: 'advance-rotation', fn: props.advanceRotationFunction });
    const scan = stepTask(this, { state: 'ScanInventory', step: 'scan-inventory', fn: props.scanFunction });
    // A rotation that cannot be read or moved (its retries spent) never stops the renewals: the scan goes on without it.
    const rotationUnread = new sfn.Pass(this, 'RotationUnread', {
      parameters: { active: false, reissue: [], 'error.$': '$.rotationFailure.Error' },
      resultPath: '$.rotation',
    });
    advance.addCatch(rotationUnread, { errors: [sfn.Errors.ALL], resultPath: '$.rotationFailure' });
    rotationUnread.next(scan);

    const renewalFailed = new sfn.Pass(this, 'RenewalFailed', {
      // The child's Cause too: `certflow renew --all` shows why (AWS: the failed execution's description, JSON).
      parameters: { 'certificateId.$': '$.certificateId', status: 'FAILED', 'error.$': '$.failure.Error', 'cause.$': '$.failure.Cause' },
    });
    const startRenewal = (id: string, name?: string) => {
      const task = new tasks.StepFunctionsStartExecution(this, id, {
        stateMachine: props.renewCertificate,
        integrationPattern: sfn.IntegrationPattern.RUN_JOB,
        input: sfn.TaskInput.fromJsonPathAt('$'),
        ...(name ? { name } : {}),
        resultSelector: { 'certificateId.$': '$.Output.certificateId', 'version.$': '$.Output.version', status: 'SUCCEEDED' },
      });
      return task.addCatch(renewalFailed, { errors: [sfn.Errors.ALL], resultPath: '$.failure' });
    };
    // The order ledger tells a private issuance by its execution's name (domain/adapters/aws/sfn-order-ledger.ts).
    const renewPrivate = startRenewal('RenewPrivateCertificate', sfn.JsonPath.format(`${PRIVATE_EXECUTION_PREFIX}{}`, sfn.JsonPath.uuid()));
    const renew = new sfn.Choice(this, 'OrderBudget?')
      .when(sfn.Condition.and(sfn.Condition.isPresent('$.issuer'), sfn.Condition.stringEquals('$.issuer', 'privateCa')), renewPrivate)
      .otherwise(startRenewal('RenewCertificate'));

    const renewDue = new sfn.Map(this, 'RenewDue', {
      itemsPath: '$.scan.requests',
      maxConcurrency: props.maxConcurrency,
      resultPath: '$.outcomes',
    }).itemProcessor(renew);

    this.definition = sfn.Chain.start(advance)
      .next(scan)
      .next(renewDue)
      .next(new sfn.Pass(this, 'Scanned', { parameters: { 'summary.$': '$.scan.summary', 'outcomes.$': '$.outcomes', 'rotation.$': '$.rotation' } }));
  }
}
