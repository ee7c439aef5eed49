/**
 * "Is the new certificate served?" after a reload: ask every endpoint (`--verify-tls`) until each
 * presents the installed leaf (same SHA-256 fingerprint), within a bound. A signal or a command
 * that returned says the service was asked; only a handshake says it took the files — nginx
 * and Mosquitto answer a SIGHUP before their new workers serve the new certificate.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { NotServed } from '../errors';
import type { PresentedLeaf, ServedEndpoint, ServedVerifier, TlsEndpoint, TlsProbe } from '../ports';

export interface ServedCheckOptions {
  readonly endpoints: readonly TlsEndpoint[];
  readonly probe: TlsProbe;
  /** The bound (`--verify-timeout`): not every endpoint serving the leaf by then is NotServed. */
  readonly timeoutMs: number;
  /** Pause between rounds. Default 100 ms. */
  readonly intervalMs?: number;
  /** Test seams. */
  readonly clock?: () => number;
  readonly pause?: (ms: number) => Promise<unknown>;
}

/** What an endpoint answered: the last leaf it presented (if ever) and the last error (if the last attempt failed). */
interface Seen {
  leaf?: PresentedLeaf;
  error?: string;
}

const describe = (seen: Seen | undefined, expected: PresentedLeaf) =>
  [
    seen?.leaf ? `it presents serial ${seen.leaf.serialNumber}, not ${expected.serialNumber}` : undefined,
    seen?.error ? `last attempt: ${seen.error}` : undefined,
  ].filter(Boolean).join('; ') || 'it was not asked';

/** A handshake is given at least this long, even right before the deadline. */
const MIN_ATTEMPT_MS = 500;

export function servedVerifier({ endpoints, probe, timeoutMs, intervalMs = 100, clock = Date.now, pause = (ms) => sleep(ms) }: ServedCheckOptions): ServedVerifier {
  return {
    endpoints: endpoints.map((endpoint) => endpoint.endpoint),
    async confirm(expected) {
      const deadline = clock() + timeoutMs;
      const confirmed = new Map<string, ServedEndpoint>();
      const seen = new Map<string, Seen>();
      for (;;) {
        for (const endpoint of endpoints) {
          if (confirmed.has(endpoint.endpoint)) continue;
          const attemptMs = Math.max(MIN_ATTEMPT_MS, Math.min(5_000, deadline - clock()));
          const record = seen.get(endpoint.endpoint) ?? {};
          seen.set(endpoint.endpoint, record);
          try {
            const leaf = await probe(endpoint, attemptMs);
            Object.assign(record, { leaf, error: undefined });
            if (leaf.fingerprintSha256 === expected.fingerprintSha256) {
              confirmed.set(endpoint.endpoint, { endpoint: endpoint.endpoint, ...(endpoint.serverName ? { serverName: endpoint.serverName } : {}), serialNumber: leaf.serialNumber });
            }
          } catch (error) {
            record.error = (error as Error).message;
          }
        }
        if (confirmed.size === endpoints.length) return endpoints.map((endpoint) => confirmed.get(endpoint.endpoint)!);
        if (clock() >= deadline) break;
        await pause(Math.min(intervalMs, Math.max(0, deadline - clock())));
      }
      const missing = endpoints.find((endpoint) => !confirmed.has(endpoint.endpoint))!;
      const last = seen.get(missing.endpoint);
      throw new NotServed(`${missing.endpoint} did not present serial ${expected.serialNumber} within ${timeoutMs} ms (${describe(last, expected)})`, {
        endpoint: missing.endpoint,
        ...(last?.leaf ? { servedSerialNumber: last.leaf.serialNumber } : {}),
      });
    },
  };
}
