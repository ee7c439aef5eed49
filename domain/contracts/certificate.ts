/**
 * What certflow says about an issued certificate, field by field: the metadata stored with every
 * version and the public fields of the events reuse these definitions.
 */
import { z } from 'zod';
import { KEY_TYPES } from '../core/key-types';
import { FORMATS } from '../keystores/formats';

/** Lowercase hex, as `describeCertificate` writes it. */
export const SerialNumberSchema = z.string().regex(/^[0-9a-f]+$/);
export const FingerprintSha256Schema = z.string().regex(/^[0-9a-f]{64}$/);
/** RFC 3339 date-time; certflow writes UTC (`toISOString`). */
export const TimestampSchema = z.iso.datetime({ offset: true });
export const KeyTypeSchema = z.enum(KEY_TYPES);
export const AcmeProfileNameSchema = z.string().min(1).max(64);

/** Secrets Manager VersionId (AWS) or archive number (local). */
export const VersionSchema = z.string().min(1).max(128);

/** A version's formats, as the registry of its files names them (domain/keystores/formats.ts). */
export const FormatSchema = z.enum(FORMATS);

export const CertificateMetadataSchema = z.object({
  names: z.array(z.string()).min(1).describe('DNS names from the subjectAltName, in certificate order'),
  serialNumber: SerialNumberSchema,
  notBefore: TimestampSchema,
  notAfter: TimestampSchema,
  fingerprintSha256: FingerprintSha256Schema,
  keyType: KeyTypeSchema,
  issuer: z.string(),
  profile: AcmeProfileNameSchema.optional().describe('The ACME profile the CA put on the order (absent: the CA named none)'),
  usages: z
    .array(z.string())
    .optional()
    .describe('Extended key usages the leaf carries (serverAuth, clientAuth, …; an unknown one by OID); absent when it has no EKU extension or was stored before certflow recorded them'),
  ariCertId: z.string().optional().describe('RFC 9773 certificate identifier (ARI renewalInfo lookups, `replaces` on the next order)'),
  trustAnchorsSha256: z
    .array(FingerprintSha256Schema)
    .optional()
    .describe('Private issuer: SHA-256 fingerprints of the roots the truststores hold (a root rotation gates on them, ADR 0013)'),
  anchorSha256: FingerprintSha256Schema.optional().describe('Private issuer: SHA-256 fingerprint of the root the chain leads to'),
});

export type CertificateMetadata = Readonly<z.output<typeof CertificateMetadataSchema>>;
