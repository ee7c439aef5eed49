/**
 * Reading a delivered EventBridge envelope as a "Certificate Renewed" event. Pure. Only the
 * fields the agent acts on are checked; the bundle it then fetches is verified in full.
 */
import { DETAIL_TYPES, EVENT_SOURCE, type CertificateRenewedEvent } from '../lambdas/ports';
import { InvalidEvent } from './errors';

export const CERTIFICATE_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const HEX = /^[0-9a-f]+$/;
const FINGERPRINT = /^[0-9a-f]{64}$/;

/** The identity and order of a certificate version: what ordering decisions compare. */
export type VersionIdentity = Pick<CertificateRenewedEvent, 'certificateId' | 'version' | 'serialNumber' | 'notBefore' | 'fingerprintSha256'>;

export type RenewedNotice = VersionIdentity & Pick<CertificateRenewedEvent, 'location'>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field(detail: Record<string, unknown>, name: string, valid: (value: string) => boolean): string {
  const value = detail[name];
  if (typeof value !== 'string' || !valid(value)) throw new InvalidEvent(`detail.${name}: ${JSON.stringify(value)} is not valid`);
  return value;
}

export function isRenewedEnvelope(envelope: unknown): boolean {
  return isRecord(envelope) && envelope.source === EVENT_SOURCE && envelope['detail-type'] === DETAIL_TYPES.renewed;
}

export function parseRenewedEvent(envelope: unknown): RenewedNotice {
  if (!isRecord(envelope)) throw new InvalidEvent('the message is not a JSON object (expected an EventBridge event)');
  if (!isRenewedEnvelope(envelope)) {
    throw new InvalidEvent(`expected source '${EVENT_SOURCE}' and detail-type '${DETAIL_TYPES.renewed}', got '${String(envelope.source)}' / '${String(envelope['detail-type'])}'`);
  }
  const { detail } = envelope;
  if (!isRecord(detail)) throw new InvalidEvent('the event has no detail object');
  return {
    certificateId: field(detail, 'certificateId', (value) => CERTIFICATE_ID.test(value)),
    version: field(detail, 'version', (value) => value.length > 0 && value.length <= 128),
    location: field(detail, 'location', (value) => value.length > 0),
    serialNumber: field(detail, 'serialNumber', (value) => HEX.test(value)),
    notBefore: field(detail, 'notBefore', (value) => !Number.isNaN(Date.parse(value))),
    fingerprintSha256: field(detail, 'fingerprintSha256', (value) => FINGERPRINT.test(value)),
  };
}
