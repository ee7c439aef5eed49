/**
 * What a CA's directory offers beyond RFC 8555's URLs: its profiles (`meta.profiles`,
 * draft-ietf-acme-profiles) and ARI (`renewalInfo`, RFC 9773). One GET, through acme-client's
 * axios instance (our CA bundle, its User-Agent, our error classification).
 */
import * as acme from 'acme-client';
import { acmeCall, configureAcmeHttp } from './client';

export interface DirectoryOffer {
  /** Profile names the CA offers; undefined when the directory has no `meta.profiles`. */
  readonly profiles?: readonly string[];
  /** The renewalInfo base URL without a trailing slash; undefined without ARI. */
  readonly renewalInfo?: string;
}

export async function fetchDirectoryOffer(directoryUrl: string, caBundlePem?: string): Promise<DirectoryOffer> {
  configureAcmeHttp(caBundlePem);
  const { data } = await acmeCall('read the ACME directory', () => acme.axios.get(directoryUrl, { validateStatus: (status) => status === 200 }));
  const { meta, renewalInfo } = (data ?? {}) as { meta?: { profiles?: unknown }; renewalInfo?: unknown };
  const profiles = meta?.profiles;
  return {
    ...(typeof profiles === 'object' && profiles !== null ? { profiles: Object.keys(profiles) } : {}),
    ...(typeof renewalInfo === 'string' ? { renewalInfo: renewalInfo.replace(/\/$/, '') } : {}),
  };
}
