/** The inventory as `certflow list` and `status` show it, locally and on AWS: the tables and their cells. */
import { announcements, hostVerdict, NOT_SERVED_GRACE_MS, notServed, servedOf, type HostState, type NotServedReason, type ReportEnvelope } from '../../domain/core/host-inventory';
import type { Verdict } from '../../domain/core/renewal-policy';
import type { RenewalLease, RevocationMark } from '../../domain/ports';

/** A plain-text table: a header, a rule, the rows; columns as wide as their widest cell. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n');
}

/** One certificate of `list`, from the file store or from Secrets Manager's inventory tags. */
export interface InventoryRow {
  readonly certificateId: string;
  readonly names: readonly string[];
  /** Names known only by their hash (long lists on AWS). */
  readonly namesSha256?: string;
  readonly keyType?: string | null;
  /** The ACME profile and the lifetime the current version was issued with. */
  readonly profile?: string | null;
  readonly lifetimeDays?: number | null;
  /** The current leaf's extended key usages (absent: no EKU extension, or stored before certflow recorded them). */
  readonly usages?: readonly string[] | null;
  readonly notAfter?: string | null;
  readonly daysLeft?: number | null;
  readonly currentVersion?: string | null;
  readonly currentRevoked?: RevocationMark;
  readonly lastRenewal?: string | null;
  readonly nextRenewal: NextRenewal | null;
  readonly lastFailure?: { readonly at: string; readonly step: string; readonly error: string } | null;
  readonly unreadable?: string;
}

export function inventoryTable(rows: readonly InventoryRow[]): string {
  return table(
    ['ID', 'NAMES', 'KEY TYPE', 'PROFILE', 'EKU', 'NOT AFTER', 'DAYS LEFT', 'VERSION', 'LAST RENEWAL', 'NEXT RENEWAL', 'LAST FAILURE'],
    rows.map((row) => [
      row.certificateId,
      row.names.length ? row.names.join(',') : row.namesSha256 ? `(sha256 ${row.namesSha256.slice(0, 12)}…)` : '-',
      row.keyType ?? '-',
      profileCell(row),
      usagesCell(row.usages),
      row.notAfter ?? '-',
      row.daysLeft === undefined || row.daysLeft === null ? '-' : String(row.daysLeft),
      versionCell(row.currentVersion, row.currentRevoked),
      row.lastRenewal ?? '-',
      nextRenewalCell(row.nextRenewal),
      row.lastFailure ? `${row.lastFailure.at} ${row.lastFailure.step}: ${row.lastFailure.error}` : row.unreadable ? `unreadable: ${row.unreadable}` : '-',
    ]),
  );
}

/** `classic (90 d)`; `- (90 d)` when the CA named no profile. */
export function profileCell(row: Pick<InventoryRow, 'profile' | 'lifetimeDays'>): string {
  if (row.lifetimeDays === undefined || row.lifetimeDays === null) return row.profile ?? '-';
  return `${row.profile ?? '-'} (${row.lifetimeDays} d)`;
}

/** The EKU cell: `serverAuth,clientAuth`, or `-` when unknown. */
export const usagesCell = (usages: readonly string[] | null | undefined): string => (usages?.length ? usages.join(',') : '-');

export interface NextRenewal {
  /** When it becomes due (absent when due because of what is stored or declared, e.g. names changed). */
  readonly at: string | null;
  readonly due: boolean;
  readonly reason: string;
}

export function nextRenewal(verdict: Verdict | undefined): NextRenewal | null {
  return verdict ? { at: verdict.renewAt ?? null, due: verdict.due, reason: verdict.reason } : null;
}

/** The table cell: the planned time, or "due now" (a due certificate is renewed by the next scan). */
export function nextRenewalCell(next: NextRenewal | null): string {
  if (!next) return '-';
  if (next.due) return next.at ? `due since ${next.at}` : 'due now';
  return next.at ?? '-';
}

/** The VERSION cell: a revoked current version says so (hosts serve it until a renewal). */
function versionCell(version: string | null | undefined, revoked: RevocationMark | undefined): string {
  if (!version) return '-';
  return revoked ? `${version} (REVOKED)` : version;
}

export function revokedNote(revoked: RevocationMark): string {
  return ` — REVOKED (${revoked.reason}, ${revoked.revokedAt}): hosts serve it until a new one is issued`;
}

/** A certificate's renewal lease as `status` shows it (docs/runbook.md "A renewal lease"). */
export interface LeaseView {
  readonly holder: string;
  readonly expiresAt: string;
  /** running: it renews the certificate now; over: its execution ended without giving the lease back (stopped, its process gone), expired: past its end. */
  readonly holderState: 'running' | 'over' | 'expired' | 'unknown';
  /** Orders of stopped executions the holder's cleanup removes. */
  readonly leftovers: number;
}

/** The view of a held lease: `isGone` asks whether its holder is over (ExecutionStatus). */
export async function leaseView(lease: RenewalLease | undefined, isGone: (holder: string) => Promise<boolean>, now: Date): Promise<LeaseView | null> {
  if (!lease) return null;
  const expired = lease.expiresAt.getTime() <= now.getTime();
  const gone = expired ? undefined : await isGone(lease.holder).catch(() => undefined);
  const holderState = expired ? 'expired' : gone === undefined ? 'unknown' : gone ? 'over' : 'running';
  return { holder: lease.holder, expiresAt: lease.expiresAt.toISOString(), holderState, leftovers: lease.leftovers?.length ?? 0 };
}

const LEASE_STATES: Record<LeaseView['holderState'], string> = {
  running: 'running: certflow issue/renew of it fails with RenewalInProgress until it ends',
  over: 'over (stopped, or its process gone): the next renewal takes the lease over at once',
  expired: 'expired: the next renewal takes the lease over',
  unknown: 'its state could not be asked: the lease holds until it expires',
};

/** `status`'s lease line. */
export function leaseLine(lease: LeaseView): string {
  const leftovers = lease.leftovers ? `; cleans up ${lease.leftovers} stopped order(s) when it ends` : '';
  return `  lease     held by ${lease.holder} until ${lease.expiresAt}, ${LEASE_STATES[lease.holderState]}${leftovers}`;
}

// ---- hosts ------------------------------------------------------------------------------------

/** A host as list/status show it: what it last reported installed, and its failure when that is its last report. */
export function hostRow(state: HostState, currentVersion: string | null | undefined) {
  const { host, installed, failure, lastReportAt } = state;
  return {
    host,
    verdict: hostVerdict(state, currentVersion ?? undefined),
    version: installed?.version ?? null,
    serialNumber: installed?.serialNumber ?? null,
    installedAt: installed?.at ?? null,
    reloaded: installed?.reloaded ?? null,
    /** true: its endpoints presented it (--verify-tls); "unknown": not checked. */
    served: servedOf(state) ?? null,
    endpoints: installed?.endpoints ?? [],
    ...(failure ? { lastFailure: failure } : {}),
    lastReportAt,
  };
}
type HostRow = ReturnType<typeof hostRow>;

export function hostsTable(rows: readonly (HostRow & { certificateId?: string })[], withId: boolean): string {
  const header = [...(withId ? ['ID'] : []), 'HOST', 'VERSION', 'SERIAL', 'INSTALLED AT', 'STATE', 'SERVED'];
  return table(
    header,
    rows.map((row) => [
      ...(withId ? [row.certificateId ?? '-'] : []),
      row.host,
      row.version ?? '-',
      row.serialNumber ?? '-',
      row.installedAt ?? '-',
      row.lastFailure
        ? `failed ${row.lastFailure.at} ${row.lastFailure.stage} of version ${row.lastFailure.version}: ${row.lastFailure.error}${row.lastFailure.rolledBackTo ? ` (rolled back to ${row.lastFailure.rolledBackTo})` : ''}`
        : row.verdict === 'current' ? 'current' : 'not current',
      row.served === true ? row.endpoints.map((endpoint) => `${endpoint.endpoint} ${endpoint.serialNumber}`).join(', ') : (row.served ?? '-'),
    ]),
  );
}

/**
 * `status`'s "renewed but not served": the certificate's hosts that have not reported its current
 * version served once the grace has passed since that version was announced (its latest "Certificate
 * Renewed" or "Certificate Rolled Back" among `reports`). When the reports read hold no announcement
 * of it (AWS: the inventory log group read back a bounded window, or predates announcements reaching
 * it), the version's notBefore stands in: it was issued then, so it cannot have been announced earlier.
 */
export function unservedHosts(
  reports: readonly ReportEnvelope[],
  states: readonly HostState[],
  current: { readonly certificateId: string; readonly version: string; readonly notBefore: string },
  now: Date,
): { host: string; reason: NotServedReason }[] {
  const announced = announcements(reports).get(current.certificateId);
  const renewedAt = announced?.version === current.version ? announced.at : current.notBefore;
  return notServed(states, { currentVersion: current.version, renewedAt, now, graceMs: NOT_SERVED_GRACE_MS });
}

export const notServedLine = (unserved: readonly { host: string; reason: NotServedReason }[]): string =>
  `renewed but not served: ${unserved.map(({ host, reason }) => `${host} (${reason})`).join(', ')}`;
