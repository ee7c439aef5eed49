import { fetchAriStates } from '../acme/renewal-info';
import { HOUR_MS } from '../../domain/core/durations';
import { isRetired } from '../../domain/core/renewal-policy';
import { DEFAULT_SCAN, planScan, type RenewalRequest, type ScanPlan } from '../../domain/core/scan-plan';
import type { RotationReissue } from '../../domain/core/root-rotation';
import type { StepDeps } from '../deps';
import type { RotationScan } from './advance-rotation';
import { lambdaHandler } from '../runtime/lambda';
import { metricsFor, MetricUnit } from '../runtime/metrics';

const MAX_ARI_LOOKUPS = 500;

type ScanDeps = StepDeps<{ store: 'inventory'; orders: 'ordersSince'; events: 'expiring' }>;

export interface ScanOutput {
  /** Inputs of the RenewCertificate executions to start: a root rotation's reissues, then the due, most urgent first. */
  readonly requests: (RenewalRequest | RotationReissue)[];
  readonly summary: ScanPlan['summary'] & { ari: 'unsupported' | 'used' };
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

  const lookups = stored
    .filter((state) => state.current?.metadata.ariCertId && !isRetired(state.currentRevoked))
    .sort((a, b) => Date.parse(a.current!.metadata.notAfter) - Date.parse(b.current!.metadata.notAfter))
    .slice(0, MAX_ARI_LOOKUPS)
    .map((state) => ({ id: state.certificateId, certId: state.current!.metadata.ariCertId! }));
  const ari = await fetchAriStates(deps.settings.defaultDirectoryUrl, lookups, deps.settings.acmeCaBundlePem);
  // Once per scan, not per certificate: an ARI outage at the CA is one event.
  // In lookup order (closest to expiry first), not in the order the concurrent answers came back.
  const unusable = lookups.flatMap(({ id }) => {
    const state = ari.states.get(id);
    return state && 'invalid' in state.info ? [[id, state] as const] : [];
  });
  if (unusable.length > 0) {
    const reasons = [...new Set(unusable.map(([, state]) => (state.info as { invalid: string }).invalid))].slice(0, 3);
    deps.log.warn('ARI unusable: the lifetime policy decides for these certificates', { certificates: unusable.length, of: lookups.length, firstIds: unusable.slice(0, 5).map(([id]) => id), reasons });
  }

  const plan = planScan({ declared: deps.settings.certificates ?? [], stored, ari: ari.states, ordersInWindow, now, settings });
  for (const event of plan.expiring) await deps.events.expiring(event);
  emitMetrics(deps, plan, now);
  for (const entry of plan.deferred) deps.log.info('renewal deferred', { certificateId: entry.id, reason: entry.reason });
  for (const entry of plan.skipped) deps.log.warn('certificate skipped', { certificateId: entry.id, reason: entry.reason });
  deps.log.info('scan planned', { ...plan.summary, ari: ari.supported ? 'used' : 'unsupported' });
  const reissue = input?.rotation?.reissue ?? [];
  const reissued = new Set(reissue.map((request) => request.certificateId));
  const requests = [...reissue, ...plan.requests.filter((request) => !reissued.has(request.certificateId))];
  return { requests, summary: { ...plan.summary, ari: ari.supported ? 'used' : 'unsupported' } };
}

export const handler = lambdaHandler(scanInventory);
