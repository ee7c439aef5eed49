/**
 * Is a certificate due for renewal? A chain of small policies evaluated in order, the first
 * verdict wins (cert-manager's trigger policies and `renewaltime.go`). Pure: the clock is an
 * argument. docs/renewal-policy.md explains the numbers.
 */
import { ariInstant, certIdMatchesSerial, jitterFraction, type RenewalInfo, type RenewalWindow } from './ari';
import type { CertificateMetadata } from './certificate';
import { normalizeName } from './dns-names';
import { DAY_MS, HOUR_MS } from './durations';
import type { KeyType } from './key-types';
import { privateRenewalFraction } from './private-renewal';

/** Let's Encrypt's order budget window (300 new orders per 3 h): a scan per window uses every window. */
export const DEFAULT_SCAN_INTERVAL_HOURS = 3;
/** No certificate should get below this share of its lifetime before it is replaced. */
export const FLOOR_FRACTION = 1 / 6;
/** Scans (first attempt, then retries or budget deferrals) a certificate gets before the floor. */
export const ATTEMPTS_BEFORE_FLOOR = 4;
/** Renew by ⅔ of the lifetime, cert-manager's default (a third of the lifetime left). */
const TARGET_FRACTION = 2 / 3;
/** When scans are too far apart for the guarantee, still never renew before half the lifetime. */
const LOWEST_LATEST_FRACTION = 1 / 2;
/**
 * Jitter spreads renewals over [¾ · latest, latest] of the lifetime: [½, ⅔] by default. Wide
 * enough that certificates issued on one day (an onboarding) renew over a sixth of their
 * lifetime (15 days for 90-day certificates, 24 h = 4 scans for 6-day ones), and drift further
 * apart with every generation; the price is about 14 % more orders than renewing all at ⅔.
 */
const SPREAD = 3 / 4;

export interface DeclaredCertificate {
  readonly id: string;
  readonly names: readonly string[];
  readonly keyType: KeyType;
  /** Renew this many days before notAfter instead of the lifetime rule (no jitter, like cert-manager). */
  readonly renewBeforeDays?: number;
  /** A private CA's identity: renewed at 50–80 % of its lifetime (private-renewal.ts), no ARI. */
  readonly issuer?: 'privateCa';
}

type StoredCertificate = { readonly metadata: CertificateMetadata } | { readonly unreadable: string };

export interface RenewalFailure {
  readonly at: string;
  readonly error: string;
}

export interface AriState {
  /** The certID the info was fetched for: info about an older certificate is ignored. */
  readonly certId: string;
  readonly info: RenewalInfo;
}

/** The current certificate's revocation, as the store marks it (ADR 0008). */
export interface Revocation {
  readonly reason: string;
  readonly revokedAt: string;
}

/** What the store knows about one certificate. */
export interface StoreState {
  readonly current?: StoredCertificate;
  readonly lastFailure?: RenewalFailure;
  readonly ari?: AriState;
  /** Set when the current certificate was revoked (without a reissue). */
  readonly revoked?: Revocation;
}

/**
 * Revoked with `cessationOfOperation` (RFC 5280 §5.3.1): the operator retired the service on
 * purpose, so the scan leaves it alone even when the CA's ARI window says "renew now" (a CA answers
 * that for every revoked certificate). `certflow renew <id>` brings it back.
 */
export const isRetired = (revoked: Revocation | undefined): boolean => revoked?.reason === 'cessationOfOperation';

export interface PolicyInput extends StoreState {
  readonly certificate: DeclaredCertificate;
  readonly now: Date;
  /** The Scan schedule's interval (default 3 h): the latest renewal point depends on it. */
  readonly scanIntervalHours?: number;
}

export interface Verdict {
  readonly due: boolean;
  readonly reason: string;
  /** When it became (or becomes) due; absent when due because of what is stored or declared. */
  readonly renewAt?: string;
  /**
   * Hours until the certificate reaches the floor (⅙ of its lifetime left, or the end of the
   * CA's ARI window if sooner); negative once past it. Lower is more urgent. Absolute hours,
   * not a lifetime fraction: a 6-day certificate at 35 % (2 days left) must go before a 90-day
   * one at 30 % (27 days left). Missing certificates and configuration changes rank as 0.
   */
  readonly urgency: number;
  /** Due again after a failed attempt on this certificate (selection caps these, see scan-selection). */
  readonly retry?: boolean;
}

/** The current certificate's validity, parsed once. */
interface Validity {
  readonly metadata: CertificateMetadata;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly lifetime: number;
  readonly hoursToFloor: number;
}

/** What the policies look at (the input is wrapped, not spread: spreading costs more than the rest of a verdict). */
interface Subject {
  readonly input: PolicyInput;
  readonly nowMs: number;
  readonly scanIntervalHours: number;
  /** Absent when there is no certificate, or it (or its metadata) is unreadable. */
  readonly cert?: Validity;
}

type Policy = (subject: Subject) => Verdict | undefined;

/**
 * Where the lifetime rule renews, as fractions of the lifetime. `deadline` is the latest point
 * that still leaves ATTEMPTS_BEFORE_FLOOR scans before the floor,
 * 1 − ⅙ − attempts × scanInterval / lifetime: a certificate due by then is tried by at least
 * that many scans (first attempt, then retries or budget deferrals) before only ⅙ is left.
 * `latest` is ⅔, or the deadline when that is earlier (6-day certificates scanned every 6 h sit
 * exactly at ⅔), but never before ½ (scans that far apart cannot keep the guarantee anyway).
 */
export function renewalFractions(lifetimeMs: number, scanIntervalHours = DEFAULT_SCAN_INTERVAL_HOURS) {
  const deadline = 1 - FLOOR_FRACTION - (ATTEMPTS_BEFORE_FLOOR * scanIntervalHours * HOUR_MS) / lifetimeMs;
  const latest = Math.min(TARGET_FRACTION, Math.max(LOWEST_LATEST_FRACTION, deadline));
  return { earliest: latest * SPREAD, latest, deadline: Math.max(deadline, latest) };
}

const percent = (fraction: number) => `${(fraction * 100).toFixed(1)}%`;
const iso = (ms: number) => new Date(ms).toISOString();

function immediately(reason: string, urgency = 0): Verdict {
  return { due: true, reason, urgency };
}

function at(nowMs: number, instant: number, why: string, urgency: number): Verdict {
  const renewAtMs = Math.ceil(instant); // whole milliseconds, so `renewAt` is exactly when it becomes due
  const due = nowMs >= renewAtMs;
  const renewAt = iso(renewAtMs);
  return { due, reason: `${why}: ${due ? 'due since' : 'due at'} ${renewAt}`, renewAt, urgency };
}

/** The ARI window that applies to the current certificate, or why there is none. */
function ariWindow({ input: { ari }, cert }: Subject): RenewalWindow | string {
  if (!ari) return 'no ARI window';
  if ('invalid' in ari.info) return `ARI window unusable (${ari.info.invalid})`;
  if (!cert || !certIdMatchesSerial(ari.certId, cert.metadata.serialNumber)) return `ARI window is for another certificate (${ari.certId})`;
  return ari.info;
}

/** Why the rules after `ari` apply: that policy answers whenever the window is usable. */
const ariFallbackNote = (subject: Subject) => ariWindow(subject) as string;

const missing: Policy = ({ input }) => (input.current ? undefined : immediately('no certificate issued yet'));

const unreadable: Policy = ({ input: { current }, cert }) => {
  if (!current || cert) return undefined;
  if ('unreadable' in current) return immediately(`stored certificate unreadable: ${current.unreadable}`);
  return immediately(`stored metadata has no valid validity period (${current.metadata.notBefore} – ${current.metadata.notAfter})`);
};

const retired: Policy = ({ input: { revoked, certificate }, cert }) =>
  cert && revoked && isRetired(revoked)
    ? { due: false, reason: `retired: revoked (${revoked.reason}) at ${revoked.revokedAt}; certflow renew ${certificate.id} brings it back`, urgency: Infinity }
    : undefined;

/** Revoked for another reason and the CA's ARI (which answers "now" for a revoked certificate) did not decide: renew now. */
const revokedCertificate: Policy = ({ input: { revoked }, cert }) =>
  cert && revoked ? immediately(`revoked (${revoked.reason}) at ${revoked.revokedAt}`, Math.min(0, cert.hoursToFloor)) : undefined;

const namesChanged: Policy = ({ input: { certificate }, cert }) => {
  if (!cert) return undefined;
  const declared = new Set(certificate.names.map(normalizeName));
  const issued = new Set(cert.metadata.names.map(normalizeName));
  const added = [...declared].filter((name) => !issued.has(name)).sort();
  const removed = [...issued].filter((name) => !declared.has(name)).sort();
  if (added.length + removed.length === 0) return undefined;
  const changes = [...added.map((name) => `+${name}`), ...removed.map((name) => `-${name}`)];
  return immediately(`names changed: ${changes.join(', ')}`, Math.min(0, cert.hoursToFloor));
};

const keyTypeChanged: Policy = ({ input: { certificate }, cert }) =>
  cert && cert.metadata.keyType !== certificate.keyType
    ? immediately(`key type changed: ${cert.metadata.keyType} → ${certificate.keyType}`, Math.min(0, cert.hoursToFloor))
    : undefined;

/**
 * The CA's window wins over our own rule, but is capped at the deadline: ARI may move renewal
 * earlier (a past window = renew now), never so late that the floor guarantee is lost.
 */
const ari: Policy = (s) => {
  const window = ariWindow(s);
  if (!s.cert || typeof window === 'string') return undefined;
  const { notBefore, lifetime, metadata } = s.cert;
  const instant = ariInstant(window, `${s.input.certificate.id}:${metadata.serialNumber}`, s.scanIntervalHours).getTime();
  const cap = notBefore + renewalFractions(lifetime, s.scanIntervalHours).deadline * lifetime;
  const why = [
    `ARI window ${iso(window.start.getTime())} – ${iso(window.end.getTime())}`,
    instant > cap ? ` (its instant ${iso(instant)} capped at the floor guarantee)` : '',
    window.explanationUrl ? ` (explanation: ${window.explanationUrl})` : '',
  ].join('');
  return at(s.nowMs, Math.min(instant, cap), why, Math.min(s.cert.hoursToFloor, (window.end.getTime() - s.nowMs) / HOUR_MS));
};

const usableRenewBefore = (days: number | undefined, lifetime: number): days is number => days !== undefined && days > 0 && days * DAY_MS < lifetime;

const renewBefore: Policy = (s) => {
  const days = s.input.certificate.renewBeforeDays;
  if (!s.cert || !usableRenewBefore(days, s.cert.lifetime)) return undefined;
  return at(s.nowMs, s.cert.notAfter - days * DAY_MS, `${ariFallbackNote(s)}; renewBefore ${days}d`, s.cert.hoursToFloor);
};

/** Deterministic per certificate and serial: every new certificate draws a new point. */
const lifetimeFraction: Policy = (s) => {
  if (!s.cert) return undefined;
  const { notBefore, lifetime, metadata, hoursToFloor } = s.cert;
  const { earliest, latest } = renewalFractions(lifetime, s.scanIntervalHours);
  const fraction = earliest + jitterFraction(`${s.input.certificate.id}:${metadata.serialNumber}`) * (latest - earliest);
  const days = s.input.certificate.renewBeforeDays;
  const ignored = days === undefined ? '' : `; renewBefore ${days}d ignored (needs 0 < days < lifetime ${(lifetime / DAY_MS).toFixed(1)}d)`;
  return at(s.nowMs, notBefore + fraction * lifetime, `${ariFallbackNote(s)}${ignored}; renew at ${percent(fraction)} of lifetime`, hoursToFloor);
};

/** A private CA's identity: a random point in 50–80 % of its lifetime, per certificate and serial (private-renewal.ts). */
const privateLifetime: Policy = (s) => {
  if (!s.cert || s.input.certificate.issuer !== 'privateCa') return undefined;
  const fraction = privateRenewalFraction(`${s.input.certificate.id}:${s.cert.metadata.serialNumber}`);
  return at(s.nowMs, s.cert.notBefore + fraction * s.cert.lifetime, `private CA identity; renew at ${percent(fraction)} of lifetime`, s.cert.hoursToFloor);
};

const POLICY_CHAIN: readonly Policy[] = [missing, unreadable, retired, namesChanged, keyTypeChanged, privateLifetime, ari, revokedCertificate, renewBefore, lifetimeFraction];

function validity(metadata: CertificateMetadata, nowMs: number): Validity | undefined {
  const notBefore = Date.parse(metadata.notBefore);
  const notAfter = Date.parse(metadata.notAfter);
  const lifetime = notAfter - notBefore;
  if (!(lifetime > 0)) return undefined; // unparsable or inverted dates
  return { metadata, notBefore, notAfter, lifetime, hoursToFloor: (notAfter - lifetime * FLOOR_FRACTION - nowMs) / HOUR_MS };
}

/**
 * A due certificate whose last attempt failed stays due: nothing changed its renewal point
 * (same serial), so the next scan retries it. No backoff: a 6-day certificate only has
 * ATTEMPTS_BEFORE_FLOOR scans, and one attempt per 6 h is far below the CA's limit on failed
 * validations (5 per name per hour). Selection keeps retries from crowding out first attempts.
 */
function withFailure(verdict: Verdict, { input: { lastFailure }, cert }: Subject): Verdict {
  if (!verdict.due || !lastFailure) return verdict;
  if (cert && !(Date.parse(lastFailure.at) >= cert.notBefore)) return verdict; // failed before the current certificate
  return { ...verdict, retry: true, reason: `${verdict.reason}; retrying after failure at ${lastFailure.at}: ${lastFailure.error}` };
}

export function evaluateRenewal(input: PolicyInput): Verdict {
  const nowMs = input.now.getTime();
  const current = input.current;
  const subject: Subject = {
    input,
    nowMs,
    scanIntervalHours: input.scanIntervalHours ?? DEFAULT_SCAN_INTERVAL_HOURS,
    cert: current && 'metadata' in current ? validity(current.metadata, nowMs) : undefined,
  };
  for (const policy of POLICY_CHAIN) {
    const verdict = policy(subject);
    if (verdict) return withFailure(verdict, subject);
  }
  // missing and unreadable answer when there is no valid certificate, lifetimeFraction when there is.
  throw new Error(`no renewal policy answered for '${input.certificate.id}'`);
}
