import { accountClient } from '../acme/account';
import { pollOrder } from '../acme/order';
import { validationVerdict } from '../../domain/core/order-status';
import type { StepDeps } from '../deps';
import type { OrderPollState, StateFields } from '../state';
import { lambdaHandler } from '../runtime/lambda';

/** One poll of the order after the challenges were answered; `invalid` is final. */
export async function checkOrder(
  input: StateFields<'request' | 'order' | 'validation'>,
  deps: StepDeps<{ store: 'account' }>,
): Promise<OrderPollState> {
  const client = await accountClient(input.request, input.order.accountUrl, deps);
  const { order, done } = await pollOrder(client, input.order.orderUrl, validationVerdict);
  return { status: order.status, done, attempts: input.validation.attempts + 1 };
}

export const handler = lambdaHandler(checkOrder);
