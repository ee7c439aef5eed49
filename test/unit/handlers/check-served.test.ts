/** The served check's step with its ports in memory (the emulator run is test/contract/host-inventory.test.ts). */
import { describe, expect, it, vi } from 'vitest';
import { checkServed } from '../../../lambdas/handlers/check-served';
import { jsonLogger } from '../../../domain/logging/logger';
import type { ReportEnvelope } from '../../../domain/core/host-inventory';

const NOW = new Date('2026-03-01T13:00:00Z');
const reports: ReportEnvelope[] = [
  { time: '2026-03-01T11:00:00Z', source: 'certflow', 'detail-type': 'Certificate Installed', detail: { certificateId: 'c', host: 'h1', version: '1', serialNumber: '01', notBefore: '2026-01-01T00:00:00Z', notAfter: '2026-06-01T00:00:00Z', reloaded: true } },
  { time: '2026-03-01T12:00:00Z', source: 'certflow', 'detail-type': 'Certificate Renewed', detail: { certificateId: 'c', version: '2' } },
];

function deps(groups: { name: string; certificateIds: string[] }[], queueNames: ReadonlySet<string>) {
  const read = vi.fn(async () => reports);
  return {
    read,
    deps: { settings: { servedCheck: { groups, graceMinutes: 10 } } as never, log: jsonLogger(() => {}), now: () => NOW, hosts: { reports: read }, queues: { queueNames: async () => queueNames } },
  };
}

describe('checkServed', () => {
  it('reads nothing in a stack without host groups (no alarm to feed)', async () => {
    const { read, deps: d } = deps([], new Set());
    expect(await checkServed({}, d)).toEqual({ groups: [], hosts: [] });
    expect(read).not.toHaveBeenCalled();
  });

  it('reads the last 100 days; a group without host queues (agents on --queue-url) counts every host that reported', async () => {
    const { read, deps: d } = deps([{ name: 'g', certificateIds: ['c'] }], new Set());
    expect((await checkServed({}, d)).groups).toEqual([{ group: 'g', unserved: 1 }]);
    expect(read).toHaveBeenCalledWith(new Date(NOW.getTime() - 100 * 86_400_000));
  });

  it("a group with queues counts only the hosts whose queue is there", async () => {
    expect((await checkServed({}, deps([{ name: 'g', certificateIds: ['c'] }], new Set(['certflow-g-h1'])).deps)).groups).toEqual([{ group: 'g', unserved: 1 }]);
    expect((await checkServed({}, deps([{ name: 'g', certificateIds: ['c'] }], new Set(['certflow-g-other'])).deps)).groups).toEqual([{ group: 'g', unserved: 0 }]);
  });
});
