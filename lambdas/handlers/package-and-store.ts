
import type { Order } from 'acme-client';
import { accountClient } from '../acme/account';
import { downloadChain } from '../acme/chain';
import { fetchOrder } from '../acme/order';
import { describeCertificate, verifyIssuedChain } from '../../domain/core/certificate';
import { checkUsages } from '../../domain/core/usages';
import { AcmeRequestRejected } from '../../domain/core/errors';
import { anchorsForDirectory, verifyChainToAnchors } from '../../domain/core/trust-anchors';
import type { StepDeps } from '../deps';
import { buildKeystoreFiles, keystorePasswordFor } from '../../domain/keystores';
import type { CertificateSummary, StateFields } from '../state';
import { lambdaHandler } from '../runtime/lambda';
import { parseCertificate } from '../../domain/core/parsed-certificates';
import { topmostIssuerCn } from '../../domain/core/chains';
import { DEFAULT_USAGES } from '../../domain/contracts/request';

/**
 * Download the chain (the preferred one when the CA offers it), verify it against the pending key
 * and the request (names, declared usages) and against the trust anchors configured for its
 * directory, package every format a Java host needs (truststores lead
 * with those anchors), then promote. Any mismatch throws before anything is stored.
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
  const privateKeyPem = await deps.store.readPendingKey(issuance.pending);
  const now = deps.now();
  verifyIssuedChain({ chain, privateKeyPem, names: request.names, now });
  // MissingExtendedKeyUsage otherwise (an execution started before usages existed declares the default).
  checkUsages(parseCertificate(chain[0]!), request.usages ?? DEFAULT_USAGES);
  // UntrustedChain otherwise: the failure path removes the TXT values and the pending key.
  const trustAnchors = anchorsForDirectory(deps.settings.trustAnchors, request.directoryUrl);
  const { anchor } = verifyChainToAnchors(chain, trustAnchors, now);

  const password = await keystorePasswordFor(request.certificateId, request.keystore, deps.store);
  const [leaf = '', ...issuers] = chain;
  const stored = await deps.store.promote(issuance.pending, {
    certificatePem: leaf,
    chainPem: issuers.join(''),
    privateKeyPem,
    metadata: { ...describeCertificate(leaf, request.keyType), ...(input.order.profile !== undefined ? { profile: input.order.profile } : {}) },
    files: buildKeystoreFiles({ chain, trustAnchors, privateKeyPem, password, options: request.keystore, created: now }),
  });
  deps.log.info('certificate stored', {
    certificateId: stored.certificateId,
    version: stored.version,
    serialNumber: stored.metadata.serialNumber,
    notAfter: stored.metadata.notAfter,
    formats: stored.formats,
    trustAnchor: parseCertificate(anchor).subject.replaceAll('\n', ', '),
    chainTopIssuer: topmostIssuerCn(chain),
    ...(request.preferredChain !== undefined ? { preferredChain: request.preferredChain, preferredChainOffered: preferred } : {}),
  });
  return stored;
}

export const handler = lambdaHandler(packageAndStore);
