/**
 * What a TLS endpoint presents: connect, finish the handshake, read the leaf, close. The chain is
 * deliberately not validated here (`rejectUnauthorized: false`): the question is not "is this
 * trusted" but "is this exactly the leaf the agent installed", answered by the SHA-256
 * fingerprint of the DER against the installed version's metadata.
 */
import { createHash } from 'node:crypto';
import * as tls from 'node:tls';
import type { PresentedLeaf, TlsEndpoint, TlsProbe } from '../ports';

export const probeTls: TlsProbe = ({ host, port, serverName }, timeoutMs) =>
  new Promise<PresentedLeaf>((resolve, reject) => {
    const socket = tls.connect({ host, port, rejectUnauthorized: false, ...(serverName ? { servername: serverName } : {}) });
    const done = (settle: () => void) => {
      clearTimeout(timer);
      socket.destroy();
      settle();
    };
    const timer = setTimeout(() => done(() => reject(new Error(`no TLS handshake within ${timeoutMs} ms`))), timeoutMs);
    socket.once('error', (error) => done(() => reject(error)));
    socket.once('secureConnect', () => {
      const leaf = socket.getPeerCertificate();
      if (!leaf?.raw) return done(() => reject(new Error('the server presented no certificate')));
      done(() =>
        resolve({
          serialNumber: leaf.serialNumber.toLowerCase(), // as domain/core/certificate.ts describes it
          fingerprintSha256: createHash('sha256').update(leaf.raw).digest('hex'),
        }),
      );
    });
  });

/** `host:port` or `[v6]:port`; the port 1–65535. */
export function parseEndpoint(text: string): TlsEndpoint {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port < 1 || port > 65535) throw new Error(`'${text.slice(0, 100)}' is not host:port`);
  return { host: (match[1] ?? match[2])!, port, endpoint: text.trim() };
}
