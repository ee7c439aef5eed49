/** A local HTTPS server that plays an ACME CA's directory and answers the rest as told (misbehaviour included). */
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { LocalhostTls } from '../../local/tls';

export type Behaviour = (req: { method: string; url: string }) => { status: number; headers?: Record<string, string | undefined>; body?: unknown };

export interface FakeCa {
  url: string;
  requests: { method: string; url: string }[];
  close(): Promise<void>;
}

export async function fakeCa(tls: LocalhostTls, behaviour: Behaviour, options: { renewalInfo?: boolean } = {}): Promise<FakeCa> {
  const requests: FakeCa['requests'] = [];
  const server = https.createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    const request = { method: req.method ?? '', url: req.url ?? '' };
    requests.push(request);
    req.resume();
    req.on('end', () => {
      const base = `https://localhost:${(server.address() as AddressInfo).port}`;
      if (request.url === '/dir') {
        res.writeHead(200, { 'content-type': 'application/json' });
        const ari = options.renewalInfo ? { renewalInfo: `${base}/renewal-info` } : {};
        res.end(JSON.stringify({ newNonce: `${base}/nonce`, newAccount: `${base}/account`, newOrder: `${base}/order`, ...ari }));
        return;
      }
      const answer = behaviour(request);
      res.writeHead(answer.status, { 'content-type': 'application/problem+json', ...(answer.headers as Record<string, string>) });
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://localhost:${port}/dir`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

