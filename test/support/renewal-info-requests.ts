/**
 * Counts the renewalInfo requests this process sends (RFC 9773 `GET <renewalInfo>/<certID>`): the
 * scan Lambda runs in the test's process, and every ACME request goes through acme-client's axios.
 * Pebble does not log them, and its HTTPS hides the path from a proxy.
 */
import * as acme from 'acme-client';

export interface RenewalInfoRequests {
  /** CertIDs asked for since the counter started (or was last taken), in order. */
  take(): string[];
  stop(): void;
}

/** `renewalInfoBase`: the directory's `renewalInfo` URL (lambdas/acme/directory.ts fetchDirectoryOffer). */
export function countRenewalInfoRequests(renewalInfoBase: string): RenewalInfoRequests {
  let seen: string[] = [];
  const id = acme.axios.interceptors.request.use((config) => {
    const base = `${renewalInfoBase}/`;
    if (config.url?.startsWith(base)) seen.push(config.url.slice(base.length));
    return config;
  });
  return {
    take() {
      const taken = seen;
      seen = [];
      return taken;
    },
    stop: () => acme.axios.interceptors.request.eject(id),
  };
}
