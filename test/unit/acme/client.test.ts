/**
 * acme-client's transport, as configured for Lambda: against real local HTTPS servers that
 * misbehave like a CA can (429 + Retry-After, 503, badNonce storms, bad TLS, nothing listening).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acmeCall, acmeClient, caAnswerError, configureAcmeHttp, parseRetryAfter } from '../../../lambdas/acme/client';
import { RATE_LIMIT_RETRY, TRANSIENT_RETRY } from '../../../infra/renew-state-machine';
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

describe('caAnswerError: which CA answers the state machine retries, and how', () => {
  const URL = 'https://ca.example/acme/new-order';
  const problem = (type: string, detail: string) => ({ type: `urn:ietf:params:acme:error:${type}`, detail });
  it.each([
    ['429 with Retry-After', 429, problem('rateLimited', 'too many orders'), '120', 'AcmeRateLimited', RATE_LIMIT_RETRY, 'CA rate limit at https://ca.example/acme/new-order: too many orders (Retry-After: 120s)'],
    ['429 without a problem document', 429, undefined, undefined, 'AcmeRateLimited', RATE_LIMIT_RETRY, 'CA rate limit at https://ca.example/acme/new-order: HTTP 429'],
    ['a rateLimited problem on a 503', 503, problem('rateLimited', 'slow down'), undefined, 'AcmeRateLimited', RATE_LIMIT_RETRY, 'CA rate limit at https://ca.example/acme/new-order: slow down'],
    ['503 with Retry-After', 503, problem('serverInternal', 'maintenance'), '60', 'AcmeUnavailable', TRANSIENT_RETRY, 'CA answered HTTP 503 at https://ca.example/acme/new-order: maintenance (Retry-After: 60s)'],
    ['503 without a body', 503, undefined, undefined, 'AcmeUnavailable', TRANSIENT_RETRY, 'CA answered HTTP 503 at https://ca.example/acme/new-order: HTTP 503'],
    ['500', 500, problem('serverInternal', 'oops'), undefined, 'AcmeUnavailable', TRANSIENT_RETRY, 'CA answered HTTP 500 at https://ca.example/acme/new-order: oops'],
  ])('%s → %s, retried by its rule', (_case, status, body, retryAfter, name, rule, message) => {
    const error = caAnswerError({ status, url: URL, body, retryAfter });
    expect(error).toMatchObject({ name, message });
    expect(rule.errors).toContain(name);
    expect([RATE_LIMIT_RETRY, TRANSIENT_RETRY].filter((other) => other !== rule).flatMap((other) => other.errors)).not.toContain(name);
  });

  it.each([
    ['200', 200, { status: 'valid' }],
    ['a final 4xx problem (acme-client reads it; acmeCall names it)', 403, problem('unauthorized', 'no')],
    ['badNonce (acme-client retries it)', 400, problem('badNonce', 'stale')],
  ])('%s → no error of its own', (_case, status, body) => {
    expect(caAnswerError({ status, url: URL, body })).toBeUndefined();
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
