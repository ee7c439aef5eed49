/** A certificate declared in certflow.config.ts (or another config file), as a RenewCertificate request (`certflow renew <id>`). */
import type { KeyType } from '../domain/core/key-types';

export interface LocalRenewalRequest {
  readonly certificateId: string;
  readonly names: string[];
  readonly keyType?: KeyType | string;
  readonly keystore?: { readonly [option: string]: unknown };
}

/** The id is not declared, or the config does not load: the operator's to fix (a usage error). */
export class NotDeclared extends Error {
  override readonly name = 'NotDeclared';
}

/** From `configFile` (any certflow config module, checked), else the project's certflow.config.ts. */
export async function declaredCertificate(id: string, configFile?: string): Promise<LocalRenewalRequest> {
  let config: { readonly certificates: readonly { readonly id: string; readonly names: readonly string[]; readonly keyType?: string; readonly keystore?: object }[] };
  const file = configFile ?? 'certflow.config.ts';
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
  const certificate = config.certificates.find((candidate) => candidate.id === id);
  if (!certificate) {
    const ids = config.certificates.map((candidate) => candidate.id);
    throw new NotDeclared(`'${id}' is not declared in ${file} (declared: ${ids.length ? ids.join(', ') : 'none'}); use certflow issue ${id} --name <dns>…`);
  }
  return {
    certificateId: certificate.id,
    names: [...certificate.names],
    ...(certificate.keyType ? { keyType: certificate.keyType } : {}),
    ...(certificate.keystore ? { keystore: { ...certificate.keystore } } : {}),
  };
}
