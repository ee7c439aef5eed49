/**
 * The events certflow publishes on EventBridge (source "certflow"): one schema per detail-type.
 * The TypeScript types, the agent's parsing and the published schemas/*.json all come from here
 * (`npm run schemas` writes the files; test/unit/contracts checks they are current).
 */
import { z } from 'zod';
import { CertificateIdSchema, GROUP_NAME } from './ids';
import { AcmeProfileNameSchema, CertificateMetadataSchema, FingerprintSha256Schema, FormatSchema, KeyTypeSchema, SerialNumberSchema, TimestampSchema, VersionSchema } from './certificate';
import { RevocationReasonSchema } from './revocation';
import { DETAIL_TYPES, EVENT_SOURCE } from './detail-types';

export { DETAIL_TYPES, EVENT_SOURCE, HOST_DETAIL_TYPES } from './detail-types';

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
    profile: AcmeProfileNameSchema.optional().describe('The ACME profile the certificate was issued under, when the CA named one; its lifetime is notAfter - notBefore'),
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

export const CertificateRolledBackSchema = z
  .object({
    certificateId: CertificateIdSchema,
    version: VersionSchema.describe('The version that is current again'),
    previousVersion: VersionSchema.describe('The version that was current before the rollback'),
    serialNumber: SerialNumberSchema,
    notBefore: TimestampSchema,
    notAfter: TimestampSchema,
    fingerprintSha256: FingerprintSha256Schema,
  })
  .meta({
    title: `${DETAIL_TYPES.rolledBack} (detail)`,
    description: detailOf(DETAIL_TYPES.rolledBack, ': an older version is current again. Agents install what the store calls current, after checking it is this certificate.'),
  });

/** Which host serves which version: the agents' own report, for the inventory and the dashboard. */
export const HostSchema = z.string().min(1).max(128).describe('The agent\'s host id (--host, default the host name)');
/** The host's group (config `subscribers[].name`): which group's NotServed alarm counts it (ADR 0016). */
const GroupSchema = z
  .string()
  .regex(GROUP_NAME)
  .describe("The agent's host group (config subscribers[].name): from --restart-turns, or its --queue-prefix certflow-<group>-; absent when it has neither");

/** `--verify-tls`: whether the service presents the installed certificate (unknown: not checked). */
export const SERVED = { yes: true, unknown: 'unknown' } as const;
const ServedSchema = z.union([z.literal(SERVED.yes), z.literal(SERVED.unknown)]);

const EndpointSchema = z.string().min(1).max(300).describe('host:port the agent connected to (--verify-tls)');

const ServedEndpointSchema = z.object({
  endpoint: EndpointSchema,
  serverName: z.string().min(1).max(253).optional().describe('The SNI name sent (--verify-sni)'),
  serialNumber: SerialNumberSchema.describe('The serial of the leaf it presented'),
});

export const CertificateInstalledSchema = z
  .object({
    certificateId: CertificateIdSchema,
    host: HostSchema,
    group: GroupSchema.optional(),
    version: VersionSchema,
    serialNumber: SerialNumberSchema,
    notBefore: TimestampSchema,
    notAfter: TimestampSchema,
    reloaded: z.boolean().describe('A reload action ran and succeeded (false: the service reads the files when it starts)'),
    served: ServedSchema.optional().describe(
      'true: every --verify-tls endpoint presented this certificate after the reload; "unknown": not checked (no --verify-tls, or no reload). Absent in reports of agents before #20: unknown',
    ),
    endpoints: z.array(ServedEndpointSchema).min(1).optional().describe('With served true: the endpoints checked and the serial each presented'),
    trustAnchorsSha256: CertificateMetadataSchema.shape.trustAnchorsSha256.describe('Private issuer: the roots the installed truststores hold (from the version\'s metadata); a root rotation gates on them'),
    anchorSha256: CertificateMetadataSchema.shape.anchorSha256.describe('Private issuer: the root the installed leaf chains to'),
  })
  .meta({ title: `${DETAIL_TYPES.installed} (detail)`, description: detailOf(DETAIL_TYPES.installed, ': a host serves this version now.') });

const HOST_FAILURE_STAGES = ['verify', 'install', 'reload', 'serve'] as const;

export const CertificateReloadFailedSchema = z
  .object({
    certificateId: CertificateIdSchema,
    host: HostSchema,
    group: GroupSchema.optional(),
    stage: z
      .enum(HOST_FAILURE_STAGES)
      .describe('verify: the version was refused; install: writing it failed; reload: the service did not take it; serve: it reloaded but did not present the new certificate in time (--verify-tls)'),
    version: VersionSchema.describe('The store version that failed'),
    serialNumber: SerialNumberSchema.optional().describe('Absent when the version could not be read'),
    error: z.string().min(1),
    rolledBackTo: VersionSchema.optional().describe('The version live/<id> points at again, when there was one to go back to'),
    rollbackReloaded: z.boolean().optional().describe('Whether the service reloaded the rolled-back version'),
    rollbackError: z.string().optional(),
    endpoint: EndpointSchema.optional().describe('Stage serve: the endpoint that did not present the new certificate'),
    servedSerialNumber: SerialNumberSchema.optional().describe('Stage serve: the serial that endpoint presented instead, when it answered'),
  })
  .meta({
    title: `${DETAIL_TYPES.reloadFailed} (detail)`,
    description: detailOf(DETAIL_TYPES.reloadFailed, ': a host keeps serving what it served before. Public identifiers only.'),
  });

export const CertificateRevokedSchema = z
  .object({
    certificateId: CertificateIdSchema,
    version: VersionSchema.describe('The stored version that was revoked (it is marked revoked in the store)'),
    serialNumber: SerialNumberSchema,
    fingerprintSha256: FingerprintSha256Schema,
    notAfter: TimestampSchema,
    reason: RevocationReasonSchema,
    reasonCode: z.number().int().min(0).max(10).describe('RFC 5280 §5.3.1 CRLReason code of `reason`'),
    // A fresh datetime schema: zod keeps its pattern in the JSON Schema when TimestampSchema and a described copy meet in one object.
    revokedAt: z.iso.datetime({ offset: true }).describe('When the store marked it revoked (the first time, for a repeated revocation)'),
    alreadyRevoked: z.boolean().describe('The CA had revoked it already (a repeated revocation: nothing changed at the CA)'),
    reissue: z.boolean().describe('A new certificate with a new key follows ("Certificate Renewed" of a RenewCertificate execution this one started)'),
    executionId: z.string().min(1),
  })
  .meta({
    title: `${DETAIL_TYPES.revoked} (detail)`,
    description: detailOf(DETAIL_TYPES.revoked, ': the CA revoked this version. Public data only. Hosts keep serving it until a new version comes (reissue).'),
  });

export const CertificateRevocationFailedSchema = z
  .object({
    certificateId: z.string().min(1).max(64).describe('"(none)" when the input had no usable id'),
    step: z.string().min(1).describe('State that failed, e.g. RevokeAtCa'),
    error: z.string().min(1).describe('Error name, e.g. NothingToRevoke, AcmeRequestRejected'),
    message: z.string(),
    executionId: z.string().min(1),
    version: VersionSchema.optional().describe('The version that was to be revoked, when it was found'),
  })
  .meta({
    title: `${DETAIL_TYPES.revocationFailed} (detail)`,
    description: detailOf(
      DETAIL_TYPES.revocationFailed,
      '. The store is as it was (a CA that revoked before a later step failed: run the revocation again, it completes).',
    ),
  });

export type CertificateRenewedEvent = Readonly<z.output<typeof CertificateRenewedSchema>>;
export type CertificateRenewalFailedEvent = Readonly<z.output<typeof CertificateRenewalFailedSchema>>;
export type CertificateExpiringEvent = Readonly<z.output<typeof CertificateExpiringSchema>>;
export type CertificateRolledBackEvent = Readonly<z.output<typeof CertificateRolledBackSchema>>;
export type CertificateInstalledEvent = Readonly<z.output<typeof CertificateInstalledSchema>>;
export type CertificateReloadFailedEvent = Readonly<z.output<typeof CertificateReloadFailedSchema>>;
export type CertificateRevokedEvent = Readonly<z.output<typeof CertificateRevokedSchema>>;
export type CertificateRevocationFailedEvent = Readonly<z.output<typeof CertificateRevocationFailedSchema>>;

/** Each detail-type's schema. */
export const EVENT_SCHEMAS = {
  [DETAIL_TYPES.renewed]: CertificateRenewedSchema,
  [DETAIL_TYPES.failed]: CertificateRenewalFailedSchema,
  [DETAIL_TYPES.expiring]: CertificateExpiringSchema,
  [DETAIL_TYPES.rolledBack]: CertificateRolledBackSchema,
  [DETAIL_TYPES.installed]: CertificateInstalledSchema,
  [DETAIL_TYPES.reloadFailed]: CertificateReloadFailedSchema,
  [DETAIL_TYPES.revoked]: CertificateRevokedSchema,
  [DETAIL_TYPES.revocationFailed]: CertificateRevocationFailedSchema,
} as const;
