import type { StepDeps } from '../deps';
import type { DnsSyncState, OrderRef } from '../state';
import { lambdaHandler } from '../runtime/lambda';

export async function presentChallenges(input: Pick<OrderRef, 'records'>, deps: StepDeps<{ dns: 'present' }>): Promise<DnsSyncState> {
  const changes = await deps.dns.present(input.records);
  deps.log.info('challenge records presented', { records: input.records.map((record) => record.name), changes: changes.length });
  return { changes, done: false, attempts: 0 };
}

export const handler = lambdaHandler(presentChallenges);
