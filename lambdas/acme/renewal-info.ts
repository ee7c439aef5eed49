/**
 * RFC 9773 renewalInfo lookups for the scan: one directory read tells whether the CA offers
 * ARI (Pebble 2.4 does not: then nothing else is asked); otherwise `GET <renewalInfo>/<certID>`
 * for the certificates closest to expiry, a few at a time. Any failure for one certificate is an
 * `invalid` answer for it: the policy then falls back to the lifetime rule and says so.
 */
import * as acme from 'acme-client';
import { parseRenewalInfo } from '../../domain/core/ari';
import type { AriState } from '../../domain/core/renewal-policy';
import { fetchDirectoryOffer } from './directory';

export interface AriLookup {
  readonly id: string;
  readonly certId: string;
}

const CONCURRENCY = 8;

export async function fetchAriStates(
  directoryUrl: string,
  lookups: readonly AriLookup[],
  caBundlePem?: string,
): Promise<{ supported: boolean; states: Map<string, AriState> }> {
  const states = new Map<string, AriState>();
  const base = (await fetchDirectoryOffer(directoryUrl, caBundlePem)).renewalInfo;
  if (!base) return { supported: false, states };
  const queue = [...lookups];
  const worker = async () => {
    for (let lookup = queue.shift(); lookup; lookup = queue.shift()) {
      const { id, certId } = lookup;
      try {
        const { data } = await acme.axios.get(`${base}/${certId}`, { validateStatus: (status) => status === 200 });
        states.set(id, { certId, info: parseRenewalInfo(data) });
      } catch (error) {
        states.set(id, { certId, info: { invalid: `renewalInfo lookup failed: ${(error as Error).message}` } });
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { supported: true, states };
}
