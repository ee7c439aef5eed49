/**
 * ACME Renewal Information (RFC 9773), the pure half: the identifier a CA knows a certificate
 * by, the suggested window it answers with, and the instant in that window we renew at. The
 * HTTP fetch (`GET <renewalInfo>/<certID>`, honouring Retry-After) belongs to the Scan Lambdas.
 */
import { createHash } from 'node:crypto';
import { HOUR_MS } from './durations';
import { parseCertificate } from './parsed-certificates';

export interface RenewalWindow {
  readonly start: Date;
  readonly end: Date;
  readonly explanationUrl?: string;
}

/** A usable window, or why the CA's answer cannot be used (the policy then falls back). */
export type RenewalInfo = RenewalWindow | { readonly invalid: string };

/** A deterministic fraction in [0, 1) from a string: the first 48 bits of its SHA-256. */
export function jitterFraction(seed: string): number {
  return createHash('sha256').update(seed).digest().readUIntBE(0, 6) / 2 ** 48;
}

interface Tlv {
  readonly tag: number;
  /** Offset of the first content byte. */
  readonly start: number;
  readonly end: number;
}

function readTlv(der: Uint8Array, offset: number): Tlv {
  const tag = der[offset];
  const first = der[offset + 1];
  if (tag === undefined || first === undefined) throw new Error('truncated DER');
  let start = offset + 2;
  let length = first;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (start + count > der.length) throw new Error('truncated DER');
    length = 0;
    for (let i = 0; i < count; i += 1) length = length * 256 + der[start + i]!;
    start += count;
  }
  if (start + length > der.length) throw new Error('truncated DER');
  return { tag, start, end: start + length };
}

function children(der: Uint8Array, parent: Tlv): Tlv[] {
  const result: Tlv[] = [];
  for (let offset = parent.start; offset < parent.end; ) {
    const child = readTlv(der, offset);
    result.push(child);
    offset = child.end;
  }
  return result;
}

const TAG_VERSION = 0xa0; // [0] EXPLICIT Version, optional in TBSCertificate
const TAG_EXTENSIONS = 0xa3; // [3] EXPLICIT Extensions
const TAG_KEY_IDENTIFIER = 0x80; // [0] IMPLICIT KeyIdentifier in AuthorityKeyIdentifier
const OID_AUTHORITY_KEY_IDENTIFIER = '551d23'; // 2.5.29.35, DER content bytes

const hex = (der: Uint8Array, tlv: Tlv) => Buffer.from(der.subarray(tlv.start, tlv.end)).toString('hex');

function authorityKeyIdentifier(der: Uint8Array, fields: readonly Tlv[]): Uint8Array | undefined {
  const extensions = fields.find((field) => field.tag === TAG_EXTENSIONS);
  if (!extensions) return undefined;
  for (const extension of children(der, children(der, extensions)[0]!)) {
    const parts = children(der, extension); // extnID, critical (optional), extnValue
    if (hex(der, parts[0]!) !== OID_AUTHORITY_KEY_IDENTIFIER) continue;
    const value = readTlv(der, parts[parts.length - 1]!.start);
    const keyId = children(der, value).find((part) => part.tag === TAG_KEY_IDENTIFIER);
    return keyId && der.subarray(keyId.start, keyId.end);
  }
  return undefined;
}

/**
 * RFC 9773 §4.1: base64url(AKI keyIdentifier) "." base64url(serial number DER content bytes,
 * leading 0x00 included), unpadded. Also the `replaces` value of the order that renews it (§5).
 * Takes the leaf's PEM (a full chain works: the leaf comes first).
 */
export function ariCertId(leafPem: string): string {
  const der = new Uint8Array(parseCertificate(leafPem).raw);
  const tbs = children(der, readTlv(der, 0))[0]!;
  const fields = children(der, tbs);
  const serial = fields[fields[0]?.tag === TAG_VERSION ? 1 : 0]!;
  const keyId = authorityKeyIdentifier(der, fields);
  if (!keyId) throw new Error('the certificate has no Authority Key Identifier keyIdentifier, which ARI needs (RFC 9773 §4.1)');
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
  return `${b64(keyId)}.${b64(der.subarray(serial.start, serial.end))}`;
}

/** Whether `certId` names the certificate with this serial (lowercase hex, as in CertificateMetadata). */
export function certIdMatchesSerial(certId: string, serialHex: string): boolean {
  const serialPart = certId.split('.')[1] ?? '';
  const strip = (value: string) => value.toLowerCase().replace(/^0+/, '');
  return strip(Buffer.from(serialPart, 'base64url').toString('hex')) === strip(serialHex);
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function timestamp(value: unknown): Date | undefined {
  if (typeof value !== 'string' || !RFC3339.test(value)) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The renewalInfo response body (RFC 9773 §4.2), parsed or as text. A window entirely in the
 * past is valid: it means "renew now" (what a CA answers before revoking a certificate).
 */
export function parseRenewalInfo(body: unknown): RenewalInfo {
  let json = body;
  if (typeof body === 'string') {
    try {
      json = JSON.parse(body);
    } catch {
      return { invalid: 'the response is not JSON' };
    }
  }
  if (!isObject(json)) return { invalid: 'the response is not a JSON object' };
  const window = json.suggestedWindow;
  if (!isObject(window)) return { invalid: 'suggestedWindow is missing' };
  const start = timestamp(window.start);
  const end = timestamp(window.end);
  if (!start) return { invalid: `suggestedWindow.start is not an RFC 3339 timestamp: ${JSON.stringify(window.start)}` };
  if (!end) return { invalid: `suggestedWindow.end is not an RFC 3339 timestamp: ${JSON.stringify(window.end)}` };
  if (end <= start) return { invalid: `suggestedWindow.end (${end.toISOString()}) is not after its start (${start.toISOString()})` };
  const url = json.explanationURL;
  return typeof url === 'string' ? { start, end, explanationUrl: url } : { start, end };
}

/**
 * The instant in the window this certificate renews at: uniform over the window as RFC 9773
 * §4.2 asks, but deterministic (a scan that runs twice decides the same way). We draw from
 * [start, end − one scan interval] so the first scan at or after the instant still falls inside
 * the window (a window narrower than a scan interval gives its start). `seed` should name the
 * certificate and its serial, so each new certificate draws afresh.
 */
export function ariInstant(window: RenewalWindow, seed: string, scanIntervalHours = 0): Date {
  const span = Math.max(0, window.end.getTime() - window.start.getTime() - scanIntervalHours * HOUR_MS);
  return new Date(window.start.getTime() + Math.floor(jitterFraction(seed) * span));
}
