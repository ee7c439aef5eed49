import { fetchAriStates, type AriAnswers, type AriLookup } from '../acme/renewal-info';
import { ariRecord, reusableWindow } from '../../domain/core/ari-checks';
import { HOUR_MS } from '../../domain/core/durations';
import { isRetired, type AriState } from '../../domain/core/renewal-policy';
import type { StoredCertificateState } from '../../domain/ports';
import { DEFAULT_SCAN, planScan, type RenewalRequest, type ScanPlan } from '../../domain/core/scan-plan';
import type { RotationReissue } from '../../domain/core/root-rotation';
import type { StepDeps } from '../deps';
import type { RotationScan } from './advance-rotation';
import { lambdaHandler } from '../runtime/lambda';
import { metricsFor, MetricUnit } from '../runtime/metrics';

const MAX_ARI_LOOKUPS = 500;

type ScanDeps = StepDeps<{ store: 'inventory' | 'recordAri'; orders: 'ordersSince'; events: 'expiring' }>;

interface AriSummary {
  readonly ari: 'unsupported' | 'used';
  /** renewalInfo requests this scan made, and stored answers it used instead (their Retry-After not yet over). */
  readonly ariRequests: number;
  readonly ariReused: number;
}

export interface ScanOutput {
  /** Inputs of the RenewCertificate executions to start: a root rotation's reissues, then the due, most urgent first. */
  readonly requests: (RenewalRequest | RotationReissue)[];
  readonly summary: ScanPlan['summary'] & AriSummary;
}

const WRITE_CONCURRENCY = 8;

/**
 * The CA's answers for the certificates closest to expiry: the stored one while its Retry-After
 * lasts (RFC 9773 §4.3), a renewalInfo request otherwise; each new usable answer is stored.
 */
async function ariStates(deps: ScanDeps, stored: readonly StoredCertificateState[], now: Date): Promise<{ states: Map<string, AriState>; summary: AriSummary }> {
  const states = new Map<string, AriState>();
  const lookups: AriLookup[] = [];
  const candidates = stored
    .filter((state) => state.current?.metadata.ariCertId && !isRetired(state.currentRevoked))
    .sort((a, b) => Date.parse(a.current!.metadata.notAfter) - Date.parse(b.current!.metadata.notAfter))
    .slice(0, MAX_ARI_LOOKUPS);
  for (const state of candidates) {
    const certId = state.current!.metadata.ariCertId!;
    const window = reusableWindow(state.ari, { certId, now, revokedAt: state.currentRevoked?.revokedAt });
    if (window) states.set(state.certificateId, { certId, info: window });
    else lookups.push({ id: state.certificateId, certId });
  }
  const reused = states.size;
  // Nothing to ask, and the stored answers show the CA offers ARI: not even the directory is read.
  const fetched: AriAnswers =
    lookups.length === 0 && reused > 0
      ? { supported: true, states: new Map(), retryAfter: new Map() }
      : await fetchAriStates(deps.settings.defaultDirectoryUrl, lookups, deps.settings.acmeCaBundlePem, now);
  await storeAnswers(deps, fetched, now);
  // Once per scan, not per certificate: an ARI outage at the CA is one event.
  // In lookup order (closest to expiry first), not in the order the concurrent answers came back.
  const unusable = lookups.flatMap(({ id }) => {
    const state = fetched.states.get(id);
    return state && 'invalid' in state.info ? [[id, state] as const] : [];
  });
  if (unusable.length > 0) {
    const reasons = [...new Set(unusable.map(([, state]) => (state.info as { invalid: string }).invalid))].slice(0, 3);
    deps.log.warn('ARI unusable: the lifetime policy decides for these certificates', { certificates: unusable.length, of: lookups.length, firstIds: unusable.slice(0, 5).map(([id]) => id), reasons });
  }
  for (const [id, state] of fetched.states) states.set(id, state);
  return { states, summary: { ari: fetched.supported ? 'used' : 'unsupported', ariRequests: fetched.supported ? lookups.length : 0, ariReused: reused } };
}

/** Usable answers only: after a failure the next scan asks again (and the lifetime rule decides meanwhile). */
async function storeAnswers(deps: ScanDeps, fetched: AriAnswers, now: Date): Promise<void> {
  const queue = [...fetched.states].flatMap(([id, { certId, info }]) => ('invalid' in info ? [] : [{ id, record: ariRecord(certId, info, now, fetched.retryAfter.get(id)) }]));
  const failures: string[] = [];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      // Only a saving: a store that refuses it costs a request next scan, not this scan.
      await deps.store.recordAri(next.id, next.record).catch((error: unknown) => failures.push(`${next.id}: ${(error as Error).message}`));
    }
  };
  await Promise.all(Array.from({ length: WRITE_CONCURRENCY }, worker));
  if (failures.length > 0) deps.log.warn('ARI answers not stored: the next scan asks again', { certificates: failures.length, first: failures.slice(0, 3) });
}

/**
 * CloudWatch metrics (EMF through Powertools Metrics), read by the alarms in infra/watchdog.ts:
 * DaysToExpiry per CertificateId, then the scan's totals without dimensions.
 */
function emitMetrics(deps: ScanDeps, plan: ScanPlan, now: Date): void {
  const metrics = metricsFor(deps.log);
  for (const { id, days } of plan.daysToExpiry) {
    metrics.setTimestamp(now).addDimension('CertificateId', id).addMetric('DaysToExpiry', MetricUnit.Count, days).publishStoredMetrics();
  }
  const minimum = Math.min(...plan.daysToExpiry.map((entry) => entry.days));
  metrics.setTimestamp(now).addDimensions({}); // one dimension set, empty: the fleet-wide figures
  if (Number.isFinite(minimum)) metrics.addMetric('MinDaysToExpiry', MetricUnit.Count, minimum);
  metrics
    .addMetric('DueCertificates', MetricUnit.Count, plan.summary.due)
    .addMetric('StartedRenewals', MetricUnit.Count, plan.summary.selected)
    .addMetric('DeferredRenewals', MetricUnit.Count, plan.summary.deferred)
    .publishStoredMetrics();
}

/**
 * The scheduled scan: what is due, within the order budget; expiring certificates announced. The
 * reissues of a root rotation's phase (AdvanceRotation, before it) come first; a certificate both
 * due and reissued is issued once.
 */
export async function scanInventory(input: { readonly rotation?: Pick<RotationScan, 'reissue'> }, deps: ScanDeps): Promise<ScanOutput> {
  const now = deps.now();
  const settings = deps.settings.scan ?? DEFAULT_SCAN;
  const stored = await deps.store.inventory();
  const ordersInWindow = await deps.orders.ordersSince(new Date(now.getTime() - settings.budget.windowHours * HOUR_MS));

  const ari = await ariStates(deps, stored, now);

  const plan = planScan({ declared: deps.settings.certificates ?? [], stored, ari: ari.states, ordersInWindow, now, settings });
  for (const event of plan.expiring) await deps.events.expiring(event);
  emitMetrics(deps, plan, now);
  for (const entry of plan.deferred) deps.log.info('renewal deferred', { certificateId: entry.id, reason: entry.reason });
  for (const entry of plan.skipped) deps.log.warn('certificate skipped', { certificateId: entry.id, reason: entry.reason });
  deps.log.info('scan planned', { ...plan.summary, ...ari.summary });
  const reissue = input?.rotation?.reissue ?? [];
  const reissued = new Set(reissue.map((request) => request.certificateId));
  const requests = [...reissue, ...plan.requests.filter((request) => !reissued.has(request.certificateId))];
  return { requests, summary: { ...plan.summary, ...ari.summary } };
}

export const handler = lambdaHandler(scanInventory);
