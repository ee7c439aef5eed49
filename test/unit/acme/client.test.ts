/**
 * acme-client's transport, as configured for Lambda: against real local HTTPS servers that
 * misbehave like a CA can (429 + Retry-After, 503, badNonce storms, bad TLS, nothing listening).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acmeCall, acmeClient, configureAcmeHttp, parseRetryAfter } from '../../../lambdas/acme/client';
import { generatePrivateKey } from '../../../domain/core/certificate';
import { freePort } from '../../../local/pebble';
import { createLocalhostTls, type LocalhostTls } from '../../../local/tls';
import { fakeCa, type FakeCa } from '../../support/fake-ca';

let trusted: LocalhostTls;
let accountKeyPem: string;

beforeAll(async () => {
  trusted = await createLocalhostTls();
  accountKeyPem = await generatePrivateKey('ec-p256');
  configureAcmeHttp(trusted.caPem);
});

async function register(directoryUrl: string) {
  const client = acmeClient({ directoryUrl, accountKeyPem });
  return acmeCall('register ACME account', () => client.createAccount({ termsOfServiceAgreed: true }));
}

describe('ACME transport errors', () => {
  const servers: FakeCa[] = [];
  afterAll(async () => Promise.all(servers.map((server) => server.close())));

  it('429 with Retry-After → AcmeRateLimited carrying the delay, sent once (no in-Lambda retry)', async () => {
    const ca = await fakeCa(trusted, (req) =>
      req.method === 'HEAD'
        ? { status: 200, headers: { 'replay-nonce': 'n' } }
        : {
            status: 429,
            headers: { 'retry-after': '120' },
            body: { type: 'urn:ietf:params:acme:error:rateLimited', detail: 'too many new orders recently' },
          },
    );
    servers.push(ca);
    const error = await register(ca.url).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AcmeRateLimited', retryAfterSeconds: 120 });
    expect((error as Error).message).toMatch(/too many new orders recently \(Retry-After: 120s\)/);
    expect(ca.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('503 → AcmeUnavailable, sent once', async () => {
    const ca = await fakeCa(trusted, (req) =>
      req.method === 'HEAD'
        ? { status: 200, headers: { 'replay-nonce': 'n' } }
        : { status: 503, body: { type: 'urn:ietf:params:acme:error:serverInternal', detail: 'maintenance' } },
    );
    servers.push(ca);
    const error = await register(ca.url).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AcmeUnavailable' });
    expect((error as Error).message).toMatch(/HTTP 503 .*maintenance/);
    expect(ca.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('a badNonce storm → acme-client retries with fresh nonces, then AcmeBadNonce', async () => {
    let nonce = 0;
    const ca = await fakeCa(trusted, (req) =>
      req.method === 'HEAD'
        ? { status: 200, headers: { 'replay-nonce': `n${++nonce}` } }
        : { status: 400, headers: { 'replay-nonce': `n${++nonce}` }, body: { type: 'urn:ietf:params:acme:error:badNonce', detail: 'JWS has an invalid anti-replay nonce' } },
    );
    servers.push(ca);
    const error = await register(ca.url).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AcmeBadNonce' });
    expect(ca.requests.filter((r) => r.method === 'POST')).toHaveLength(6); // first try + 5 retries
  });

  it('nothing listening → AcmeUnavailable naming the URL, not a TypeError after 75 s', async () => {
    const url = `https://localhost:${await freePort()}/dir`;
    const error = await register(url).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AcmeUnavailable' });
    expect((error as Error).message).toContain(`CA unreachable at ${url}: ECONNREFUSED`);
  });

  it('an untrusted TLS certificate → AcmeRequestRejected that says what to configure', async () => {
    const ca = await fakeCa(await createLocalhostTls(), () => ({ status: 200 }));
    servers.push(ca);
    const error = await register(ca.url).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AcmeRequestRejected' });
    expect((error as Error).message).toMatch(/is not trusted \(.+\); set the CA bundle/);
  });

  it('a final 4xx problem → AcmeRequestRejected with the CA detail', async () => {
    const ca = await fakeCa(trusted, (req) =>
      req.method === 'HEAD'
        ? { status: 200, headers: { 'replay-nonce': 'n' } }
        : { status: 403, body: { type: 'urn:ietf:params:acme:error:unauthorized', detail: 'account is deactivated' } },
    );
    servers.push(ca);
    const error = await register(ca.url).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AcmeRequestRejected' });
    expect((error as Error).message).toBe('register ACME account: account is deactivated');
  });
});

describe('nonce reuse', () => {
  it('uses the Replay-Nonce of each response instead of a HEAD newNonce per request', async () => {
    let nonce = 0;
    const ca = await fakeCa(trusted, (req) => {
      const headers = { 'replay-nonce': `nonce-${++nonce}`, location: `https://localhost/${req.url.slice(1)}/1` };
      if (req.method === 'HEAD') return { status: 200, headers };
      return { status: 201, headers, body: req.url === '/order' ? { status: 'pending', identifiers: [], authorizations: [], finalize: 'x' } : { status: 'valid' } };
    });
    try {
      const client = acmeClient({ directoryUrl: ca.url, accountKeyPem });
      await acmeCall('register', () => client.createAccount({ termsOfServiceAgreed: true }));
      await acmeCall('order', () => client.createOrder({ identifiers: [{ type: 'dns', value: 'a.example' }] }));
      await acmeCall('order', () => client.createOrder({ identifiers: [{ type: 'dns', value: 'b.example' }] }));
      expect(ca.requests.filter((r) => r.method === 'POST')).toHaveLength(3);
      expect(ca.requests.filter((r) => r.method === 'HEAD')).toHaveLength(1);
    } finally {
      await ca.close();
    }
  });
});

describe('parseRetryAfter', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  it.each([
    ['120', 120],
    [' 5 ', 5],
    ['Thu, 01 Jan 2026 00:01:30 GMT', 90],
    ['Wed, 31 Dec 2025 23:00:00 GMT', 0],
    ['soon', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%s → %s', (header, seconds) => {
    expect(parseRetryAfter(header, now)).toBe(seconds);
  });
});
