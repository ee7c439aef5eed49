/**
 * RevokeCertificate run locally: the synthesized definition on the local executor, its Reissue task
 * (startExecution.sync:2 on AWS) running a RenewCertificate execution on `renew` and answering as
 * Step Functions does (a failed child: States.TaskFailed, its DescribeExecution as the Cause).
 */
import type { StepDeps } from '../lambdas/deps';
import type { LocalDefinition } from './definition';
import { LocalExecutor } from './runner';

const REVOKE_MACHINE_NAME = 'RevokeCertificate';

export function revocationExecutor(
  definition: LocalDefinition,
  deps: StepDeps,
  renew: LocalExecutor,
  explainStepError: (error: unknown) => unknown = (error) => error,
): LocalExecutor {
  return new LocalExecutor(
    definition,
    deps,
    {
      Reissue: async (parameters) => {
        const child = await renew.run((parameters as { Input: unknown }).Input);
        if (child.status === 'SUCCEEDED') return { Output: child.output, Status: 'SUCCEEDED', ExecutionArn: child.executionId };
        const failure = new Error(JSON.stringify({ ExecutionArn: child.executionId, Status: 'FAILED', Error: child.error, Cause: child.cause }));
        failure.name = 'States.TaskFailed';
        throw failure;
      },
    },
    explainStepError,
    REVOKE_MACHINE_NAME,
  );
}

/** The reissued execution's error and cause, from a RevokeCertificate that failed with ReissueFailed (its Cause is the child's DescribeExecution). */
export function reissueFailureOf(cause: string | undefined): { error?: string; cause?: string; executionArn?: string } {
  try {
    const parsed = JSON.parse(cause ?? '') as { Error?: unknown; Cause?: unknown; ExecutionArn?: unknown };
    return {
      ...(typeof parsed.Error === 'string' ? { error: parsed.Error } : {}),
      ...(typeof parsed.Cause === 'string' ? { cause: parsed.Cause } : {}),
      ...(typeof parsed.ExecutionArn === 'string' ? { executionArn: parsed.ExecutionArn } : {}),
    };
  } catch {
    return {};
  }
}
