import { generatePrivateKey } from '../../domain/core/certificate';
import { RENEWAL_TIMEOUT_MS } from '../../domain/core/durations';
import { InvalidCertificateRequest } from '../../domain/core/errors';
import { idempotencyToken, privateIssuanceKey } from '../../domain/core/private-ca';
import type { StepDeps } from '../deps';
import { csrFor } from '../issued/csr';
import type { PrivateIssuanceState, StateFields } from '../state';
import { lambdaHandler } from '../runtime/lambda';

/**
 * The private path's first step: take the renewal lease, make the key (a pending version, keyed by
 * the execution so a retry finds it again) and its CSR, and ask the private CA for a certificate with
 * the template of the declared usages and the requested lifetime. The same execution's token makes a
 * retried call get the first call's certificate. No ACME account, no DNS.
 */
export async function issuePrivate(
  input: StateFields<'request'> & { readonly executionId: string },
  deps: StepDeps<{ store: 'acquireLease' | 'pendingKey'; issuer: 'issue' }>,
): Promise<PrivateIssuanceState> {
  const { request, executionId } = input;
  if (request.lifetimeDays === undefined) throw new InvalidCertificateRequest('lifetimeDays: a private issuance needs one (ValidateRequest sets it)');
  const now = deps.now();
  await deps.store.acquireLease({ certificateId: request.certificateId, holder: executionId, expiresAt: new Date(now.getTime() + RENEWAL_TIMEOUT_MS) }, now);
  const { pending, privateKeyPem } = await deps.store.pendingKey(request.certificateId, privateIssuanceKey(executionId), () => generatePrivateKey(request.keyType));
  const certificateRef = await deps.issuer.issue({
    csrPem: await csrFor(request.names, privateKeyPem),
    usages: request.usages,
    lifetimeDays: request.lifetimeDays,
    idempotencyToken: idempotencyToken(executionId),
  });
  deps.log.info('private certificate requested', { certificateRef, usages: request.usages, lifetimeDays: request.lifetimeDays, pendingId: pending.pendingId });
  return { certificateRef, pending, done: false, attempts: 0 };
}

export const handler = lambdaHandler(issuePrivate);
