/**
 * The events certflow publishes on EventBridge (source "certflow"): one schema per detail-type.
 * The TypeScript types, the agent's parsing and the published schemas/*.json all come from here
 * (`npm run schemas` writes the files; test/unit/contracts checks they are current).
 */
import { z } from 'zod';
import { CertificateIdSchema } from './ids';
import { FingerprintSha256Schema, FormatSchema, KeyTypeSchema, SerialNumberSchema, TimestampSchema, VersionSchema } from './certificate';

export const EVENT_SOURCE = 'certflow';

export const DETAIL_TYPES = {
  renewed: 'Certificate Renewed',
  failed: 'Certificate Renewal Failed',
  expiring: 'Certificate Expiring',
} as const;

const detailOf = (detailType: string, what: string) => `EventBridge detail of source "${EVENT_SOURCE}", detail-type "${detailType}"${what}`;

export const CertificateRenewedSchema = z
  .object({
    certificateId: CertificateIdSchema,
    version: VersionSchema.describe('Secrets Manager VersionId (AWS) or archive number (local)'),
    location: z.string().min(1).describe('Secret ARN (AWS) or live directory (local)'),
    names: z.array(z.string()).min(1).max(100),
    serialNumber: SerialNumberSchema,
    notBefore: TimestampSchema,
    notAfter: TimestampSchema,
    fingerprintSha256: FingerprintSha256Schema,
    keyType: KeyTypeSchema,
    formats: z.array(FormatSchema),
    executionId: z.string().min(1),
  })
  .meta({ title: `${DETAIL_TYPES.renewed} (detail)`, description: detailOf(DETAIL_TYPES.renewed, '. Public data only: no key, no password.') });

export const CertificateRenewalFailedSchema = z
  .object({
    certificateId: z.string().min(1).max(64).describe('"(none)" when the input had no usable id'),
    step: z.string().min(1).describe('State that failed, e.g. CheckOrder'),
    error: z.string().min(1).describe('Error name, e.g. OrderInvalid, DnsSyncTimeout'),
    message: z.string(),
    executionId: z.string().min(1),
    currentVersion: z.string().optional().describe('The version that stays current, when there is one'),
  })
  .meta({ title: `${DETAIL_TYPES.failed} (detail)`, description: detailOf(DETAIL_TYPES.failed, '. The previous certificate stays current.') });

/** A certificate close to expiry and not yet renewed (the scheduled scan's watchdog). */
export const CertificateExpiringSchema = z
  .object({
    certificateId: CertificateIdSchema,
    version: VersionSchema,
    serialNumber: SerialNumberSchema,
    notAfter: TimestampSchema,
    daysToExpiry: z.number(),
    reason: z.string().describe('Why it is not renewed yet, e.g. the last failure or "deferred: order budget used"'),
  })
  .meta({
    title: `${DETAIL_TYPES.expiring} (detail)`,
    description: detailOf(DETAIL_TYPES.expiring, ': a certificate within the configured number of days of expiry and not yet renewed.'),
  });

export type CertificateRenewedEvent = Readonly<z.output<typeof CertificateRenewedSchema>>;
export type CertificateRenewalFailedEvent = Readonly<z.output<typeof CertificateRenewalFailedSchema>>;
export type CertificateExpiringEvent = Readonly<z.output<typeof CertificateExpiringSchema>>;

/** Each detail-type's schema. */
export const EVENT_SCHEMAS = {
  [DETAIL_TYPES.renewed]: CertificateRenewedSchema,
  [DETAIL_TYPES.failed]: CertificateRenewalFailedSchema,
  [DETAIL_TYPES.expiring]: CertificateExpiringSchema,
} as const;
