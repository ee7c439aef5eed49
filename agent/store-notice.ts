/**
 * Reading a delivered EventBridge envelope as a "Certificate Renewed" event. Pure. Only the
 * fields the agent acts on are checked (picked from the one schema, domain/contracts/events.ts);
 * the bundle it then fetches is verified in full.
 */
import { CertificateRenewedSchema, DETAIL_TYPES, EVENT_SOURCE, type CertificateRenewedEvent } from '../domain/contracts/events';
import { isRecord, parseContract } from '../domain/contracts/parse';
import { InvalidEvent } from './errors';

/** The identity and order of a certificate version: what ordering decisions compare. */
export type VersionIdentity = Pick<CertificateRenewedEvent, 'certificateId' | 'version' | 'serialNumber' | 'notBefore' | 'fingerprintSha256'>;

export type RenewedNotice = VersionIdentity & Pick<CertificateRenewedEvent, 'location'>;

/** What the agent reads of a detail; other fields may be absent or newer than this agent. */
const RenewedNoticeSchema = CertificateRenewedSchema.pick({
  certificateId: true,
  version: true,
  location: true,
  serialNumber: true,
  notBefore: true,
  fingerprintSha256: true,
});

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
  return parseContract(RenewedNoticeSchema, detail, (message) => new InvalidEvent(`${DETAIL_TYPES.renewed}: ${message}`), { root: 'detail' });
}
