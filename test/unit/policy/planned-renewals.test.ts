/** plannedRenewals (certflow list's NEXT RENEWAL): the scan's own verdicts, before any ARI answer. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCAN, namesHash, plannedRenewals, planScan, type ManagedCertificate } from '../../../domain/core/scan-plan';
import type { StoredCertificateState } from '../../../domain/ports';

const DAY = 86_400_000;
const now = new Date('2026-12-01T00:00:00Z');

function stored(id: string, names: string[], issuedDaysAgo: number, extra: Partial<StoredCertificateState> = {}): StoredCertificateState {
  const notBefore = now.getTime() - issuedDaysAgo * DAY;
  return {
    certificateId: id,
    current: {
      version: '1',
      metadata: {
        names,
        serialNumber: `0${id.length}${issuedDaysAgo}`,
        notBefore: new Date(notBefore).toISOString(),
        notAfter: new Date(notBefore + 90 * DAY).toISOString(),
        fingerprintSha256: 'ab'.repeat(32),
        keyType: 'ec-p256',
        issuer: 'CN=test',
      },
    },
    ...extra,
  };
}

describe('plannedRenewals', () => {
  it('a 90-day certificate: renewed between ½ and ⅔ of its lifetime, not due before', () => {
    const plan = plannedRenewals({ declared: [], stored: [stored('a', ['a.example.test'], 10)], now });
    const verdict = plan.get('a')!;
    expect(verdict.due).toBe(false);
    const notBefore = now.getTime() - 10 * DAY;
    expect(Date.parse(verdict.renewAt!)).toBeGreaterThanOrEqual(notBefore + 45 * DAY);
    expect(Date.parse(verdict.renewAt!)).toBeLessThanOrEqual(notBefore + 60 * DAY);
    expect(verdict.reason).toMatch(/renew at \d+\.\d% of lifetime/);
  });

  it('the declaration wins: changed names or key type, renewBeforeDays, and a declared certificate never issued', () => {
    const declared: ManagedCertificate[] = [
      { id: 'names', names: ['new.example.test'] },
      { id: 'key', names: ['key.example.test'], keyType: 'rsa-2048' },
      { id: 'before', names: ['before.example.test'], renewBeforeDays: 30 },
      { id: 'never', names: ['never.example.test'] },
    ];
    const plan = plannedRenewals({
      declared,
      stored: [stored('names', ['old.example.test'], 1), stored('key', ['key.example.test'], 1), stored('before', ['before.example.test'], 1), { certificateId: 'never', lastFailure: { at: now.toISOString(), step: 'CreateOrder', error: 'AcmeRequestRejected' } }],
      now,
    });
    expect(plan.get('names')).toMatchObject({ due: true, reason: 'names changed: +new.example.test, -old.example.test' });
    expect(plan.get('key')).toMatchObject({ due: true, reason: 'key type changed: ec-p256 → rsa-2048' });
    expect(plan.get('before')).toMatchObject({ due: false, renewAt: new Date(now.getTime() - DAY + 60 * DAY).toISOString() });
    expect(plan.get('never')).toMatchObject({ due: true, retry: true });
    expect(plan.get('never')!.reason).toMatch(/^no certificate issued yet; retrying after failure/);
  });

  it('names known only by hash count as unchanged when they hash like the declaration; unknown names get no plan', () => {
    const hashed = stored('hashed', [], 5, { namesSha256: namesHash(['h1.example.test', 'h2.example.test']) });
    const plan = plannedRenewals({ declared: [{ id: 'hashed', names: ['h2.example.test', 'h1.example.test'] }], stored: [hashed, stored('unknown', [], 5)], now });
    expect(plan.get('hashed')).toMatchObject({ due: false });
    expect(plan.has('unknown')).toBe(false);
  });

  it('is what the scan decides: with budget to spare, the scan renews exactly the certificates planned as due', () => {
    const fleet = Array.from({ length: 40 }, (_, i) => stored(`c${i}`, [`c${i}.example.test`], i * 2.5));
    const plan = plannedRenewals({ declared: [], stored: fleet, now });
    const scan = planScan({ declared: [], stored: fleet, ari: new Map(), ordersInWindow: 0, now, settings: DEFAULT_SCAN });
    const due = [...plan].filter(([, verdict]) => verdict.due).map(([id]) => id);
    expect(due.length).toBeGreaterThan(5);
    expect(due.length).toBeLessThan(40);
    expect(scan.requests.map((request) => request.certificateId).sort()).toEqual(due.sort());
  });

  it('the scan: with the ACME budget spent, a due private identity is still requested, named as private; the ACME one waits', () => {
    const fleet = [stored('acme', ['acme.example.test'], 70), stored('identity', ['identity.example.test'], 70)];
    const declared: ManagedCertificate[] = [
      { id: 'acme', names: ['acme.example.test'] },
      { id: 'identity', names: ['identity.example.test'], issuer: 'privateCa' },
    ];
    const scan = planScan({ declared, stored: fleet, ari: new Map(), ordersInWindow: DEFAULT_SCAN.budget.maxOrders, now, settings: DEFAULT_SCAN });
    expect(scan.requests).toEqual([{ certificateId: 'identity', names: ['identity.example.test'], keyType: 'ec-p256', issuer: 'privateCa' }]);
    expect(scan.deferred).toEqual([{ id: 'acme', reason: `order budget used: 300 of 300 orders in 3 h` }]);
  });
});
