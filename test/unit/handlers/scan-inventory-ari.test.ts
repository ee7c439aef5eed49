/**
 * The scan's renewalInfo requests against a local CA (HTTPS, a real directory): a stored answer
 * within its Retry-After stands in for the request (nothing is sent to the CA), a new answer
 * is stored with the CA's Retry-After, and a store that refuses it does not fail the scan.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StepDeps } from '../../../lambdas/deps';
import { scanInventory } from '../../../lambdas/handlers/scan-inventory';
import type { AriRecord } from '../../../domain/core/ari-checks';
import type { StoredCertificateState } from '../../../domain/ports';
import { jsonLogger } from '../../../domain/logging/logger';
import { createLocalhostTls, type LocalhostTls } from '../../../local/tls';
import { fakeCa, type FakeCa } from '../../support/fake-ca';

const HOUR_MS = 3_600_000;
const NOW = new Date('2026-12-06T12:00:00.000Z');
const CERT_ID = 'aki.AQ';
let tls: LocalhostTls;
let ca: FakeCa;

beforeAll(async () => {
  tls = await createLocalhostTls();
  ca = await fakeCa(
    tls,
    () => ({ status: 200, headers: { 'content-type': 'application/json', 'retry-after': '7200' }, body: { suggestedWindow: { start: '2027-01-20T00:00:00Z', end: '2027-01-22T00:00:00Z' } } }),
    { renewalInfo: true },
  );
});
afterAll(async () => ca?.close());

function stored(ari?: AriRecord): StoredCertificateState {
  return {
    certificateId: 'web',
    current: {
      version: '1',
      metadata: { names: ['web.certflow.test'], serialNumber: '01', notBefore: '2026-12-01T00:00:00.000Z', notAfter: '2027-03-01T00:00:00.000Z', fingerprintSha256: '00', keyType: 'ec-p256', issuer: 'CN=test', ariCertId: CERT_ID },
    },
    ...(ari ? { ari } : {}),
  };
}

async function scan(state: StoredCertificateState, recordAri: (id: string, record: AriRecord) => Promise<void>) {
  const lines: string[] = [];
  const deps = {
    settings: {
      zones: [],
      defaultDirectoryUrl: ca.url,
      acmeCaBundlePem: tls.caPem,
      defaultContact: [],
      secretPrefix: 'certflow/',
      certificates: [{ id: 'web', names: ['web.certflow.test'] }],
      scan: { intervalHours: 3, budget: { windowHours: 3, maxOrders: 10 }, expiringDays: 7 },
    },
    store: { inventory: async () => [state], recordAri },
    orders: { ordersSince: async () => 0 },
    events: { expiring: async () => {} },
    log: jsonLogger((line) => lines.push(line)),
    now: () => NOW,
  } as unknown as StepDeps;
  const output = await scanInventory({}, deps);
  return { output, warnings: lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.level === 'WARN') };
}

describe('scanInventory and renewalInfo Retry-After', () => {
  it('asks, and stores the answer with the CA\'s Retry-After (2 h) from the scan\'s start', async () => {
    const records: AriRecord[] = [];
    const { output } = await scan(stored(), async (_id, record) => void records.push(record));
    expect(output.summary).toMatchObject({ ari: 'used', ariRequests: 1, ariReused: 0, due: 0 });
    expect(records).toEqual([{ certId: CERT_ID, start: '2027-01-20T00:00:00.000Z', end: '2027-01-22T00:00:00.000Z', checkedAt: NOW.toISOString(), nextCheckAt: new Date(NOW.getTime() + 2 * HOUR_MS).toISOString() }]);
    expect(ca.requests.map((request) => request.url)).toContain(`/renewal-info/${CERT_ID}`);
  });

  it('sends nothing while the stored answer lasts, and decides on it', async () => {
    const before = ca.requests.length;
    const record: AriRecord = { certId: CERT_ID, start: '2026-12-06T00:00:00.000Z', end: '2026-12-06T06:00:00.000Z', checkedAt: NOW.toISOString(), nextCheckAt: new Date(NOW.getTime() + HOUR_MS).toISOString() };
    const { output } = await scan(stored(record), async () => {
      throw new Error('nothing to store');
    });
    expect(ca.requests.length).toBe(before);
    // The stored (past) window makes it due: renewed on the stored answer.
    expect(output.summary).toMatchObject({ ariRequests: 0, ariReused: 1, due: 1, selected: 1 });
  });

  it('a store that refuses the answer costs a warning, not the scan', async () => {
    const { output, warnings } = await scan(stored(), async () => {
      throw new Error('AccessDenied');
    });
    expect(output.summary).toMatchObject({ ariRequests: 1 });
    expect(warnings).toEqual([expect.objectContaining({ message: 'ARI answers not stored: the next scan asks again', certificates: 1, first: ['web: AccessDenied'] })]);
  });
});
