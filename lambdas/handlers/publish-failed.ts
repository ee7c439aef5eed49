import { z } from 'zod';
import { CertificateRenewalFailedSchema } from '../../domain/contracts/events';
import { RenewalInProgress } from '../../domain/core/errors';
import type { StepDeps } from '../deps';
import type { CertificateRenewalFailedEvent } from '../../domain/ports';
import type { TaskFailure } from '../state';
import { lambdaHandler } from '../runtime/lambda';

export interface PublishFailedInput {
  /** The execution's raw input: it may be the invalid request itself. */
  readonly input: unknown;
  readonly failure: TaskFailure;
  readonly step: string;
  readonly executionId: string;
}

/** Lambda's Cause is a JSON document {errorType, errorMessage, trace}; keep only the message. */
export function failureMessage(cause: string | undefined): string {
  if (!cause) return 'no cause given';
  try {
    const parsed: unknown = JSON.parse(cause);
    if (typeof parsed === 'object' && parsed !== null && 'errorMessage' in parsed) return String(parsed.errorMessage);
  } catch {
    // not JSON: a Cause written by the state machine itself
  }
  return cause;
}

/**
 * The input's certificateId as the failed event carries it: any non-empty string, valid id or not
 * (the input may be the invalid request), cut to the event's 64 characters.
 */
const FailedInputSchema = z.object({
  certificateId: z
    .string()
    .min(1)
    .transform((id) => id.slice(0, 64))
    .pipe(CertificateRenewalFailedSchema.shape.certificateId),
});

function certificateIdOf(input: unknown): string {
  const parsed = FailedInputSchema.safeParse(input);
  return parsed.success ? parsed.data.certificateId : '(none)';
}

export async function publishFailed(
  input: PublishFailedInput,
  deps: StepDeps<{ events: 'failed'; store: 'currentVersion' | 'recordFailure' }>,
): Promise<CertificateRenewalFailedEvent> {
  const certificateId = certificateIdOf(input.input);
  // The version that stays current, from the inventory: this step reads no secret value.
  const currentVersion = certificateId === '(none)' ? undefined : await deps.store.currentVersion(certificateId).catch(() => undefined);
  const event: CertificateRenewalFailedEvent = {
    certificateId,
    step: input.step,
    error: input.failure.Error,
    message: failureMessage(input.failure.Cause),
    executionId: input.executionId,
    ...(currentVersion ? { currentVersion } : {}),
  };
  await deps.events.failed(event);
  // Another execution renewing the certificate is no failure of the certificate: the scan need not retry it.
  if (certificateId !== '(none)' && input.failure.Error !== RenewalInProgress.name) {
    await deps.store
      .recordFailure(certificateId, { at: deps.now().toISOString(), step: input.step, error: input.failure.Error })
      .catch((error: unknown) => deps.log.warn('could not record the failure', { reason: (error as Error).message }));
  }
  deps.log.warn('renewal failed', { ...event });
  return event;
}

export const handler = lambdaHandler(publishFailed);
