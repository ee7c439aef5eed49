import { ALARMING_REASONS, HOST_REPORTS_LOOKBACK_DAYS, NOT_SERVED_GRACE_MS, unservedByGroup, type UnservedHost } from '../../domain/core/host-inventory';
import { DAY_MS } from '../../domain/core/durations';
import { hostQueueName, hostQueuePrefix } from '../../agent/fleet/host-queue-plan';
import type { StepDeps } from '../deps';
import { lambdaHandler } from '../runtime/lambda';
import { metricsFor, MetricUnit } from '../runtime/metrics';

/** The metric each group's NotServed alarm watches (infra/host-inventory.ts), dimension `Group`. */
export const UNSERVED_HOSTS_METRIC = { name: 'UnservedHosts', dimension: 'Group' } as const;

export interface ServedCheckOutput {
  /** Per group, the hosts its alarm counts (failed, or silent since the renewal). */
  readonly groups: { readonly group: string; readonly unserved: number }[];
  /** Every host not serving its certificate's announced version after the grace, with why (public ids only). */
  readonly hosts: (UnservedHost & { readonly group: string })[];
}

/**
 * The served check (ADR 0016), every few minutes: per host group, the hosts that have not reported
 * serving their certificate's announced version `graceMinutes` after it was announced, from the
 * reports in the inventory log group. Each group's count is a metric (EMF), 0 included, so its
 * NotServed alarm clears when the hosts catch up; the hosts themselves are logged and returned.
 */
export async function checkServed(_input: unknown, deps: StepDeps<{ hosts: 'reports'; queues: 'queueNames' }>): Promise<ServedCheckOutput> {
  const now = deps.now();
  const settings = deps.settings.servedCheck ?? { groups: [], graceMinutes: NOT_SERVED_GRACE_MS / 60_000 };
  // A stack without host groups has no alarm to feed: nothing to read.
  if (settings.groups.length === 0) return { groups: [], hosts: [] };
  const reports = await deps.hosts.reports(new Date(now.getTime() - HOST_REPORTS_LOOKBACK_DAYS * DAY_MS));
  const rosters = new Map(await Promise.all(settings.groups.map(async ({ name }) => [name, await deps.queues.queueNames(hostQueuePrefix(name))] as const)));
  const unserved = unservedByGroup(reports, settings.groups, { now, graceMs: settings.graceMinutes * 60_000, isMember: (group, host) => isMember(rosters.get(group), group, host) });
  const metrics = metricsFor(deps.log);
  const groups: ServedCheckOutput['groups'] = [];
  const hosts: ServedCheckOutput['hosts'] = [];
  for (const [group, entries] of unserved) {
    const counted = entries.filter((entry) => ALARMING_REASONS.includes(entry.reason)).length;
    metrics.setTimestamp(now).addDimension(UNSERVED_HOSTS_METRIC.dimension, group).addMetric(UNSERVED_HOSTS_METRIC.name, MetricUnit.Count, counted).publishStoredMetrics();
    groups.push({ group, unserved: counted });
    for (const entry of entries) {
      hosts.push({ group, ...entry });
      deps.log.warn('renewed but not served', { group, certificateId: entry.certificateId, host: entry.host, reason: entry.reason, version: entry.version, announcedAt: entry.announcedAt });
    }
  }
  deps.log.info('served check', { groups: groups.length, unserved: groups.reduce((sum, group) => sum + group.unserved, 0), reports: reports.length });
  return { groups, hosts };
}

/**
 * A host is still in its group while its queue is there (`--leave` deletes it, the peers sweep one
 * silent for 3 days): a host scaled in or replaced is not silent, it is gone. A group without any
 * host queue (agents on `--queue-url`, or the local default) has no roster: every host that reported counts.
 */
function isMember(queues: ReadonlySet<string> | undefined, group: string, host: string): boolean {
  return !queues || queues.size === 0 || queues.has(hostQueueName(hostQueuePrefix(group), host));
}

export const handler = lambdaHandler(checkServed);
