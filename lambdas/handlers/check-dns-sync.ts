import type { StepDeps } from '../deps';
import type { DnsSyncState, OrderRef, StateFields } from '../state';
import { lambdaHandler } from '../runtime/lambda';

/** One poll: are the submitted changes served yet? The state machine does the waiting. */
export async function checkDnsSync(
  input: StateFields<'dns'> & Pick<OrderRef, 'records'>,
  deps: StepDeps<{ dns: 'isInSync' }>,
): Promise<DnsSyncState> {
  const done = await deps.dns.isInSync(input.dns.changes, input.records);
  return { changes: input.dns.changes, done, attempts: input.dns.attempts + 1 };
}

export const handler = lambdaHandler(checkDnsSync);
