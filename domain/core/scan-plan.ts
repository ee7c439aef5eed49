/**
 * One scheduled scan, decided: which certificates to renew now (as RenewCertificate inputs),
 * which wait for the next scan, which are close to expiry. Pure: the store's inventory, the
 * orders already placed, ARI answers and the clock come in; the scan Lambda does the I/O.
 */
import { createHash } from 'node:crypto';
import type { CertificateExpiringEvent, StoredCertificateState } from '../ports';
import { certIdMatchesSerial } from './ari';
import { DAY_MS } from './durations';
import type { KeyType } from './key-types';
import { DEFAULT_KEY_TYPE } from './key-types';
import { DEFAULT_SCAN_INTERVAL_HOURS, isRetired, type AriState, type DeclaredCertificate, type StoreState, type Verdict } from './renewal-policy';
import { evaluateInventory, selectForRenewal, type InventoryEntry } from './scan-selection';
import type { ManagedCertificate, ScanSettings } from '../contracts/settings';

// The declared certificates and the scan settings are part of the settings' contract (domain/contracts/settings.ts).
export type { ManagedCertificate, ScanSettings };

export const DEFAULT_SCAN: ScanSettings = {
  intervalHours: DEFAULT_SCAN_INTERVAL_HOURS,
  // Let's Encrypt: 300 new orders per account per 3 hours.
  budget: { windowHours: 3, maxOrders: 300 },
  expiringDays: 7,
};

/** The input of one RenewCertificate execution. */
export interface RenewalRequest {
  readonly certificateId: string;
  readonly names: string[];
  readonly keyType: KeyType;
  readonly keystore?: ManagedCertificate['keystore'];
  /** RFC 9773: the certificate this order replaces (sent when the CA offers ARI). */
  readonly replaces?: string;
  /** A private issuance: the scan names its execution so that it does not count against the ACME order budget. */
  readonly issuer?: 'privateCa';
}

export interface ScanPlan {
  readonly requests: RenewalRequest[];
  readonly deferred: { readonly id: string; readonly reason: string }[];
  readonly skipped: { readonly id: string; readonly reason: string }[];
  readonly expiring: CertificateExpiringEvent[];
  readonly daysToExpiry: { readonly id: string; readonly days: number }[];
  readonly summary: { inventory: number; due: number; selected: number; deferred: number; expiring: number; ordersInWindow: number };
}

export interface ScanInput {
  readonly declared: readonly ManagedCertificate[];
  readonly stored: readonly StoredCertificateState[];
  readonly ari: ReadonlyMap<string, AriState>;
  /** ACME orders placed in the budget window (private issuances are not counted). */
  readonly ordersInWindow: number;
  readonly now: Date;
  readonly settings: ScanSettings;
}

export const namesHash = (names: readonly string[]) => createHash('sha256').update([...names].sort().join(',')).digest('hex');

/** The store's state in the policy's terms; names known only by hash are resolved against the declaration. */
function storeState(stored: StoredCertificateState | undefined, declaredNames: readonly string[] | undefined, ari: AriState | undefined): StoreState {
  if (!stored) return {};
  const failure = stored.lastFailure ? { lastFailure: { at: stored.lastFailure.at, error: stored.lastFailure.error } } : {};
  const withAri = ari ? { ari } : {};
  if (stored.unreadable) return { current: { unreadable: stored.unreadable }, ...failure, ...withAri };
  if (!stored.current) return { ...failure, ...withAri };
  let { metadata } = stored.current;
  if (metadata.names.length === 0 && declaredNames && stored.namesSha256 === namesHash(declaredNames)) {
    metadata = { ...metadata, names: [...declaredNames] };
  }
  const revoked = stored.currentRevoked ? { revoked: { reason: stored.currentRevoked.reason, revokedAt: stored.currentRevoked.revokedAt } } : {};
  return { current: { metadata }, ...failure, ...withAri, ...revoked };
}

/** The certificates a scan manages (declared ones, plus those the store holds from manual executions) joined with the store's state. */
function managedInventory(declared: readonly ManagedCertificate[], stored: readonly StoredCertificateState[], ari: ReadonlyMap<string, AriState>) {
  const storedById = new Map(stored.map((state) => [state.certificateId, state]));
  const declaredById = new Map(declared.map((certificate) => [certificate.id, certificate]));
  const skipped: ScanPlan['skipped'] = [];

  const managed: ManagedCertificate[] = [...declared];
  for (const state of stored) {
    if (declaredById.has(state.certificateId)) continue;
    const metadata = state.current?.metadata;
    if (!metadata || metadata.names.length === 0) {
      skipped.push({ id: state.certificateId, reason: 'not declared, and the store does not know its names: renew it by hand or declare it' });
      continue;
    }
    managed.push({ id: state.certificateId, names: metadata.names, keyType: metadata.keyType });
  }

  const entries: InventoryEntry[] = managed.map((certificate) => {
    const policyCertificate: DeclaredCertificate = {
      id: certificate.id,
      names: certificate.names,
      keyType: certificate.keyType ?? DEFAULT_KEY_TYPE,
      ...(certificate.renewBeforeDays !== undefined ? { renewBeforeDays: certificate.renewBeforeDays } : {}),
      ...(certificate.issuer === 'privateCa' ? { issuer: 'privateCa' as const } : {}),
    };
    return { certificate: policyCertificate, ...storeState(storedById.get(certificate.id), certificate.names, ari.get(certificate.id)) };
  });
  return { storedById, managed, entries, skipped };
}

/**
 * When the scan plans to renew each certificate it manages (`certflow list`): the policy's verdict
 * on what the store knows, without ARI (each scan asks the CA; its window may move a renewal
 * earlier). Certificates the scan skips (names unknown) have none.
 */
export function plannedRenewals(input: { readonly declared: readonly ManagedCertificate[]; readonly stored: readonly StoredCertificateState[]; readonly now: Date; readonly intervalHours?: number }): Map<string, Verdict> {
  const { entries } = managedInventory(input.declared, input.stored, new Map());
  return new Map(evaluateInventory(entries, input.now, input.intervalHours).map((candidate) => [candidate.id, candidate.verdict]));
}

export function planScan({ declared, stored, ari, ordersInWindow, now, settings }: ScanInput): ScanPlan {
  const { storedById, managed, entries, skipped } = managedInventory(declared, stored, ari);
  const candidates = evaluateInventory(entries, now, settings.intervalHours);
  const selection = selectForRenewal({
    candidates,
    budget: { ...settings.budget, ordersInWindow },
    ...(settings.maxPerScan !== undefined ? { maxPerScan: settings.maxPerScan } : {}),
  });

  const managedById = new Map(managed.map((certificate) => [certificate.id, certificate]));
  const requests = selection.selected.map((id): RenewalRequest => {
    const certificate = managedById.get(id)!;
    const ariState = ari.get(id);
    const serial = storedById.get(id)?.current?.metadata.serialNumber;
    // Only an answer about the certificate in hand names what this order replaces.
    const replaces = certificate.issuer !== 'privateCa' && ariState && !('invalid' in ariState.info) && serial && certIdMatchesSerial(ariState.certId, serial) ? ariState.certId : undefined;
    return {
      certificateId: id,
      names: [...certificate.names],
      keyType: certificate.keyType ?? DEFAULT_KEY_TYPE,
      ...(certificate.keystore ? { keystore: certificate.keystore } : {}),
      ...(replaces ? { replaces } : {}),
      ...(certificate.issuer === 'privateCa' ? { issuer: 'privateCa' as const } : {}),
    };
  });

  const selected = new Set(selection.selected);
  const deferredReason = new Map(selection.deferred.map((entry) => [entry.id, entry.reason]));
  const verdicts = new Map(candidates.map((candidate) => [candidate.id, candidate.verdict]));
  const expiring: CertificateExpiringEvent[] = [];
  const daysToExpiry: ScanPlan['daysToExpiry'] = [];
  for (const state of stored) {
    if (!state.current) continue;
    const { metadata, version } = state.current;
    const days = Math.floor(((Date.parse(metadata.notAfter) - now.getTime()) / DAY_MS) * 10) / 10;
    daysToExpiry.push({ id: state.certificateId, days });
    if (days > settings.expiringDays || isRetired(state.currentRevoked)) continue; // a retired certificate is meant to expire
    const why = selected.has(state.certificateId)
      ? 'renewal started by this scan'
      : (deferredReason.get(state.certificateId) ?? verdicts.get(state.certificateId)?.reason ?? 'not managed by the scan');
    expiring.push({ certificateId: state.certificateId, version, serialNumber: metadata.serialNumber, notAfter: metadata.notAfter, daysToExpiry: days, reason: why });
  }

  return {
    requests,
    deferred: selection.deferred,
    skipped,
    expiring,
    daysToExpiry,
    summary: {
      inventory: managed.length,
      due: selection.selected.length + selection.deferred.length,
      selected: requests.length,
      deferred: selection.deferred.length,
      expiring: expiring.length,
      ordersInWindow,
    },
  };
}
