import * as acme from 'acme-client';
import { accountClient } from '../acme/account';
import { acmeCall } from '../acme/client';
import { fetchOrder, orderInvalid } from '../acme/order';
import { generatePrivateKey } from '../core/certificate';
import { issuanceVerdict } from '../core/order-status';
import type { StepDeps } from '../deps';
import type { CertificateRequest, IssuancePollState, OrderRef } from '../state';
import { lambdaHandler } from '../runtime/lambda';

const MAX_COMMON_NAME = 64; // RFC 5280 ub-common-name; longer names go in the SAN only

/**
 * Generate the key here, hand it straight to the store as a pending version, and send the CSR.
 * A retry finds the same pending key (keyed by order) and skips finalize if it already went through.
 */
export async function finalizeOrder(
  input: { request: CertificateRequest; order: OrderRef },
  deps: StepDeps,
): Promise<IssuancePollState> {
  const { request } = input;
  const client = await accountClient(request, input.order.accountUrl, deps);
  let order = await fetchOrder(client, input.order.orderUrl);
  const { pending, privateKeyPem } = await deps.store.pendingKey(request.certificateId, order.url, () =>
    generatePrivateKey(request.keyType),
  );
  if (order.status === 'ready') {
    const first = request.names.find((name) => name.length <= MAX_COMMON_NAME);
    const [, csr] = await acme.crypto.createCsr({ altNames: request.names, ...(first ? { commonName: first } : {}) }, privateKeyPem);
    order = { ...(await acmeCall('finalize order', () => client.finalizeOrder(order, csr))), url: order.url };
  }
  const verdict = issuanceVerdict(order.status);
  if (verdict === 'failed') throw await orderInvalid(client, order);
  deps.log.info('order finalized', { certificateId: request.certificateId, status: order.status, pendingId: pending.pendingId });
  return { status: order.status, pending, done: verdict === 'done', attempts: 0 };
}

export const handler = lambdaHandler(finalizeOrder);
