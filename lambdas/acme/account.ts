/** The ACME account a step acts as: key from the store, URL from state once registered. */
import { generatePrivateKey } from '../../domain/core/certificate';
import { InvalidCertificateRequest, NothingToRevoke } from '../../domain/core/errors';
import type { CertificateRequest } from '../../domain/core/request';
import type { StepDeps } from '../deps';
import type { StoredAccount } from '../../domain/ports';
import { acmeCall, acmeClient, configureAcmeHttp } from './client';
import type { Client } from 'acme-client';

/** Reading the account key: every step that talks to the CA (IAM accountRead). */
type AccountDeps = StepDeps<{ store: 'account' }>;
/** Registering it: the first step (IAM accountWrite: save the URL, read the EAB credentials). */
type RegistrationDeps = StepDeps<{ store: 'account' | 'saveAccountUrl' | 'readSecret' }>;

async function externalAccountBinding(request: CertificateRequest, deps: StepDeps<{ store: 'readSecret' }>) {
  if (!request.externalAccountBinding) return undefined;
  const raw = await deps.store.readSecret(request.externalAccountBinding.secretRef);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // JSON.parse's message quotes the text around the fault: bytes of the secret. Say only where.
    throw new InvalidCertificateRequest(
      `externalAccountBinding: the referenced secret is not valid JSON (it must hold {"kid": "...", "hmacKey": "..."}; ${raw.length} characters read)`,
    );
  }
  const { kid, hmacKey } = (parsed ?? {}) as { kid?: unknown; hmacKey?: unknown };
  if (typeof kid !== 'string' || typeof hmacKey !== 'string') {
    throw new InvalidCertificateRequest('externalAccountBinding: the referenced secret must hold {"kid": "...", "hmacKey": "..."}');
  }
  return { kid, hmacKey };
}

// A registered account never changes: a warm container reads it from the store once per directory.
const registeredAccounts = new WeakMap<AccountDeps['store'], Map<string, StoredAccount>>();

async function storedAccount(request: CertificateRequest, deps: AccountDeps): Promise<StoredAccount> {
  configureAcmeHttp(deps.settings.acmeCaBundlePem);
  const cached = registeredAccounts.get(deps.store)?.get(request.directoryUrl);
  if (cached) return cached;
  const account = await deps.store.account(request.directoryUrl, () => generatePrivateKey('ec-p256'));
  if (account.url) {
    const byDirectory = registeredAccounts.get(deps.store) ?? new Map<string, StoredAccount>();
    byDirectory.set(request.directoryUrl, account);
    registeredAccounts.set(deps.store, byDirectory);
  }
  return account;
}

/**
 * A client for the request's CA, registering the account on first use (with EAB when the
 * request names credentials). The account URL is kept in the store: later orders skip
 * registration entirely.
 */
export async function registeredClient(request: CertificateRequest, deps: RegistrationDeps): Promise<{ client: Client; accountUrl: string }> {
  const stored = await storedAccount(request, deps);
  if (stored.url) return { client: acmeClient({ directoryUrl: request.directoryUrl, accountKeyPem: stored.keyPem, accountUrl: stored.url }), accountUrl: stored.url };

  const eab = await externalAccountBinding(request, deps);
  const client = acmeClient({ directoryUrl: request.directoryUrl, accountKeyPem: stored.keyPem, ...(eab ? { externalAccountBinding: eab } : {}) });
  try {
    await acmeCall('register ACME account', () =>
      client.createAccount({ termsOfServiceAgreed: true, ...(request.contact.length ? { contact: request.contact } : {}) }),
    );
  } catch (error) {
    // The key is already registered (its URL was not saved): acme-client then sends an
    // update, which a strict CA refuses as empty. The CA told us the URL: that is enough.
    if (!accountUrlOf(client)) throw error;
  }
  const accountUrl = accountUrlOf(client)!;
  await deps.store.saveAccountUrl(request.directoryUrl, accountUrl);
  return { client, accountUrl };
}

function accountUrlOf(client: Client): string | undefined {
  try {
    return client.getAccountUrl();
  } catch {
    return undefined;
  }
}

/** A client for an account registered by an earlier step. */
export async function accountClient(request: CertificateRequest, accountUrl: string, deps: AccountDeps): Promise<Client> {
  const stored = await storedAccount(request, deps);
  return acmeClient({ directoryUrl: request.directoryUrl, accountKeyPem: stored.keyPem, accountUrl });
}

/**
 * A client for the account the store already holds for a directory (revocation: RFC 8555 §7.6 with
 * the account that issued the certificate). Never creates a key and never registers: without a
 * saved URL the CA is asked for it (`onlyReturnExisting`), which fails if it does not know the key.
 */
export async function existingAccountClient(directoryUrl: string, deps: AccountDeps): Promise<Client> {
  configureAcmeHttp(deps.settings.acmeCaBundlePem);
  const stored = await deps.store.account(directoryUrl, () =>
    Promise.reject(new NothingToRevoke(`no ACME account for ${directoryUrl} in the store: certflow issued nothing from that directory`)),
  );
  if (stored.url) return acmeClient({ directoryUrl, accountKeyPem: stored.keyPem, accountUrl: stored.url });
  const client = acmeClient({ directoryUrl, accountKeyPem: stored.keyPem });
  await acmeCall('find the ACME account', () => client.createAccount({ onlyReturnExisting: true }));
  return client;
}
