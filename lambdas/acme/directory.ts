/**
 * What a CA's directory offers beyond RFC 8555's URLs: its profiles (`meta.profiles`,
 * draft-ietf-acme-profiles) and ARI (`renewalInfo`, RFC 9773). One GET, through acme-client's
 * axios instance (our CA bundle, its User-Agent, our error classification), kept a few minutes
 * per directory URL: every ValidateRequest that names a profile read it before (a scan's 50
 * renewals read it 50 times), as acme-client keeps the directory for a warm client.
 */
import * as acme from 'acme-client';
import { acmeCall, configureAcmeHttp } from './client';

export interface DirectoryOffer {
  /** Profile names the CA offers; undefined when the directory has no `meta.profiles`. */
  readonly profiles?: readonly string[];
  /** The renewalInfo base URL without a trailing slash; undefined without ARI. */
  readonly renewalInfo?: string;
}

/** Long enough for a scan's renewals to share one read; short enough that a CA's new profile is seen soon. */
export const DIRECTORY_OFFER_TTL_MS = 10 * 60_000;
const offers = new Map<string, { readonly until: number; readonly offer: Promise<DirectoryOffer> }>();

export function fetchDirectoryOffer(directoryUrl: string, caBundlePem?: string): Promise<DirectoryOffer> {
  configureAcmeHttp(caBundlePem);
  const kept = offers.get(directoryUrl);
  if (kept && performance.now() < kept.until) return kept.offer;
  // The promise is kept, so reads that start together share one request; a failed read is not kept.
  const offer = readDirectoryOffer(directoryUrl);
  offers.set(directoryUrl, { until: performance.now() + DIRECTORY_OFFER_TTL_MS, offer });
  offer.catch(() => {
    if (offers.get(directoryUrl)?.offer === offer) offers.delete(directoryUrl);
  });
  return offer;
}

async function readDirectoryOffer(directoryUrl: string): Promise<DirectoryOffer> {
  const { data } = await acmeCall('read the ACME directory', () => acme.axios.get(directoryUrl, { validateStatus: (status) => status === 200 }));
  const { meta, renewalInfo } = (data ?? {}) as { meta?: { profiles?: unknown }; renewalInfo?: unknown };
  const profiles = meta?.profiles;
  return {
    ...(typeof profiles === 'object' && profiles !== null ? { profiles: Object.keys(profiles) } : {}),
    ...(typeof renewalInfo === 'string' ? { renewalInfo: renewalInfo.replace(/\/$/, '') } : {}),
  };
}
