import { accountClient } from '../acme/account';
import { fetchOrder, orderInvalid } from '../acme/order';
import { validationVerdict } from '../core/order-status';
import type { StepDeps } from '../deps';
import type { CertificateRequest, OrderPollState, OrderRef } from '../state';
import { lambdaHandler } from '../runtime/lambda';

/** One poll of the order after the challenges were answered; `invalid` is final. */
export async function checkOrder(
  input: { request: CertificateRequest; order: OrderRef; validation: OrderPollState },
  deps: StepDeps,
): Promise<OrderPollState> {
  const client = await accountClient(input.request, input.order.accountUrl, deps);
  const order = await fetchOrder(client, input.order.orderUrl);
  const verdict = validationVerdict(order.status);
  if (verdict === 'failed') throw await orderInvalid(client, order);
  return { status: order.status, done: verdict === 'done', attempts: input.validation.attempts + 1 };
}

export const handler = lambdaHandler(checkOrder);
