import type { Client } from 'acme-client';
import { accountClient } from '../acme/account';
import { acmeCall } from '../acme/client';
import type { StepDeps } from '../deps';
import type { CertificateRequest, OrderPollState, OrderRef } from '../state';
import { lambdaHandler } from '../runtime/lambda';

/** Tell the CA the TXT records are in place (RFC 8555 §7.5.1). Safe to repeat. */
export async function answerChallenges(
  input: { request: CertificateRequest; order: OrderRef },
  deps: StepDeps,
): Promise<OrderPollState> {
  const client = await accountClient(input.request, input.order.accountUrl, deps);
  await Promise.all(
    input.order.challengeUrls.map((url) =>
      acmeCall('answer challenge', () => client.completeChallenge({ url, type: 'dns-01' } as Parameters<Client['completeChallenge']>[0])),
    ),
  );
  return { status: 'pending', done: false, attempts: 0 };
}

export const handler = lambdaHandler(answerChallenges);
