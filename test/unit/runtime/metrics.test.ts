/**
 * The scan's CloudWatch metrics through Powertools Metrics: the same namespace, names, units and
 * dimensions the alarms in infra/watchdog.ts read (DaysToExpiry per CertificateId; MinDaysToExpiry,
 * DueCertificates, StartedRenewals, DeferredRenewals without dimensions), as EMF lines beside the
 * step's log lines.
 */
import { describe, expect, it, vi } from 'vitest';
import type { StepDeps } from '../../../lambdas/deps';
import { scanInventory } from '../../../lambdas/handlers/scan-inventory';
import type { Logger, StoredCertificateState } from '../../../domain/ports';
import { jsonLogger } from '../../../domain/logging/logger';
import { metricsFor, MetricUnit } from '../../../lambdas/runtime/metrics';

vi.mock('../../../lambdas/acme/renewal-info', () => ({ fetchAriStates: async () => ({ supported: false, states: new Map() }) }));

const DAY_MS = 86_400_000;
// Passed in like every clock; near the real time, since CloudWatch (and Powertools) refuse EMF timestamps over 14 days old.
const NOW = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS);

function stored(certificateId: string, daysLeft: number): StoredCertificateState {
  return {
    certificateId,
    current: {
      version: '1',
      metadata: {
        names: [`${certificateId}.certflow.test`],
        serialNumber: '01',
        notBefore: new Date(NOW.getTime() - 60 * DAY_MS).toISOString(),
        notAfter: new Date(NOW.getTime() + daysLeft * DAY_MS).toISOString(),
        fingerprintSha256: '00',
        keyType: 'ec-p256',
        issuer: 'CN=test',
      },
    },
  };
}

async function runScan(inventory: StoredCertificateState[], declared: { id: string; names: string[] }[]) {
  const lines: string[] = [];
  const deps = {
    settings: { zones: [], defaultDirectoryUrl: 'https://acme.test/directory', defaultContact: [], secretPrefix: 'certflow/', certificates: declared, scan: { intervalHours: 6, budget: { windowHours: 3, maxOrders: 1 }, expiringDays: 14 } },
    store: { inventory: async () => inventory },
    orders: { ordersSince: async () => 0 },
    events: { expiring: async () => {} },
    log: jsonLogger((line) => lines.push(line), { step: 'scan-inventory' }),
    now: () => NOW,
  } as unknown as StepDeps;
  const output = await scanInventory({}, deps);
  const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { output, emf: parsed.filter((line) => '_aws' in line), logs: parsed.filter((line) => !('_aws' in line)) };
}

const emfDocument = (dimensions: string[], metrics: Record<string, number>, values: Record<string, string> = {}) => ({
  _aws: {
    Timestamp: NOW.getTime(),
    CloudWatchMetrics: [{ Namespace: 'certflow', Dimensions: [dimensions], Metrics: Object.keys(metrics).map((Name) => ({ Name, Unit: 'Count' })) }],
  },
  ...values,
  ...metrics,
});

describe('scan metrics (EMF through Powertools Metrics)', () => {
  it('one DaysToExpiry document per certificate, then the totals without dimensions', async () => {
    const { output, emf } = await runScan(
      [stored('fresh', 80), stored('soon', 10)],
      [
        { id: 'fresh', names: ['fresh.certflow.test'] },
        { id: 'soon', names: ['soon.certflow.test'] },
        { id: 'new-1', names: ['new-1.certflow.test'] },
      ],
    );
    expect(output.summary).toMatchObject({ due: 2, selected: 1, deferred: 1 });
    expect(emf).toEqual([
      emfDocument(['CertificateId'], { DaysToExpiry: 80 }, { CertificateId: 'fresh' }),
      emfDocument(['CertificateId'], { DaysToExpiry: 10 }, { CertificateId: 'soon' }),
      emfDocument([], { MinDaysToExpiry: 10, DueCertificates: 2, StartedRenewals: 1, DeferredRenewals: 1 }),
    ]);
  });

  it('with nothing stored yet, the totals omit MinDaysToExpiry (no value to declare)', async () => {
    const { emf } = await runScan([], [{ id: 'new-1', names: ['new-1.certflow.test'] }]);
    expect(emf).toEqual([emfDocument([], { DueCertificates: 1, StartedRenewals: 1, DeferredRenewals: 0 })]);
  });

  it('log lines and metric documents stay apart: no EMF in a log line, no log keys in a document', async () => {
    const { emf, logs } = await runScan([stored('soon', 10)], [{ id: 'soon', names: ['soon.certflow.test'] }]);
    expect(logs.map((line) => line.message)).toContain('scan planned');
    for (const document of emf) expect(document).not.toHaveProperty('level');
  });
});

describe('metricsFor', () => {
  it('a Logger port that is not Powertools-backed receives each document as a `metrics` entry', () => {
    const recorded: [string, Record<string, unknown> | undefined][] = [];
    const recording: Logger = { info: (m, f) => recorded.push([m, f]), warn: (m, f) => recorded.push([m, f]), error: (m, f) => recorded.push([m, f]) };
    metricsFor(recording).setTimestamp(NOW).addDimension('CertificateId', 'x').addMetric('DaysToExpiry', MetricUnit.Count, 3).publishStoredMetrics();
    expect(recorded).toEqual([['metrics', emfDocument(['CertificateId'], { DaysToExpiry: 3 }, { CertificateId: 'x' })]]);
  });

  it('Powertools warnings (a timestamp CloudWatch would drop) go to the step’s log', () => {
    const lines: string[] = [];
    metricsFor(jsonLogger((line) => lines.push(line))).setTimestamp(new Date(NOW.getTime() - 30 * DAY_MS));
    expect(lines.map((line) => JSON.parse(line) as { level: string; message: string })).toEqual([
      expect.objectContaining({ level: 'WARN', message: expect.stringContaining('will be skipped by Amazon CloudWatch') }),
    ]);
  });
});
