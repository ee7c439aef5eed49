import type { Order } from 'acme-client';
import { accountClient } from '../acme/account';
import { csrFor } from '../issued/csr';
import { acmeCall } from '../acme/client';
import { fetchOrder, orderInvalid } from '../acme/order';
import { generatePrivateKey } from '../../domain/core/certificate';
import { AcmeRequestRejected } from '../../domain/core/errors';
import { issuanceVerdict } from '../../domain/core/order-status';
import type { StepDeps } from '../deps';
import type { IssuancePollState, StateFields } from '../state';
import { lambdaHandler } from '../runtime/lambda';

/**
 * Generate the key here, hand it straight to the store as a pending version, and send the CSR.
 * A retry finds the same pending key (keyed by order); if the first attempt's finalize went
 * through, the CA refuses a second one and the order's own status says where we are.
 */
export async function finalizeOrder(
  input: StateFields<'request' | 'order' | 'validation'>,
  deps: StepDeps<{ store: 'account' | 'pendingKey' }>,
): Promise<IssuancePollState> {
  const { request, order } = input;
  const client = await accountClient(request, order.accountUrl, deps);
  const { pending, privateKeyPem } = await deps.store.pendingKey(request.certificateId, order.orderUrl, () =>
    generatePrivateKey(request.keyType),
  );
  let status = input.validation.status;
  if (status === 'ready') {
    const csr = await csrFor(request.names, privateKeyPem);
    try {
      const finalized = await acmeCall('finalize order', () =>
        client.finalizeOrder({ url: order.orderUrl, finalize: order.finalizeUrl } as Order, csr),
      );
      status = finalized.status;
    } catch (error) {
      if (!(error instanceof AcmeRequestRejected)) throw error;
      status = (await fetchOrder(client, order.orderUrl)).status;
      if (status !== 'processing' && status !== 'valid') throw error; // the CA refused this CSR
    }
  }
  const verdict = issuanceVerdict(status);
  if (verdict === 'failed') throw await orderInvalid(client, await fetchOrder(client, order.orderUrl));
  deps.log.info('order finalized', { status, pendingId: pending.pendingId });
  return { status, pending, done: false, attempts: 0 };
}

export const handler = lambdaHandler(finalizeOrder);
