/**
 * ExecutionStatus on AWS: DescribeExecution. An execution stopped with StopExecution (ABORTED), timed
 * out, failed or succeeded is over; a RUNNING one (or PENDING_REDRIVE, or a status this code does not
 * know) is not. An id that is not a Step Functions execution ARN cannot be told.
 *
 * Minimal IAM: states:DescribeExecution on arn:aws:states:<region>:<account>:execution:certflow-RenewCertificate:*
 * (infra/iam.ts, capability executionStatus).
 */
import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { ExecutionStatus } from '../../ports';

/** The final statuses (API reference, DescribeExecution `status`); any other may still run. */
const OVER = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);

export class StepFunctionsExecutions implements ExecutionStatus {
  constructor(private readonly client: SFNClient) {}

  async isGone(executionId: string): Promise<boolean> {
    if (!/^arn:aws[a-z-]*:states:[^:]+:\d{12}:execution:/.test(executionId)) return false;
    try {
      const { status } = await this.client.send(new DescribeExecutionCommand({ executionArn: executionId }));
      return status !== undefined && OVER.has(status);
    } catch (error) {
      // Executions are kept 90 days after they close: one that does not exist is long over.
      if ((error as Error).name === 'ExecutionDoesNotExist') return true;
      throw error;
    }
  }
}

StepFunctionsExecutions satisfies new (client: SFNClient) => ExecutionStatus;
