import type { Client } from 'acme-client';
import { accountClient } from '../acme/account';
import { acmeCall } from '../acme/client';
import { fetchOrder } from '../acme/order';
import { AcmeRequestRejected } from '../../domain/core/errors';
import type { StepDeps } from '../deps';
import type { OrderPollState, StateFields } from '../state';
import { lambdaHandler } from '../runtime/lambda';

type Challenge = Parameters<Client['completeChallenge']>[0];

/** Status of each challenge of the order, by URL (one authorization read per name). */
async function challengeStatuses(client: Client, orderUrl: string): Promise<Map<string, string>> {
  const authorizations = await acmeCall('get authorizations', async () => client.getAuthorizations(await fetchOrder(client, orderUrl)));
  return new Map(authorizations.flatMap((authz) => authz.challenges.map((challenge) => [challenge.url, challenge.status] as const)));
}

/**
 * Tell the CA the TXT records are in place (RFC 8555 §7.5.1). Safe to repeat: when a retry
 * re-answers a challenge the CA already moved on from, a strict CA refuses ("only status
 * pending"); the challenge's own status then says it was answered.
 */
export async function answerChallenges(
  input: StateFields<'request' | 'order'>,
  deps: StepDeps<{ store: 'account' }>,
): Promise<OrderPollState> {
  const client = await accountClient(input.request, input.order.accountUrl, deps);
  const refused: { url: string; error: AcmeRequestRejected }[] = [];
  const results = await Promise.allSettled(
    input.order.challengeUrls.map(async (url) => {
      try {
        await acmeCall('answer challenge', () => client.completeChallenge({ url, type: 'dns-01' } as Challenge));
      } catch (error) {
        if (!(error instanceof AcmeRequestRejected)) throw error;
        refused.push({ url, error });
      }
    }),
  );
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
  if (refused.length > 0) {
    const statuses = await challengeStatuses(client, input.order.orderUrl);
    const stillPending = refused.find(({ url }) => (statuses.get(url) ?? 'pending') === 'pending');
    if (stillPending) throw stillPending.error;
  }
  return { status: 'pending', done: false, attempts: 0 };
}

export const handler = lambdaHandler(answerChallenges);
