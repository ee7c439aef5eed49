/** The directory offer is read once per directory URL for a few minutes: concurrent and later reads share it. */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DIRECTORY_OFFER_TTL_MS, fetchDirectoryOffer } from '../../../lambdas/acme/directory';
import { createLocalhostTls, type LocalhostTls } from '../../../local/tls';
import { fakeCa, type FakeCa } from '../../support/fake-ca';

let tls: LocalhostTls;
const servers: FakeCa[] = [];
beforeAll(async () => {
  tls = await createLocalhostTls();
});
afterAll(async () => Promise.all(servers.map((server) => server.close())));

const directoryReads = (ca: FakeCa) => ca.requests.filter((request) => request.url === '/dir').length;

describe('fetchDirectoryOffer', () => {
  it('reads a directory once for reads that start together and for reads within the TTL, again after it', async () => {
    const ca = await fakeCa(tls, () => ({ status: 404 }), { renewalInfo: true });
    servers.push(ca);
    const offers = await Promise.all(Array.from({ length: 5 }, () => fetchDirectoryOffer(ca.url, tls.caPem)));
    expect(offers.every((offer) => offer.renewalInfo === ca.url.replace('/dir', '/renewal-info'))).toBe(true);
    await fetchDirectoryOffer(ca.url, tls.caPem);
    expect(directoryReads(ca)).toBe(1);

    const start = performance.now();
    const clock = vi.spyOn(performance, 'now').mockReturnValue(start + DIRECTORY_OFFER_TTL_MS + 1);
    try {
      await fetchDirectoryOffer(ca.url, tls.caPem);
    } finally {
      clock.mockRestore();
    }
    expect(directoryReads(ca)).toBe(2);
  });

  it('keeps no failed read: the next call asks again', async () => {
    const ca = await fakeCa(tls, () => ({ status: 404 }));
    servers.push(ca);
    const missing = ca.url.replace('/dir', '/no-directory');
    await expect(fetchDirectoryOffer(missing, tls.caPem)).rejects.toThrow();
    await expect(fetchDirectoryOffer(missing, tls.caPem)).rejects.toThrow();
    expect(ca.requests.filter((request) => request.url === '/no-directory')).toHaveLength(2);
  });
});
