/** Order reads shared by the poll steps. */
import type { Client, Order } from 'acme-client';
import { OrderInvalid, errorMessage } from '../../domain/core/errors';
import type { PollVerdict } from '../../domain/core/order-status';
import { acmeCall } from './client';

export async function fetchOrder(client: Client, orderUrl: string): Promise<Order & { url: string }> {
  // acme-client only needs the URL to refresh an order.
  return acmeCall('get order', () => client.getOrder({ url: orderUrl } as Order & { url: string })) as Promise<Order & { url: string }>;
}

function problemText(problem: unknown): string {
  if (typeof problem !== 'object' || problem === null) return 'no reason given';
  const { type, detail } = problem as { type?: unknown; detail?: unknown };
  return [type, detail].filter((part) => typeof part === 'string').join(': ') || 'no reason given';
}

/** The CA's own words on why an order is invalid: each failed challenge's error, else the order's. */
export async function orderInvalid(client: Client, order: Order): Promise<OrderInvalid> {
  try {
    const authorizations = await client.getAuthorizations(order);
    const reasons = authorizations
      .filter((authz) => authz.status === 'invalid')
      .map((authz) => {
        const failed = authz.challenges.find((challenge) => challenge.status === 'invalid');
        const name = `${authz.wildcard ? '*.' : ''}${authz.identifier.value}`;
        return `${name}: ${problemText(failed?.error)}`;
      });
    if (reasons.length > 0) return new OrderInvalid(`order invalid: ${reasons.join('; ')}`);
  } catch (error) {
    return new OrderInvalid(`order invalid: ${problemText(order.error)} (authorizations unreadable: ${errorMessage(error)})`);
  }
  return new OrderInvalid(`order invalid: ${problemText(order.error)}`);
}

/**
 * One poll of an order for a bounded wait loop: its status and what it means for the loop;
 * `invalid` throws OrderInvalid with the CA's reasons.
 */
export async function pollOrder(
  client: Client,
  orderUrl: string,
  verdictOf: (status: string) => PollVerdict,
): Promise<{ order: Order & { url: string }; done: boolean }> {
  const order = await fetchOrder(client, orderUrl);
  const verdict = verdictOf(order.status);
  if (verdict === 'failed') throw await orderInvalid(client, order);
  return { order, done: verdict === 'done' };
}
