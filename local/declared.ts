/** A certificate declared in certflow.config.ts (or another config file), as a RenewCertificate request (`certflow renew <id>`). */
import type { ManagedCertificate } from '../domain/contracts/settings';
import type { KeyType } from '../domain/core/key-types';

export interface LocalRenewalRequest {
  readonly certificateId: string;
  readonly names: string[];
  readonly keyType?: KeyType | string;
  readonly keystore?: { readonly [option: string]: unknown };
  /** ACME profile: required (`profile`) or preferred (`preferredProfile`). */
  readonly profile?: string;
  readonly preferredProfile?: string;
  /** The private issuer and its lifetime (issuer privateCa). */
  readonly issuer?: string;
  readonly lifetimeDays?: number;
  readonly usages?: readonly string[];
}

/** The id is not declared, or the config does not load: the operator's to fix (a usage error). */
export class NotDeclared extends Error {
  override readonly name = 'NotDeclared';
}

type Declaration = {
  readonly id: string;
  readonly names: readonly string[];
  readonly keyType?: string;
  readonly keystore?: object;
  readonly profile?: string;
  readonly preferredProfile?: string;
  readonly issuer?: string;
  readonly lifetimeDays?: number;
  readonly usages?: readonly string[];
};

/** The declarations themselves, as the scan reads them (`certflow renew --all` renews what is due of them). */
export async function declaredInventory(configFile?: string): Promise<readonly ManagedCertificate[]> {
  return (await loadDeclarations(configFile)).certificates;
}

/** Every certificate declared in `configFile` (any certflow config module, checked), else in the project's certflow.config.ts. */
export async function declaredCertificates(configFile?: string): Promise<LocalRenewalRequest[]> {
  const config = await loadDeclarations(configFile);
  return config.certificates.map((certificate: Declaration) => ({
    certificateId: certificate.id,
    names: [...certificate.names],
    ...(certificate.keyType ? { keyType: certificate.keyType } : {}),
    ...(certificate.keystore ? { keystore: { ...certificate.keystore } } : {}),
    ...(certificate.profile ? { profile: certificate.profile } : {}),
    ...(certificate.preferredProfile ? { preferredProfile: certificate.preferredProfile } : {}),
    ...(certificate.issuer ? { issuer: certificate.issuer } : {}),
    ...(certificate.lifetimeDays !== undefined ? { lifetimeDays: certificate.lifetimeDays } : {}),
    ...(certificate.usages ? { usages: [...certificate.usages] } : {}),
  }));
}

async function loadDeclarations(configFile?: string): Promise<{ readonly certificates: readonly ManagedCertificate[] }> {
  let config: { readonly certificates: readonly ManagedCertificate[] };
  if (configFile) {
    const { formatConfigProblems, loadConfigFile } = await import('../infra/config-file');
    const loaded = await loadConfigFile(configFile);
    if (!loaded.ok) throw new NotDeclared(formatConfigProblems(loaded));
    config = loaded.config;
  } else {
    try {
      config = (await import('../certflow.config')).default;
    } catch (error) {
      throw new NotDeclared(`certflow.config.ts: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return config;
}

export async function declaredCertificate(id: string, configFile?: string): Promise<LocalRenewalRequest> {
  const declared = await declaredCertificates(configFile);
  const certificate = declared.find((candidate) => candidate.certificateId === id);
  if (!certificate) {
    const ids = declared.map((candidate) => candidate.certificateId);
    throw new NotDeclared(`'${id}' is not declared in ${configFile ?? 'certflow.config.ts'} (declared: ${ids.length ? ids.join(', ') : 'none'}); use certflow issue ${id} --name <dns>…`);
  }
  return certificate;
}
