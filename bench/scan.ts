/**
 * One scan's pure work for a whole inventory in one invocation: the renewal policy for every
 * entry, then selection under the order budget. The seeded fleet has about an eighth due, so
 * selection sorts and cuts a real backlog.
 */
import { evaluateInventory, selectForRenewal } from '../domain/core/scan-selection';
import { DEFAULT_FLEET, fleetInventory } from '../sim/fleet';
import { median } from './stats';
import { NOT_SERVED_GRACE_MS, unservedByGroup, type ReportEnvelope } from '../domain/core/host-inventory';

const RUNS = 15;

export async function benchScan(entries = 10_000): Promise<{ entries: number; medianMs: number; runs: number }> {
  const now = new Date('2026-01-01T00:00:00Z');
  const inventory = fleetInventory({ ...DEFAULT_FLEET, certificates: entries }, now);
  const budget = { ...DEFAULT_FLEET.budget, ordersInWindow: 0 };
  const scan = () => selectForRenewal({ candidates: evaluateInventory(inventory, now), budget });
  scan(); // warm-up: the first run pays for compilation
  const times: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const started = performance.now();
    scan();
    times.push(performance.now() - started);
  }
  return { entries, medianMs: median(times), runs: RUNS };
}

/**
 * State transitions of one ScanCertificates execution (the RenewCertificate executions it
 * starts are billed on their own), measured on the local runner for a small inventory.
 */
export async function benchScanTransitions(due = 3): Promise<{ due: number; scanTransitions: number; perRenewal: number; fixed: number }> {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { startLocalPipeline } = await import('../local/environment');
  const root = await mkdtemp(join(tmpdir(), 'certflow-bench-scan-'));
  const certificates = Array.from({ length: due }, (_, i) => ({ id: `scan-${i}`, names: [`scan${i}.certflow.test`] }));
  const pipeline = await startLocalPipeline({ root, certificates });
  try {
    const empty = await pipeline.scanExecutor.run({}); // nothing stored yet: all due
    const idle = await pipeline.scanExecutor.run({}); // all fresh: nothing due
    if (empty.status !== 'SUCCEEDED' || idle.status !== 'SUCCEEDED') throw new Error('bench scan failed');
    return { due, scanTransitions: empty.transitions, perRenewal: (empty.transitions - idle.transitions) / due, fixed: idle.transitions };
  } finally {
    await pipeline.stop();
    await rm(root, { recursive: true, force: true });
  }
}

/**
 * The served check's pure work (ADR 0016) over a fleet's 100 days of reports: `hosts` hosts each
 * installing `certificatesPerHost` certificates through `renewals` renewals (a Renewed, then every
 * host's Installed), one host in fifty silent since the last renewal.
 */
export function benchServedCheck({ hosts = 2_000, certificatesPerHost = 5, renewals = 3 } = {}): { reports: number; hosts: number; medianMs: number; unserved: number; runs: number } {
  const start = Date.parse('2026-01-01T00:00:00Z');
  const reports: ReportEnvelope[] = [];
  const certificateIds = Array.from({ length: certificatesPerHost }, (_, c) => `cert-${c}`);
  for (let renewal = 1; renewal <= renewals; renewal += 1) {
    const at = start + renewal * 30 * 86_400_000;
    for (const certificateId of certificateIds) {
      const version = `v${renewal}`;
      reports.push({ time: new Date(at).toISOString(), source: 'certflow', 'detail-type': 'Certificate Renewed', detail: { certificateId, version } });
      for (let host = 0; host < hosts; host += 1) {
        if (renewal === renewals && host % 50 === 0) continue; // silent since the last renewal
        const detail = { certificateId, host: `host-${host}`, version, serialNumber: `0${renewal}`, notBefore: '2026-01-01T00:00:00Z', notAfter: '2026-06-01T00:00:00Z', reloaded: true, served: true, endpoints: [{ endpoint: `host-${host}:8443`, serialNumber: `0${renewal}` }] };
        reports.push({ time: new Date(at + 5_000 + host).toISOString(), source: 'certflow', 'detail-type': 'Certificate Installed', detail });
      }
    }
  }
  const groups = [{ name: 'fleet', certificateIds }];
  const now = new Date(start + renewals * 30 * 86_400_000 + 3_600_000);
  const check = () => unservedByGroup(reports, groups, { now, graceMs: NOT_SERVED_GRACE_MS }).get('fleet')!.length;
  const unserved = check();
  const times: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const started = performance.now();
    check();
    times.push(performance.now() - started);
  }
  return { reports: reports.length, hosts, medianMs: median(times), unserved, runs: RUNS };
}
