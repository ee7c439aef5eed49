/** ARI lookups against a local CA that offers renewalInfo — and one that does not (Pebble 2.4). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchAriStates } from '../../../lambdas/acme/renewal-info';
import { createLocalhostTls, type LocalhostTls } from '../../../local/tls';
import { fakeCa, type FakeCa } from '../../support/fake-ca';

let tls: LocalhostTls;
const servers: FakeCa[] = [];
beforeAll(async () => {
  tls = await createLocalhostTls();
});
afterAll(async () => Promise.all(servers.map((server) => server.close())));

describe('fetchAriStates', () => {
  it('asks nothing more when the directory offers no renewalInfo', async () => {
    const ca = await fakeCa(tls, () => ({ status: 500 }));
    servers.push(ca);
    const result = await fetchAriStates(ca.url, [{ id: 'a', certId: 'aaa.bbb' }], tls.caPem);
    expect(result).toEqual({ supported: false, states: new Map(), retryAfter: new Map() });
    expect(ca.requests.map((r) => r.url)).toEqual(['/dir']);
  });

  it('parses each window, and turns a bad response into an invalid answer for that certificate only', async () => {
    const ca = await fakeCa(
      tls,
      (req) => {
        if (req.url === '/renewal-info/good.id') {
          return { status: 200, headers: { 'content-type': 'application/json', 'retry-after': '21600' }, body: { suggestedWindow: { start: '2026-12-01T00:00:00Z', end: '2026-12-03T00:00:00Z' } } };
        }
        if (req.url === '/renewal-info/broken.id') return { status: 200, headers: { 'content-type': 'application/json' }, body: { suggestedWindow: { start: 'soon' } } };
        return { status: 404, body: { type: 'urn:ietf:params:acme:error:malformed', detail: 'unknown certificate' } };
      },
      { renewalInfo: true },
    );
    servers.push(ca);
    const { supported, states, retryAfter } = await fetchAriStates(ca.url, [
      { id: 'good', certId: 'good.id' },
      { id: 'broken', certId: 'broken.id' },
      { id: 'unknown', certId: 'unknown.id' },
    ], tls.caPem);
    expect(supported).toBe(true);
    expect(states.get('good')).toEqual({ certId: 'good.id', info: { start: new Date('2026-12-01T00:00:00Z'), end: new Date('2026-12-03T00:00:00Z') } });
    expect(states.get('broken')?.info).toMatchObject({ invalid: expect.any(String) });
    expect(states.get('unknown')?.info).toMatchObject({ invalid: expect.stringMatching(/renewalInfo lookup failed/) });
    // The Retry-After of each answer that sent one (RFC 9773 §4.3), in milliseconds.
    expect([...retryAfter]).toEqual([['good', 21_600_000]]);
  });
});
