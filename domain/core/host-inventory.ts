/**
 * Which host serves which version: the hosts' own reports ("Certificate Installed", "Certificate
 * Reload Failed"), folded into the latest state per certificate and host. Pure: the events come
 * in, in the order they were reported (events.jsonl is appended in that order); nothing is read.
 * On AWS the same question is a Logs Insights query over the inventory log group
 * (infra/host-inventory.ts).
 */
import {
  CertificateInstalledSchema,
  CertificateReloadFailedSchema,
  DETAIL_TYPES,
  EVENT_SOURCE,
  SERVED,
  type CertificateInstalledEvent,
  type CertificateReloadFailedEvent,
} from '../contracts/events';

/** An EventBridge-shaped envelope as events.jsonl holds it; the detail is checked here. */
export interface ReportEnvelope {
  readonly time: string;
  readonly source?: string;
  readonly 'detail-type': string;
  readonly detail: unknown;
}

/** What the host last reported installed. */
type HostInstall = Omit<CertificateInstalledEvent, 'certificateId' | 'host'> & { readonly at: string };

/** The host's last report, when it is a failure (the host keeps serving what it served before). */
type HostFailure = Omit<CertificateReloadFailedEvent, 'certificateId' | 'host'> & { readonly at: string };

export interface HostState {
  readonly certificateId: string;
  readonly host: string;
  /** The group its last report named; absent from agents that know none (or predate ADR 0016). */
  readonly group?: string;
  /** The version it last reported installed; absent when it never did. */
  readonly installed?: HostInstall;
  /** Present only when the last report is a failure: an install after it clears it. */
  readonly failure?: HostFailure;
  readonly lastReportAt: string;
}

/** How a host stands against the store's current version. */
const HOST_VERDICTS = {
  /** Last report: installed the current version. */
  current: 'current',
  /** Last report: installed another version (older, or before a rollback). */
  other: 'other',
  /** Last report: a failure. */
  failed: 'failed',
} as const;
export type HostVerdict = (typeof HOST_VERDICTS)[keyof typeof HOST_VERDICTS];

const key = (certificateId: string, host: string) => JSON.stringify([certificateId, host]);

/**
 * The latest state of every (certificate, host) that reported, sorted by certificate then host.
 * Other detail-types, other sources and details that do not match their schema are ignored.
 */
export function hostInventory(events: Iterable<ReportEnvelope>): HostState[] {
  const states = new Map<string, HostState>();
  for (const event of events) {
    if (event.source !== undefined && event.source !== EVENT_SOURCE) continue;
    if (event['detail-type'] === DETAIL_TYPES.installed) {
      const parsed = CertificateInstalledSchema.safeParse(event.detail);
      if (!parsed.success) continue;
      const { certificateId, host, group, ...installed } = parsed.data;
      states.set(key(certificateId, host), { certificateId, host, ...(group ? { group } : {}), installed: { ...installed, at: event.time }, lastReportAt: event.time });
    } else if (event['detail-type'] === DETAIL_TYPES.reloadFailed) {
      const parsed = CertificateReloadFailedSchema.safeParse(event.detail);
      if (!parsed.success) continue;
      const { certificateId, host, group, ...failure } = parsed.data;
      const before = states.get(key(certificateId, host));
      states.set(key(certificateId, host), {
        certificateId,
        host,
        ...(group ? { group } : {}),
        ...(before?.installed ? { installed: before.installed } : {}),
        failure: { ...failure, at: event.time },
        lastReportAt: event.time,
      });
    }
  }
  return [...states.values()].sort((a, b) => a.certificateId.localeCompare(b.certificateId) || a.host.localeCompare(b.host));
}

/** The hosts of one certificate. */
export function hostsOf(states: readonly HostState[], certificateId: string): HostState[] {
  return states.filter((state) => state.certificateId === certificateId);
}

/** Whether the host saw its endpoints present what it installed (--verify-tls); "unknown" for reports without. */
export function servedOf(state: HostState): true | 'unknown' | undefined {
  return state.installed ? (state.installed.served ?? SERVED.unknown) : undefined;
}

/**
 * The default of how long after a renewal a host that has not reported it served is "renewed but
 * not served" (config `schedule.notServedAfterMinutes`): hosts take seconds, a restart waiting for its
 * group's turn minutes (ADR 0014). `certflow status` names such hosts; on AWS the served check
 * counts them per group for the group's NotServed alarm (ADR 0016).
 */
export const NOT_SERVED_GRACE_MS = 10 * 60_000;

/**
 * How far back the served check and `certflow list/status --aws` read the reports: the hosts of a
 * certificate are those that reported on it since. The longest public lifetime (90 days, Let's
 * Encrypt's classic profile) and slack: a host reports at each install and each start, and its
 * certificate is renewed within its lifetime, so a host silent for longer has outlived every
 * certificate it held. Bounded, because FilterLogEvents scans what it is given (the log group keeps
 * a year: the dashboard's query reaches further).
 */
export const HOST_REPORTS_LOOKBACK_DAYS = 100;

/** What the hosts were last told about a certificate: its latest "Certificate Renewed" or "Certificate Rolled Back". */
export interface Announcement {
  readonly certificateId: string;
  /** The version the hosts should install (the store's current version). */
  readonly version: string;
  readonly at: string;
}

const ANNOUNCING: readonly string[] = [DETAIL_TYPES.renewed, DETAIL_TYPES.rolledBack];

/** The latest announcement of each certificate, in report order (the same envelopes the fold reads). */
export function announcements(events: Iterable<ReportEnvelope>): Map<string, Announcement> {
  const latest = new Map<string, Announcement>();
  for (const event of events) {
    if ((event.source !== undefined && event.source !== EVENT_SOURCE) || !ANNOUNCING.includes(event['detail-type'])) continue;
    const detail = event.detail as { certificateId?: unknown; version?: unknown } | null;
    if (typeof detail?.certificateId !== 'string' || typeof detail.version !== 'string') continue;
    latest.set(detail.certificateId, { certificateId: detail.certificateId, version: detail.version, at: event.time });
  }
  return latest;
}

/** Why a host does not (yet) serve the current version, after a renewal: see notServed. */
const NOT_SERVED = {
  /** Its last report is a failure (verify, install, reload or serve). */
  failed: 'failed',
  /** It has not reported installing the current version: it reported an older one, or nothing since the renewal (a silent host). */
  notInstalled: 'not installed',
  /** It installed the current version but did not check the endpoint (no --verify-tls). */
  servedUnknown: 'served unknown',
} as const;
export type NotServedReason = (typeof NOT_SERVED)[keyof typeof NOT_SERVED];

/**
 * "Renewed but not served": once `graceMs` has passed since the current version was stored, the
 * hosts of that certificate that have not reported it served, each with why. Pure.
 */
export function notServed(
  states: readonly HostState[],
  { currentVersion, renewedAt, now, graceMs }: { currentVersion: string; renewedAt: string; now: Date; graceMs: number },
): { host: string; reason: NotServedReason }[] {
  if (now.getTime() - Date.parse(renewedAt) < graceMs) return [];
  return states.flatMap((state): { host: string; reason: NotServedReason }[] => {
    if (state.failure) return [{ host: state.host, reason: NOT_SERVED.failed }];
    if (state.installed?.version !== currentVersion) return [{ host: state.host, reason: NOT_SERVED.notInstalled }];
    return servedOf(state) === true ? [] : [{ host: state.host, reason: NOT_SERVED.servedUnknown }];
  });
}

export function hostVerdict(state: HostState, currentVersion: string | undefined): HostVerdict {
  if (state.failure) return HOST_VERDICTS.failed;
  return state.installed?.version === currentVersion ? HOST_VERDICTS.current : HOST_VERDICTS.other;
}

/** A group of hosts and the certificates it installs (config `subscribers`). */
export interface HostGroup {
  readonly name: string;
  readonly certificateIds: readonly string[];
}

/** A host of a group that has not reported serving its certificate's announced version in time. */
export interface UnservedHost {
  readonly certificateId: string;
  readonly host: string;
  readonly reason: NotServedReason;
  /** The version announced, and when. */
  readonly version: string;
  readonly announcedAt: string;
}

/**
 * Why the served check counts a host against its group's alarm: a failure, or silence since the
 * renewal. A host that installed and reloaded without checking its endpoint (no --verify-tls) says
 * "served unknown": `certflow status` names it, but the alarm cannot know more and does not count
 * it (every group without --verify-tls would be in alarm for good).
 */
export const ALARMING_REASONS: readonly NotServedReason[] = [NOT_SERVED.failed, NOT_SERVED.notInstalled];

/**
 * The served check (ADR 0016): per group, the hosts of its certificates that have not reported the
 * announced version served once `graceMs` has passed since the announcement. The hosts are those
 * that reported anything about the certificate in the envelopes read, and that named this group (a
 * report naming none counts in every group that installs the certificate). Pure.
 */
export function unservedByGroup(
  events: readonly ReportEnvelope[],
  groups: readonly HostGroup[],
  {
    now,
    graceMs,
    isMember = () => true,
  }: {
    now: Date;
    graceMs: number;
    /** Whether the host is still in the group (on AWS: its queue is there); a host that left is not counted. */
    isMember?: (group: string, host: string) => boolean;
  },
): Map<string, UnservedHost[]> {
  const states = hostInventory(events);
  const announced = announcements(events);
  return new Map(
    groups.map((group) => [
      group.name,
      group.certificateIds.flatMap((certificateId) => {
        const announcement = announced.get(certificateId);
        if (!announcement) return [];
        const members = hostsOf(states, certificateId).filter((state) => (state.group === undefined || state.group === group.name) && isMember(group.name, state.host));
        const hosts = notServed(members, { currentVersion: announcement.version, renewedAt: announcement.at, now, graceMs });
        return hosts.map(({ host, reason }) => ({ certificateId, host, reason, version: announcement.version, announcedAt: announcement.at }));
      }),
    ]),
  );
}
