import { z } from 'zod';
import { CertificateRevocationFailedSchema } from '../../domain/contracts/events';
import type { CertificateRevocationFailedEvent } from '../../domain/ports';
import type { StepDeps } from '../deps';
import type { FailureState, RevocationState } from '../state';
import { lambdaHandler } from '../runtime/lambda';
import { failureMessage } from './publish-failed';

/** The input's certificateId as the event carries it: any non-empty string, cut to 64 characters. */
const FailedInputSchema = z.object({
  certificateId: z
    .string()
    .min(1)
    .transform((id) => id.slice(0, 64))
    .pipe(CertificateRevocationFailedSchema.shape.certificateId),
});

/**
 * The failure path of RevokeCertificate: one "Certificate Revocation Failed" naming the state and
 * the error. Nothing else: every step before it either wrote nothing or is idempotent, so the
 * store is as it was and running the revocation again completes it.
 */
export async function publishRevocationFailed(
  input: { readonly input: unknown; readonly state: FailureState & RevocationState; readonly executionId: string },
  deps: StepDeps<{ events: 'revocationFailed' }>,
): Promise<CertificateRevocationFailedEvent> {
  const { state } = input;
  const parsed = FailedInputSchema.safeParse(input.input);
  const version = state.revoked?.version ?? state.revocation?.version;
  const event: CertificateRevocationFailedEvent = {
    certificateId: parsed.success ? parsed.data.certificateId : '(none)',
    step: state.failedStep,
    error: state.failure.Error,
    message: failureMessage(state.failure.Cause),
    executionId: input.executionId,
    ...(version !== undefined ? { version } : {}),
  };
  await deps.events.revocationFailed(event);
  deps.log.warn('revocation failed', { ...event });
  return event;
}

export const handler = lambdaHandler(publishRevocationFailed);
