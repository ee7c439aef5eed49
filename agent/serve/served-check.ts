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

type Seen = { readonly leaf: PresentedLeaf } | { readonly error: string };

const describe = (seen: Seen | undefined, expected: PresentedLeaf) =>
  seen === undefined ? 'it was not asked' : 'error' in seen ? `last attempt: ${seen.error}` : `it presents serial ${seen.leaf.serialNumber}, not ${expected.serialNumber}`;

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
          const attemptMs = Math.max(1, Math.min(5_000, deadline - clock()));
          try {
            const leaf = await probe(endpoint, attemptMs);
            seen.set(endpoint.endpoint, { leaf });
            if (leaf.fingerprintSha256 === expected.fingerprintSha256) {
              confirmed.set(endpoint.endpoint, { endpoint: endpoint.endpoint, ...(endpoint.serverName ? { serverName: endpoint.serverName } : {}), serialNumber: leaf.serialNumber });
            }
          } catch (error) {
            seen.set(endpoint.endpoint, { error: (error as Error).message });
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
        ...(last && 'leaf' in last ? { servedSerialNumber: last.leaf.serialNumber } : {}),
      });
    },
  };
}
