import { describe, expect, it } from 'vitest';
import { localWaitMs } from '../../../local/runner';

describe('local Wait states', () => {
  it('are free for the first three visits, then back off from 10 ms doubling to 250 ms', () => {
    expect(Array.from({ length: 10 }, (_, i) => localWaitMs(i + 1))).toEqual([0, 0, 0, 10, 20, 40, 80, 160, 250, 250]);
  });

  it('give a 60-check poll loop at least 13 s before it gives up (a CA starved of CPU still finishes)', () => {
    const total = Array.from({ length: 60 }, (_, i) => localWaitMs(i + 1)).reduce((sum, ms) => sum + ms, 0);
    expect(total).toBeGreaterThanOrEqual(13_000);
  });
});
