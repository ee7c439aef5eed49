/**
 * Reading a delivered EventBridge envelope as a hint that the store changed: "Certificate
 * Renewed" (a new version) or "Certificate Rolled Back" (an older version is current again).
 * Pure. An event is a hint, never authority: the agent takes the certificate id (which must be
 * one it manages) and the version id, reads that version from the secret configured for it
 * (never a location the event names), and checks the certificate it read against the event's
 * serial, notBefore and fingerprint.
 */
import {
  CertificateRenewedSchema,
  CertificateRolledBackSchema,
  DETAIL_TYPES,
  EVENT_SOURCE,
  type CertificateRenewedEvent,
} from '../domain/contracts/events';
import { isRecord, parseContract } from '../domain/contracts/parse';
import { InvalidEvent } from './errors';

/** The identity and order of a certificate version: what ordering decisions compare. */
export type VersionIdentity = Pick<CertificateRenewedEvent, 'certificateId' | 'version' | 'serialNumber' | 'notBefore' | 'fingerprintSha256'>;

export const NOTICE_KINDS = { renewed: 'renewed', rolledBack: 'rolled-back' } as const;
type NoticeKind = (typeof NOTICE_KINDS)[keyof typeof NOTICE_KINDS];

export interface StoreNotice extends VersionIdentity {
  readonly kind: NoticeKind;
}

const IDENTITY = { certificateId: true, version: true, serialNumber: true, notBefore: true, fingerprintSha256: true } as const;

/** What the agent reads of each detail (other fields may be absent or newer than this agent). */
const NOTICE_SCHEMAS = {
  [DETAIL_TYPES.renewed]: { kind: NOTICE_KINDS.renewed, schema: CertificateRenewedSchema.pick(IDENTITY) },
  [DETAIL_TYPES.rolledBack]: { kind: NOTICE_KINDS.rolledBack, schema: CertificateRolledBackSchema.pick(IDENTITY) },
} as const;

type NoticeDetailType = keyof typeof NOTICE_SCHEMAS;

const isNoticeDetailType = (value: unknown): value is NoticeDetailType => typeof value === 'string' && Object.hasOwn(NOTICE_SCHEMAS, value);

/** A certflow event an agent acts on (others on the same queue or file are not for it). */
export function isStoreNoticeEnvelope(envelope: unknown): boolean {
  return isRecord(envelope) && envelope.source === EVENT_SOURCE && isNoticeDetailType(envelope['detail-type']);
}

export function parseStoreNotice(envelope: unknown): StoreNotice {
  if (!isRecord(envelope)) throw new InvalidEvent('the message is not a JSON object (expected an EventBridge event)');
  const detailType = envelope['detail-type'];
  if (envelope.source !== EVENT_SOURCE || !isNoticeDetailType(detailType)) {
    const expected = Object.keys(NOTICE_SCHEMAS).map((type) => `'${type}'`).join(' or ');
    throw new InvalidEvent(`expected source '${EVENT_SOURCE}' and detail-type ${expected}, got '${String(envelope.source).slice(0, 100)}' / '${String(detailType).slice(0, 100)}'`);
  }
  const { detail } = envelope;
  if (!isRecord(detail)) throw new InvalidEvent('the event has no detail object');
  const { kind, schema } = NOTICE_SCHEMAS[detailType];
  const identity = parseContract(schema, detail, (message) => new InvalidEvent(`${detailType}: ${message}`), { root: 'detail' });
  return { kind, ...identity };
}
