/** --verify-tls: the bounded check (fake clock) and the real handshake against a node TLS server that swaps its certificate. */
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { NotServed } from '../../../agent/errors';
import type { PresentedLeaf, TlsEndpoint } from '../../../agent/ports';
import { servedVerifier } from '../../../agent/serve/served-check';
import { parseEndpoint, probeTls } from '../../../agent/serve/tls-probe';
import { issueMaterial } from './fixtures';

const OLD: PresentedLeaf = { serialNumber: '01aa', fingerprintSha256: 'a'.repeat(64) };
const NEW: PresentedLeaf = { serialNumber: '01bb', fingerprintSha256: 'b'.repeat(64) };
const endpoint = (text: string): TlsEndpoint => parseEndpoint(text);

/** A fake clock that advances by each pause and by 10 ms per handshake. */
function clocked(answers: (attempt: number, endpoint: TlsEndpoint) => PresentedLeaf | Error) {
  let now = 0;
  let attempts = 0;
  return {
    clock: () => now,
    pause: async (ms: number) => void (now += ms),
    probe: async (target: TlsEndpoint) => {
      now += 10;
      const answer = answers(attempts++, target);
      if (answer instanceof Error) throw answer;
      return answer;
    },
    attempts: () => attempts,
  };
}

describe('servedVerifier', () => {
  it('retries until every endpoint presents the new leaf, and says what each served', async () => {
    const fake = clocked((attempt, target) => (target.port === 1 && attempt < 5 ? (attempt < 2 ? new Error('ECONNREFUSED') : OLD) : NEW));
    const verifier = servedVerifier({ endpoints: [endpoint('a:1'), { ...endpoint('b:2'), serverName: 'mq.example' }], timeoutMs: 5_000, ...fake });
    expect(await verifier.confirm(NEW)).toEqual([
      { endpoint: 'a:1', serialNumber: '01bb' },
      { endpoint: 'b:2', serverName: 'mq.example', serialNumber: '01bb' },
    ]);
    expect(verifier.endpoints).toEqual(['a:1', 'b:2']);
  });

  it.each([
    ['an endpoint that keeps the old certificate', () => OLD, /a:1 did not present serial 01bb within 1000 ms \(it presents serial 01aa, not 01bb\)/, '01aa'],
    ['an endpoint that refuses connections', () => new Error('connect ECONNREFUSED'), /last attempt: connect ECONNREFUSED/, undefined],
  ])('gives up after the bound: %s (NotServed naming the endpoint and what it served)', async (_case, answer, message, servedSerialNumber) => {
    const fake = clocked(answer);
    const error = await servedVerifier({ endpoints: [endpoint('a:1')], timeoutMs: 1_000, ...fake }).confirm(NEW).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NotServed);
    expect((error as NotServed).message).toMatch(message);
    expect(error).toMatchObject({ endpoint: 'a:1', servedSerialNumber });
    expect(fake.clock()).toBeGreaterThanOrEqual(1_000);
    expect(fake.attempts()).toBeLessThan(20); // paced by the interval, not a busy loop
  });
});

describe('parseEndpoint', () => {
  it.each([
    ['127.0.0.1:8883', { host: '127.0.0.1', port: 8883 }],
    ['mq.example.com:443', { host: 'mq.example.com', port: 443 }],
    ['[::1]:8443', { host: '::1', port: 8443 }],
  ])('%s', (text, expected) => expect(parseEndpoint(text)).toEqual({ ...expected, endpoint: text }));

  it.each(['mq.example.com', ':443', 'host:0', 'host:70000', '::1:443'])('refuses %s', (text) => expect(() => parseEndpoint(text)).toThrow(/is not host:port/));
});

describe('probeTls (a real handshake)', () => {
  let server: tls.Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it('reads the serial and fingerprint of the leaf presented, also after the server swaps its certificate, with the SNI given', async () => {
    const [first, second] = await Promise.all([issueMaterial(), issueMaterial()]);
    const names: (string | undefined)[] = [];
    server = tls.createServer({ cert: first.certificatePem, key: first.privateKeyPem, SNICallback: (name, done) => (names.push(name), done(null)) });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const target = { ...endpoint(`127.0.0.1:${(server.address() as AddressInfo).port}`), serverName: 'broker.certflow.test' };

    expect(await probeTls(target, 2_000)).toEqual({ serialNumber: first.metadata.serialNumber, fingerprintSha256: first.metadata.fingerprintSha256 });
    server.setSecureContext({ cert: second.certificatePem, key: second.privateKeyPem });
    expect(await probeTls(target, 2_000)).toEqual({ serialNumber: second.metadata.serialNumber, fingerprintSha256: second.metadata.fingerprintSha256 });
    expect(names).toEqual(['broker.certflow.test', 'broker.certflow.test']);
  });

  it('rejects when nothing listens', async () => {
    server = tls.createServer({});
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    await expect(probeTls(endpoint(`127.0.0.1:${port}`), 2_000)).rejects.toThrow(/ECONNREFUSED/);
  });
});
