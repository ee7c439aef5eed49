/** The certificate download: the CA's default chain, or the preferred one among its alternates. */
import type { Client, Order } from 'acme-client';
import { isPreferredChain } from '../../domain/core/chains';
import { splitPemChain } from '../../domain/core/certificate';
import { acmeCall } from './client';

export interface DownloadedChain {
  /** Leaf first, then its issuers, as the CA served them. */
  readonly chain: string[];
  /** Whether the chain is the preferred one (false: none offered matched, this is the CA's default). */
  readonly preferred: boolean;
}

/**
 * acme-client fetches the default chain and every `rel="alternate"` one and returns its own pick
 * (domain/core/chains.ts says how that differs from certbot's); a pick whose topmost issuer is not
 * the preferred name is replaced by the CA's default chain, as certbot does.
 */
export async function downloadChain(client: Client, order: Order, preferredChain: string | undefined): Promise<DownloadedChain> {
  const download = (preferred?: string) => acmeCall('download certificate', () => client.getCertificate(order, preferred)).then(splitPemChain);
  if (preferredChain === undefined) return { chain: await download(), preferred: false };
  const picked = await download(preferredChain);
  if (isPreferredChain(picked, preferredChain)) return { chain: picked, preferred: true };
  return { chain: await download(), preferred: false };
}
