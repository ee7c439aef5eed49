import { accountClient } from '../acme/account';
import { pollOrder } from '../acme/order';
import { issuanceVerdict } from '../../domain/core/order-status';
import type { StepDeps } from '../deps';
import type { IssuancePollState, StateFields } from '../state';
import { lambdaHandler } from '../runtime/lambda';

/** One poll after finalize: is the certificate issued? */
export async function checkCertificate(
  input: StateFields<'request' | 'order' | 'issuance'>,
  deps: StepDeps<{ store: 'account' }>,
): Promise<IssuancePollState> {
  const client = await accountClient(input.request, input.order.accountUrl, deps);
  const { order, done } = await pollOrder(client, input.order.orderUrl, issuanceVerdict);
  return {
    ...input.issuance,
    status: order.status,
    done,
    attempts: input.issuance.attempts + 1,
    ...(order.certificate ? { certificateUrl: order.certificate } : {}),
  };
}

export const handler = lambdaHandler(checkCertificate);
