import type { StepDeps } from '../deps';
import type { DnsSyncState } from '../state';
import { lambdaHandler } from '../runtime/lambda';

/** One poll: are the submitted changes served yet? The state machine does the waiting. */
export async function checkDnsSync(input: DnsSyncState, deps: StepDeps): Promise<DnsSyncState> {
  const done = await deps.dns.isInSync(input.changes);
  return { changes: input.changes, done, attempts: input.attempts + 1 };
}

export const handler = lambdaHandler(checkDnsSync);
