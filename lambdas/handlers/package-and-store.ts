import type { Order } from 'acme-client';
import { accountClient } from '../acme/account';
import { downloadChain } from '../acme/chain';
import { fetchOrder } from '../acme/order';
import { AcmeRequestRejected } from '../../domain/core/errors';
import { anchorsForDirectory } from '../../domain/core/trust-anchors';
import type { StepDeps } from '../deps';
import { storeIssuedChain } from '../issued/store-issued';
import type { CertificateSummary, StateFields } from '../state';
import { lambdaHandler } from '../runtime/lambda';

/**
 * Download the chain (the preferred one when the CA offers it), then verify, package and promote it
 * against the trust anchors configured for its directory (lambdas/issued/store-issued.ts). Any
 * mismatch throws before anything is stored.
 */
export async function packageAndStore(
  input: StateFields<'request' | 'order' | 'issuance'>,
  deps: StepDeps<{ store: 'account' | 'readPendingKey' | 'readSecret' | 'currentKeystorePassword' | 'promote' }>,
): Promise<CertificateSummary> {
  const { request, issuance } = input;
  const client = await accountClient(request, input.order.accountUrl, deps);
  const certificateUrl = issuance.certificateUrl ?? (await fetchOrder(client, input.order.orderUrl)).certificate;
  if (!certificateUrl) throw new AcmeRequestRejected('the order is valid but names no certificate URL');
  const order = { url: input.order.orderUrl, status: 'valid', certificate: certificateUrl } as Order;
  const { chain, preferred } = await downloadChain(client, order, request.preferredChain);
  return storeIssuedChain(
    {
      request,
      chain,
      pending: issuance.pending,
      trustAnchors: anchorsForDirectory(deps.settings.trustAnchors, request.directoryUrl),
      ...(input.order.profile !== undefined ? { metadata: { profile: input.order.profile } } : {}),
      ...(request.preferredChain !== undefined ? { logFields: { preferredChain: request.preferredChain, preferredChainOffered: preferred } } : {}),
    },
    deps,
  );
}

export const handler = lambdaHandler(packageAndStore);
