import { describe, expect, it } from 'vitest';
import type { Verdict } from '../../../domain/core/renewal-policy';
import { evaluateInventory, inventoryEntries, selectForRenewal, type Candidate, type OrderBudget } from '../../../domain/core/scan-selection';
import { DEFAULT_FLEET, fleetInventory } from '../../../sim/fleet';

const budget = (maxOrders: number, ordersInWindow = 0): OrderBudget => ({ windowHours: 3, maxOrders, ordersInWindow });

function candidate(id: string, urgency: number, extra: Partial<Verdict> = {}): Candidate {
  return { id, verdict: { due: true, reason: 'test', urgency, ...extra } };
}

/** A private CA identity: its issuance counts against no order budget. */
const privateCandidate = (id: string, urgency: number, extra: Partial<Verdict> = {}): Candidate => ({ ...candidate(id, urgency, extra), issuer: 'privateCa' });

/** Ten due certificates, c0 the most urgent; two not due. */
const CANDIDATES: Candidate[] = [
  ...Array.from({ length: 10 }, (_, i) => candidate(`c${i}`, i * 10 - 5)),
  candidate('idle-1', -100, { due: false }),
  candidate('idle-2', 500, { due: false }),
];

describe('selectForRenewal', () => {
  it.each([
    // [case, budget, maxPerScan, selected, deferral reason]
    ['budget left: 5 − 2 spent', budget(5, 2), undefined, ['c0', 'c1', 'c2'], /^order budget used: 5 of 5 orders in 3 h$/],
    ['budget already spent', budget(300, 300), undefined, [], /^order budget used: 300 of 300/],
    ['overspent budget (manual runs)', budget(300, 320), undefined, [], /^order budget used/],
    ['scan limit below the budget', budget(300), 4, ['c0', 'c1', 'c2', 'c3'], /^scan limit of 4 renewals reached$/],
    ['budget below the scan limit', budget(2), 4, ['c0', 'c1'], /^order budget used: 2 of 2/],
  ])('%s', (_case, orderBudget, maxPerScan, selected, reason) => {
    const result = selectForRenewal({ candidates: CANDIDATES, budget: orderBudget, maxPerScan });
    expect(result.selected).toEqual(selected);
    expect(result.deferred.map((d) => d.id)).toEqual(CANDIDATES.slice(selected.length, 10).map((c) => c.id));
    for (const deferred of result.deferred) expect(deferred.reason).toMatch(reason);
  });

  it('selects every due certificate, most urgent first, when the budget allows; not-due ones are neither', () => {
    const result = selectForRenewal({ candidates: [...CANDIDATES].reverse(), budget: budget(300) });
    expect(result.selected).toEqual(CANDIDATES.slice(0, 10).map((c) => c.id));
    expect(result.deferred).toEqual([]);
  });

  it('is deterministic whatever the input order; equal urgency goes by id', () => {
    const tied = ['b', 'd', 'a', 'c', 'e'].map((id) => candidate(id, 1));
    const orders = [tied, [...tied].reverse(), [tied[2]!, tied[4]!, tied[0]!, tied[3]!, tied[1]!]];
    for (const candidates of orders) {
      expect(selectForRenewal({ candidates, budget: budget(3) })).toEqual({
        selected: ['a', 'b', 'c'],
        deferred: [
          { id: 'd', reason: 'order budget used: 3 of 3 orders in 3 h' },
          { id: 'e', reason: 'order budget used: 3 of 3 orders in 3 h' },
        ],
      });
    }
  });

  it('lets retries after a failure take at most half of the scan while first attempts wait', () => {
    const retries = Array.from({ length: 6 }, (_, i) => candidate(`r${i}`, i, { retry: true }));
    const first = Array.from({ length: 6 }, (_, i) => candidate(`f${i}`, 100 + i));
    const result = selectForRenewal({ candidates: [...first, ...retries], budget: budget(6) });
    expect(result.selected).toEqual(['r0', 'r1', 'r2', 'f0', 'f1', 'f2']);
    expect(result.deferred.slice(0, 3)).toEqual(['r3', 'r4', 'r5'].map((id) => ({ id, reason: "retries after failure limited to 3 of this scan's 6 orders" })));
  });

  it('gives held retries what first attempts leave of the scan', () => {
    const retries = Array.from({ length: 6 }, (_, i) => candidate(`r${i}`, i, { retry: true }));
    const result = selectForRenewal({ candidates: [...retries, candidate('f0', 50)], budget: budget(6) });
    expect(result.selected).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'f0']);
    expect(result.deferred.map((d) => d.id)).toEqual(['r5']);
  });

  it.each([
    [{ maxOrders: Number.NaN }, /budget\.maxOrders/],
    [{ maxOrders: -1 }, /budget\.maxOrders/],
    [{ ordersInWindow: Number.NaN }, /budget\.ordersInWindow/],
  ])('refuses a budget it cannot trust: %o', (override, message) => {
    expect(() => selectForRenewal({ candidates: CANDIDATES, budget: { ...budget(300), ...override } })).toThrow(message);
  });

  it.each([[-0.1], [1.5], [Number.NaN]])('refuses maxRetryShare %d', (maxRetryShare) => {
    expect(() => selectForRenewal({ candidates: CANDIDATES, budget: budget(300), maxRetryShare })).toThrow(/maxRetryShare/);
  });
});

/** The order budget is per issuer: ACME orders count against the account's, private issuances against none. */
describe('selectForRenewal: ACME and private CA renewals due together', () => {
  // Interleaved urgencies: a0 p0 a1 p1 a2 p2 a3 p3.
  const MIX: Candidate[] = [0, 1, 2, 3].flatMap((i) => [candidate(`a${i}`, i * 10), privateCandidate(`p${i}`, i * 10 + 5)]);

  it('the ACME budget exhausted: every due private identity still goes; the ACME ones wait for the budget', () => {
    const result = selectForRenewal({ candidates: MIX, budget: budget(300, 300) });
    expect(result.selected).toEqual(['p0', 'p1', 'p2', 'p3']);
    expect(result.deferred).toEqual(['a0', 'a1', 'a2', 'a3'].map((id) => ({ id, reason: 'order budget used: 300 of 300 orders in 3 h' })));
  });

  it('private issuances take nothing of the ACME budget: 2 orders left renew the 2 most urgent ACME certificates beside every private one', () => {
    const result = selectForRenewal({ candidates: MIX, budget: budget(5, 3) });
    expect(result.selected).toEqual(['a0', 'p0', 'a1', 'p1', 'p2', 'p3']);
    expect(result.deferred).toEqual([
      { id: 'a2', reason: 'order budget used: 5 of 5 orders in 3 h' },
      { id: 'a3', reason: 'order budget used: 5 of 5 orders in 3 h' },
    ]);
  });

  it('the scan limit holds over both, most urgent first', () => {
    const result = selectForRenewal({ candidates: MIX, budget: budget(300), maxPerScan: 3 });
    expect(result.selected).toEqual(['a0', 'p0', 'a1']);
    for (const deferred of result.deferred) expect(deferred.reason).toBe('scan limit of 3 renewals reached');
    // The ACME budget binding first: private ones fill the scan up to its limit.
    expect(selectForRenewal({ candidates: MIX, budget: budget(1), maxPerScan: 4 }).selected).toEqual(['a0', 'p0', 'p1', 'p2']);
  });

  it('private retries are not held back by the ACME retry share (no budget to starve), ACME retries still are', () => {
    const candidates = [
      ...[0, 1, 2, 3].map((i) => privateCandidate(`pr${i}`, i, { retry: true })),
      ...[0, 1, 2, 3].map((i) => candidate(`ar${i}`, 10 + i, { retry: true })),
      candidate('a-first', 50),
    ];
    const result = selectForRenewal({ candidates, budget: budget(2) });
    expect(result.selected).toEqual(['pr0', 'pr1', 'pr2', 'pr3', 'ar0', 'a-first']);
    expect(result.deferred[0]).toEqual({ id: 'ar1', reason: "retries after failure limited to 1 of this scan's 2 orders" });
  });
});

describe('inventory', () => {
  const declared = [
    { id: 'a', names: ['a.example.com'], keyType: 'ec-p256' as const },
    { id: 'b', names: ['b.example.com'], keyType: 'ec-p256' as const },
  ];

  it('joins declared certificates with the store state; a certificate the store does not know is missing', () => {
    const failure = { at: '2026-06-01T00:00:00Z', error: 'DnsSyncTimeout' };
    const entries = inventoryEntries(declared, new Map([['b', { lastFailure: failure }]]));
    expect(entries).toEqual([{ certificate: declared[0] }, { certificate: declared[1], lastFailure: failure }]);
    const [a] = evaluateInventory(entries, new Date('2026-06-01T06:00:00Z'));
    expect(a).toEqual({ id: 'a', verdict: { due: true, reason: 'no certificate issued yet', urgency: 0 } });
  });

  it('refuses a certificate id declared twice', () => {
    expect(() => inventoryEntries([...declared, declared[0]!], new Map())).toThrow(/'a' is declared twice/);
  });

  it('evaluates and selects 10 000 entries well within a scan Lambda budget', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const inventory = fleetInventory(DEFAULT_FLEET, now);
    const started = performance.now();
    const { selected, deferred } = selectForRenewal({ candidates: evaluateInventory(inventory, now), budget: budget(300) });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(selected).toHaveLength(300);
    expect(deferred.length).toBeGreaterThan(0);
  });
});
