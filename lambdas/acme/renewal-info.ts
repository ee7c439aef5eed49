/**
 * RFC 9773 renewalInfo lookups for the scan: one directory read tells whether the CA offers
 * ARI (Pebble 2.4 does not: then nothing else is asked); otherwise `GET <renewalInfo>/<certID>`
 * for the certificates closest to expiry, a few at a time. Any failure for one certificate is an
 * `invalid` answer for it: the policy then falls back to the lifetime rule and says so. Each usable
 * answer comes with its Retry-After (RFC 9773 §4.3), which says when to ask again.
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

/**
 * A Retry-After header (RFC 9110 §10.2.3) in milliseconds from `now`: delta-seconds or an
 * HTTP-date (one in the past is 0). Undefined when missing or unreadable.
 */
export function retryAfterMs(header: unknown, now: Date): number | undefined {
  if (typeof header !== 'string') return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  if (!/[a-z]/i.test(value)) return undefined; // "-5", "1.5": not delta-seconds, and no date
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

export interface AriAnswers {
  readonly supported: boolean;
  readonly states: Map<string, AriState>;
  /** Per certificate id, the Retry-After of its answer (ms), when the CA sent a readable one. */
  readonly retryAfter: Map<string, number>;
}

export async function fetchAriStates(directoryUrl: string, lookups: readonly AriLookup[], caBundlePem?: string, now = new Date()): Promise<AriAnswers> {
  const states = new Map<string, AriState>();
  const retryAfter = new Map<string, number>();
  const base = (await fetchDirectoryOffer(directoryUrl, caBundlePem)).renewalInfo;
  if (!base) return { supported: false, states, retryAfter };
  const queue = [...lookups];
  const worker = async () => {
    for (let lookup = queue.shift(); lookup; lookup = queue.shift()) {
      const { id, certId } = lookup;
      try {
        const { data, headers } = await acme.axios.get(`${base}/${certId}`, { validateStatus: (status) => status === 200 });
        states.set(id, { certId, info: parseRenewalInfo(data) });
        const wait = retryAfterMs(headers['retry-after'], now);
        if (wait !== undefined) retryAfter.set(id, wait);
      } catch (error) {
        states.set(id, { certId, info: { invalid: `renewalInfo lookup failed: ${(error as Error).message}` } });
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { supported: true, states, retryAfter };
}
