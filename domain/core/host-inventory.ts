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
      const { certificateId, host, ...installed } = parsed.data;
      states.set(key(certificateId, host), { certificateId, host, installed: { ...installed, at: event.time }, lastReportAt: event.time });
    } else if (event['detail-type'] === DETAIL_TYPES.reloadFailed) {
      const parsed = CertificateReloadFailedSchema.safeParse(event.detail);
      if (!parsed.success) continue;
      const { certificateId, host, ...failure } = parsed.data;
      const before = states.get(key(certificateId, host));
      states.set(key(certificateId, host), {
        certificateId,
        host,
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
 * A renewal older than this that a host has not reported served is "renewed but not served": hosts
 * take seconds, a restart waiting for its group's turn minutes (ADR 0014). `certflow status` names
 * such hosts locally (on AWS the dashboard's host table shows them behind); NotServed fires on a failed served check (infra/host-inventory.ts).
 */
export const NOT_SERVED_GRACE_MS = 10 * 60_000;

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
