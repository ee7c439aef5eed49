/**
 * The local side of issue, renew, list, status, history and rollback: the embedded local default
 * (Pebble + local DNS + the file store under CERTFLOW_HOME, default .certflow). Loaded by the
 * actions only, so `certflow --help` and the AWS side never load the store or the pipeline.
 */
import * as path from 'node:path';
import { LocalEventLog, type LocalEvent } from '../../domain/adapters/local/event-log';
import { FileCertificateStore } from '../../domain/adapters/local/file-store';
import { hostInventory, hostsOf } from '../../domain/core/host-inventory';
import type { RevocationMark, StoredVersion } from '../../domain/ports';
import { plannedRenewals } from '../../domain/core/scan-plan';
import { LocalStoreAdmin } from '../../local/store-admin';
import { hostRow, hostsTable, inventoryTable, leaseLine, leaseView, nextRenewal, nextRenewalCell, notServedLine, profileCell, revokedNote, table, unservedHosts, usagesCell } from './inventory-view';
import { LocalExecutions } from '../../domain/adapters/local/local-executions';
import { lifetimeDays } from '../../domain/core/certificate';
import { EXIT, ROLLED_BACK, UsageError } from './exit';
import { certflowHome } from '../../local/home';

const out = (line = '') => process.stdout.write(`${line}\n`);
const json = (value: unknown) => out(JSON.stringify(value, null, 2));

const home = certflowHome;

type LoggedEvent = LocalEvent<Record<string, unknown>>;

function eventsOf(events: readonly LoggedEvent[], certificateId: string): LoggedEvent[] {
  return events.filter((event) => event.detail.certificateId === certificateId);
}

function daysLeft(notAfter: string, now = Date.now()): number {
  return Math.floor((Date.parse(notAfter) - now) / 86_400_000);
}


// ---- list / status / history / rollback -------------------------------------------------------


export async function listCommand(options: { json?: boolean }): Promise<number> {
  const store = new FileCertificateStore(home());
  const [inventory, events] = await Promise.all([store.inventory(), new LocalEventLog(path.join(home(), 'events.jsonl')).read()]);
  const hosts = hostInventory(events);
  // What the scan would plan for them (ScanCertificates renews every stored certificate whose names it knows).
  const planned = plannedRenewals({ declared: [], stored: inventory, now: new Date() });
  const rows = inventory.map((state) => {
    const renewals = eventsOf(events, state.certificateId).filter((event) => event['detail-type'] === 'Certificate Renewed');
    const metadata = state.current?.metadata;
    return {
      certificateId: state.certificateId,
      names: metadata?.names ?? [],
      keyType: metadata?.keyType,
      profile: metadata?.profile ?? null,
      lifetimeDays: metadata ? lifetimeDays(metadata) : null,
      usages: metadata?.usages,
      notAfter: metadata?.notAfter,
      daysLeft: metadata ? daysLeft(metadata.notAfter) : undefined,
      currentVersion: state.current?.version,
      ...(state.currentRevoked ? { currentRevoked: state.currentRevoked } : {}),
      lastRenewal: renewals.at(-1)?.time ?? metadata?.notBefore,
      nextRenewal: nextRenewal(planned.get(state.certificateId)),
      ...(state.lastFailure ? { lastFailure: state.lastFailure } : {}),
      ...(state.unreadable ? { unreadable: state.unreadable } : {}),
      hosts: hostsOf(hosts, state.certificateId).map((host) => hostRow(host, state.current?.version)),
    };
  });
  if (options.json) {
    json({ store: home(), certificates: rows });
    return EXIT.ok;
  }
  if (rows.length === 0) {
    out(`No certificates in ${home()} yet: certflow issue <id> --name <dns>…`);
    return EXIT.ok;
  }
  out(inventoryTable(rows));
  const hostRows = rows.flatMap((row) => row.hosts.map((host) => ({ certificateId: row.certificateId, ...host })));
  if (hostRows.length > 0) {
    out('');
    out(hostsTable(hostRows, true));
  }
  return EXIT.ok;
}

async function certificateRecord(id: string) {
  const admin = new LocalStoreAdmin(home());
  const store = admin.store;
  const [versions, current, events] = await Promise.all([admin.versions(id), store.current(id), new LocalEventLog(path.join(home(), 'events.jsonl')).read()]);
  const state = (await store.inventory()).find((candidate) => candidate.certificateId === id);
  const failure = state?.lastFailure;
  // Locally executions run in the certflow process that started them: over once it is gone.
  const lease = await leaseView(await store.heldLease(id), (holder) => new LocalExecutions().isGone(holder), new Date());
  if (versions.length === 0 && !current && !failure && !lease) throw new UsageError(`no certificate '${id}' in ${home()} (certflow list shows what there is)`);
  return { store, versions, current, events: eventsOf(events, id), failure, state, lease };
}

function versionRow(version: StoredVersion & { readonly revoked?: RevocationMark }, current: string | undefined): string[] {
  return [
    `${version.version === current ? '*' : ' '} ${version.version}`,
    version.metadata.serialNumber,
    version.metadata.keyType,
    usagesCell(version.metadata.usages),
    version.metadata.notBefore,
    version.metadata.notAfter,
    version.metadata.names.join(','),
    version.revoked ? `${version.revoked.reason} ${version.revoked.revokedAt}` : '-',
  ];
}

function printVersions(versions: readonly (StoredVersion & { readonly revoked?: RevocationMark })[], current: string | undefined): void {
  out(table(['VERSION', 'SERIAL', 'KEY TYPE', 'EKU', 'NOT BEFORE', 'NOT AFTER', 'NAMES', 'REVOKED'], versions.map((version) => versionRow(version, current))));
  out('  (* current)');
}

function eventLine(event: LoggedEvent): string {
  const { detail } = event;
  const facts = ['version', 'previousVersion', 'serialNumber', 'reason', 'step', 'error', 'daysToExpiry']
    .filter((key) => detail[key] !== undefined)
    .map((key) => `${key}=${String(detail[key])}`);
  return `${event.time}  ${event['detail-type'].padEnd(26)} ${facts.join(' ')}`;
}

export async function statusCommand(id: string, options: { json?: boolean }): Promise<number> {
  const { versions, current, events, failure, state, lease } = await certificateRecord(id);
  const states = hostInventory(events).filter((host) => host.certificateId === id);
  const hosts = states.map((host) => hostRow(host, current?.version));
  const unserved = current ? unservedHosts(events, states, { certificateId: id, version: current.version, notBefore: current.metadata.notBefore }, new Date()) : [];
  const next = nextRenewal(plannedRenewals({ declared: [], stored: state ? [state] : [], now: new Date() }).get(id));
  const rotation = await (await import('./ca-rotate')).rotationOf(id);
  if (options.json) {
    json({ certificateId: id, current: current ?? null, versions, lastFailure: failure ?? null, lease, nextRenewal: next, lastEvent: events.at(-1) ?? null, hosts, notServed: unserved, rotation: rotation ?? null });
    return EXIT.ok;
  }
  out(`${id}`);
  if (current) {
    out(`  current   version ${current.version}, serial ${current.metadata.serialNumber}${state?.currentRevoked ? revokedNote(state.currentRevoked) : ''}`);
    out(`  names     ${current.metadata.names.join(', ')} (${current.metadata.keyType})`);
    out(`  profile   ${profileCell({ profile: current.metadata.profile ?? null, lifetimeDays: lifetimeDays(current.metadata) })}`);
    out(`  EKU       ${usagesCell(current.metadata.usages)}`);
    out(`  notAfter  ${current.metadata.notAfter} (${daysLeft(current.metadata.notAfter)} days left)`);
    out(`  files     ${current.location}/`);
  } else out('  current   none');
  if (next) out(`  next renewal  ${nextRenewalCell(next)} (${next.reason})`);
  if (lease) out(leaseLine(lease));
  if (rotation) {
    const { holderLine } = await import('./ca-rotate');
    out(`  root rotation phase ${rotation.phase} since ${rotation.phaseSince}; ${rotation.heldBy.length ? `held by ${rotation.heldBy.map(holderLine).join(', ')}` : 'its hosts passed it'}`);
  }
  if (failure) out(`  last failure  ${failure.at} ${failure.step}: ${failure.error}`);
  if (events.length > 0) out(`  last event    ${eventLine(events.at(-1)!)}`);
  out('');
  printVersions(versions, current?.version);
  out('');
  out(hosts.length ? hostsTable(hosts, false) : 'no host has reported installing it (agents append "Certificate Installed" to events.jsonl)');
  if (unserved.length > 0) out(`\n${notServedLine(unserved)}`);
  return EXIT.ok;
}

export async function historyCommand(id: string, options: { json?: boolean }): Promise<number> {
  const { versions, current, events } = await certificateRecord(id);
  if (options.json) {
    json({ certificateId: id, currentVersion: current?.version ?? null, versions, events });
    return EXIT.ok;
  }
  printVersions(versions, current?.version);
  out('');
  out(events.length ? events.map(eventLine).join('\n') : `no events for '${id}' in ${path.join(home(), 'events.jsonl')}`);
  return EXIT.ok;
}

export async function rollbackCommand(id: string, options: { to?: string; json?: boolean }): Promise<number> {
  let result;
  try {
    result = await new LocalStoreAdmin(home()).rollback(id, options.to);
  } catch (error) {
    process.stderr.write(`certflow rollback: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.failed;
  }
  const { from, to, skippedRevoked } = result;
  const { serialNumber, notBefore, notAfter, fingerprintSha256 } = to.metadata;
  const event = { certificateId: id, version: to.version, previousVersion: from, serialNumber, notBefore, notAfter, fingerprintSha256 };
  // Announced: running agents install what the store now calls current.
  await new LocalEventLog(path.join(home(), 'events.jsonl')).rolledBack(event);
  if (options.json) json({ certificateId: id, from, to: to.version, skippedRevoked, current: to, event });
  else {
    if (skippedRevoked.length) out(`Passed over revoked version(s) ${skippedRevoked.join(', ')}`);
    out(`Rolled back '${id}' from version ${from} to version ${to.version} (serial ${to.metadata.serialNumber}, notAfter ${to.metadata.notAfter}); "${ROLLED_BACK}" appended to ${path.join(home(), 'events.jsonl')}`);
  }
  return EXIT.ok;
}

