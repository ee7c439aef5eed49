import type * as acme from 'acme-client';
import { registeredClient } from '../acme/account';
import { acmeCall } from '../acme/client';
import { challengeRecordName } from '../../domain/core/dns-names';
import { RENEWAL_TIMEOUT_MS } from '../../domain/core/durations';
import { AcmeRequestRejected } from '../../domain/core/errors';
import type { StepDeps } from '../deps';
import type { OrderRef, StateFields } from '../state';
import { lambdaHandler } from '../runtime/lambda';
import { takeLease } from '../lease/take-lease';

/**
 * Take the certificate's renewal lease (another execution renewing it: RenewalInProgress, before any
 * ACME call), then place the order, note it on the lease, and read its challenges. The cleanup steps
 * give the lease back.
 */
export async function createOrder(
  input: StateFields<'request'> & { readonly executionId: string },
  deps: StepDeps<{ store: 'account' | 'saveAccountUrl' | 'readSecret' | 'acquireLease'; executions: 'isGone' }>,
): Promise<OrderRef> {
  const { request } = input;
  const now = deps.now();
  const lease = { certificateId: request.certificateId, holder: input.executionId, expiresAt: new Date(now.getTime() + RENEWAL_TIMEOUT_MS) };
  await takeLease(lease, deps);
  const { client, accountUrl } = await registeredClient(request, deps);
  // acme-client 5.4 passes fields it does not know (profile, replaces) through to newOrder.
  const fields = { identifiers: request.names.map((name) => ({ type: 'dns', value: name })), ...(request.acmeProfile ? { profile: request.acmeProfile.name } : {}) };
  const order: acme.Order & { profile?: unknown } = await acmeCall('create order', () =>
    client.createOrder({ ...fields, ...(request.replaces ? { replaces: request.replaces } : {}) } as Parameters<typeof client.createOrder>[0]),
  ).catch(async (error: unknown) => {
    // RFC 9773 §5: a CA may refuse `replaces` (already replaced, unknown certificate): order without it.
    if (!request.replaces || !(error instanceof AcmeRequestRejected)) throw error;
    deps.log.warn('CA refused replaces; ordering without it', { reason: error.message });
    return acmeCall('create order', () => client.createOrder(fields as Parameters<typeof client.createOrder>[0]));
  });
  const authorizations = await acmeCall('get authorizations', () => client.getAuthorizations(order));

  // Authorizations the CA already holds as valid (reuse) need no challenge.
  const pending = authorizations.filter((authz: acme.Authorization) => authz.status === 'pending');
  const answers = await Promise.all(
    pending.map(async (authz) => {
      const challenge = authz.challenges.find((candidate) => candidate.type === 'dns-01');
      if (!challenge) throw new AcmeRequestRejected(`CA offers no dns-01 challenge for ${authz.identifier.value}`);
      const value = await acmeCall('key authorization', () => client.getChallengeKeyAuthorization(challenge));
      return { challengeUrl: challenge.url, record: { name: challengeRecordName(authz.identifier.value), value } };
    }),
  );
  // On the lease: should this execution be stopped, whoever takes the lease over cleans these up.
  await deps.store.acquireLease({ ...lease, order: { orderUrl: order.url, records: answers.map((answer) => answer.record) } }, now);
  deps.log.info('order created', {
    certificateId: request.certificateId,
    orderUrl: order.url,
    finalizeUrl: order.finalize,
    authorizations: authorizations.length,
    toValidate: answers.length,
    profile: order.profile,
  });
  return {
    accountUrl,
    orderUrl: order.url,
    finalizeUrl: order.finalize,
    challengeUrls: answers.map((answer) => answer.challengeUrl),
    records: answers.map((answer) => answer.record),
    // The profile the CA put on the order (its default when we named none), as it says.
    ...(typeof order.profile === 'string' ? { profile: order.profile } : {}),
  };
}

export const handler = lambdaHandler(createOrder);
