import { generatePrivateKey } from '../../domain/core/certificate';
import { RENEWAL_TIMEOUT_MS } from '../../domain/core/durations';
import { InvalidCertificateRequest } from '../../domain/core/errors';
import { idempotencyToken, privateIssuanceKey } from '../../domain/core/private-ca';
import { rotationTrust } from '../../domain/core/root-rotation';
import type { StepDeps } from '../deps';
import { csrFor } from '../issued/csr';
import { takeLease } from '../lease/take-lease';
import type { RenewalLease } from '../../domain/ports';
import type { PrivateIssuanceState, StateFields } from '../state';
import { lambdaHandler } from '../runtime/lambda';

/**
 * The private path's first step: take the renewal lease (from an execution that is over, too: ADR
 * 0012), noting the key's reference on it as an order without TXT values, so whoever takes the lease
 * over from this execution discards the key should it be stopped; make the key (a pending version, keyed by
 * the execution so a retry finds it again) and its CSR, and ask the private CA for a certificate with
 * the template of the declared usages and the requested lifetime. The same execution's token makes a
 * retried call get the first call's certificate. No ACME account, no DNS. A root rotation's record
 * (ADR 0013) says which CA of the two issues in its phase.
 */
export async function issuePrivate(
  input: StateFields<'request'> & { readonly executionId: string },
  deps: StepDeps<{ store: 'acquireLease' | 'heldLease' | 'pendingKey'; issuer: 'issue'; executions: 'isGone'; rotations: 'rotation' }>,
): Promise<PrivateIssuanceState> {
  const { request, executionId } = input;
  if (request.lifetimeDays === undefined) throw new InvalidCertificateRequest('lifetimeDays: a private issuance needs one (ValidateRequest sets it)');
  const now = deps.now();
  const keyRef = privateIssuanceKey(executionId);
  const lease = { certificateId: request.certificateId, holder: executionId, expiresAt: new Date(now.getTime() + RENEWAL_TIMEOUT_MS), order: { orderUrl: keyRef, records: [] } };
  await takeLease(lease, deps, async () => txtLeftBy(await deps.store.heldLease(request.certificateId)));
  const { pending, privateKeyPem } = await deps.store.pendingKey(request.certificateId, keyRef, () => generatePrivateKey(request.keyType));
  // A root rotation under way names the authority of its phase (ADR 0013): read now, so a phase change meanwhile applies.
  const configured = deps.settings.privateCa?.certificateAuthorityArn;
  const authority = configured ? rotationTrust(await deps.rotations.rotation(configured)).issuing?.authority : undefined;
  const certificateRef = await deps.issuer.issue({
    ...(authority ? { certificateAuthority: authority } : {}),
    csrPem: await csrFor(request.names, privateKeyPem),
    usages: request.usages,
    lifetimeDays: request.lifetimeDays,
    idempotencyToken: idempotencyToken(executionId),
  });
  deps.log.info('private certificate requested', { certificateRef, ...(authority ? { authority } : {}), usages: request.usages, lifetimeDays: request.lifetimeDays, pendingId: pending.pendingId });
  return { certificateRef, pending, done: false, attempts: 0 };
}

/**
 * Why the private path cannot take over from this lease's holder: TXT values of a stopped ACME
 * execution (its order, or what it inherited) need DNS rights, which the private path's roles do not
 * hold. The lease then waits for an ACME renewal of the certificate (CreateOrder takes it over and
 * cleans up) or its expiry.
 */
export function txtLeftBy(lease: RenewalLease | undefined): string | undefined {
  const orders = [...(lease?.order ? [lease.order] : []), ...(lease?.leftovers ?? [])];
  const records = orders.reduce((sum, order) => sum + order.records.length, 0);
  return records > 0 ? `it left ${records} TXT value(s) only an ACME renewal's cleanup can remove (the private path holds no DNS rights)` : undefined;
}

export const handler = lambdaHandler(issuePrivate);
