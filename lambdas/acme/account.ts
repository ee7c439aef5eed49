/** The ACME account a step acts as: key from the store, URL from state once registered. */
import { generatePrivateKey } from '../core/certificate';
import { InvalidCertificateRequest } from '../core/errors';
import type { CertificateRequest } from '../core/request';
import type { StepDeps } from '../deps';
import { acmeCall, acmeClient, configureAcmeHttp, type AcmeAccount } from './client';
import type { Client } from 'acme-client';

async function externalAccountBinding(request: CertificateRequest, deps: StepDeps) {
  if (!request.externalAccountBinding) return undefined;
  const raw = await deps.store.readSecret(request.externalAccountBinding.secretRef);
  const parsed: unknown = JSON.parse(raw);
  const { kid, hmacKey } = (parsed ?? {}) as { kid?: unknown; hmacKey?: unknown };
  if (typeof kid !== 'string' || typeof hmacKey !== 'string') {
    throw new InvalidCertificateRequest('externalAccountBinding: the referenced secret must hold {"kid": "...", "hmacKey": "..."}');
  }
  return { kid, hmacKey };
}

async function account(request: CertificateRequest, deps: StepDeps, accountUrl?: string): Promise<AcmeAccount> {
  configureAcmeHttp(deps.settings.acmeCaBundlePem);
  const accountKeyPem = await deps.store.accountKey(request.directoryUrl, () => generatePrivateKey('ec-p256'));
  return { directoryUrl: request.directoryUrl, accountKeyPem, ...(accountUrl ? { accountUrl } : {}) };
}

/** Register (or find again: newAccount is idempotent per key) and return a ready client. */
export async function registeredClient(request: CertificateRequest, deps: StepDeps): Promise<{ client: Client; accountUrl: string }> {
  const eab = await externalAccountBinding(request, deps);
  const client = acmeClient({ ...(await account(request, deps)), ...(eab ? { externalAccountBinding: eab } : {}) });
  await acmeCall('register ACME account', () =>
    client.createAccount({ termsOfServiceAgreed: true, ...(request.contact.length ? { contact: request.contact } : {}) }),
  );
  return { client, accountUrl: client.getAccountUrl() };
}

/** A client for an account registered by an earlier step. */
export async function accountClient(request: CertificateRequest, accountUrl: string, deps: StepDeps): Promise<Client> {
  return acmeClient(await account(request, deps, accountUrl));
}
