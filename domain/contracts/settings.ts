/**
 * The pipeline's settings that travel as JSON: the stack writes them into each Lambda's
 * environment (infra/renewal-functions.ts), lambdas/runtime/aws-deps.ts parses them back.
 * The same shapes are the typed config's (infra/config.ts).
 */
import { z } from 'zod';
import { KeyTypeSchema } from './certificate';
import { CertificateIdSchema } from './ids';
import { AcmeProfileFields, IssuerSchema, KeystoreFieldsSchema, LifetimeDaysSchema, PreferredChainSchema, UsagesSchema } from './request';

export const HostedZoneSchema = z.object({
  name: z.string().min(1).describe('Zone apex, lowercase, no trailing dot, e.g. `example.com`'),
  id: z.string().min(1).optional().describe('Provider-specific id (Route 53 hosted zone id); absent for the local DNS server'),
  roleArn: z
    .string()
    .optional()
    .describe("Route 53 only: an IAM role in the zone's AWS account that the DNS steps assume for this zone's calls (docs/cross-account-zones.md)"),
  externalId: z.string().optional().describe("The `sts:ExternalId` the role's trust policy asks for, if any (only with `roleArn`)"),
});

/** CNAME-delegated challenges: per name (exact target) or per zone (target `<name>.<validation zone>`). */
export const ChallengeDelegationSchema = z.object({
  match: z.string().min(1).describe('A certificate name (`mq.example.com`) or a zone apex (`example.com`, covering its names)'),
  target: z.string().optional().describe('Exact record to write instead (per name), e.g. `_acme-challenge.mq.validation.example.net`'),
  targetZone: z.string().optional().describe('Validation zone (per zone): the record becomes `<name>.<targetZone>`'),
});

/** A certificate the stack manages, as declared in the typed config. */
export const ManagedCertificateSchema = z.object({
  id: CertificateIdSchema,
  names: z.array(z.string()).readonly(),
  keyType: KeyTypeSchema.optional(),
  ...AcmeProfileFields,
  renewBeforeDays: z.number().optional(),
  keystore: KeystoreFieldsSchema.omit({ rotatePassword: true }).optional(),
  usages: UsagesSchema.optional(),
  preferredChain: PreferredChainSchema.optional(),
  issuer: IssuerSchema.optional(),
  lifetimeDays: LifetimeDaysSchema.optional(),
});

/**
 * AWS Private CA's usage modes: GENERAL_PURPOSE, or SHORT_LIVED_CERTIFICATE (certificates valid at
 * most 7 days; $50 a month per CA instead of $400).
 */
export const PRIVATE_CA_MODES = ['GENERAL_PURPOSE', 'SHORT_LIVED_CERTIFICATE'] as const;
export type PrivateCaMode = (typeof PRIVATE_CA_MODES)[number];

/** The private issuer as the steps read it (the config's `privateCa` without its trust anchors). */
export const PrivateCaSettingsSchema = z.object({
  certificateAuthorityArn: z.string().min(1).describe('The AWS Private CA that issues (locally: a name for the local CA)'),
  mode: z.enum(PRIVATE_CA_MODES).describe("The CA's usage mode: a lifetime the mode cannot issue is refused before any call"),
  defaultLifetimeDays: z.number().describe('Lifetime of a certificate that names none'),
  signingAlgorithm: z.string().optional().describe("IssueCertificate's SigningAlgorithm: it must suit the CA's key (SHA256WITHRSA for an RSA CA, SHA256WITHECDSA for an EC one)"),
});

export const ScanSettingsSchema = z.object({
  intervalHours: z.number(),
  budget: z.object({ windowHours: z.number(), maxOrders: z.number() }),
  maxPerScan: z.number().optional(),
  expiringDays: z.number().describe('"Certificate Expiring" once a certificate is this close to notAfter and not yet renewed'),
});

/** The served check (ADR 0016): the host groups and how long after a renewal their hosts have to serve it. */
export const ServedCheckSettingsSchema = z.object({
  groups: z.array(z.object({ name: z.string().min(1), certificateIds: z.array(z.string().min(1)) })),
  graceMinutes: z.number().positive(),
});

export type HostedZone = Readonly<z.output<typeof HostedZoneSchema>>;
export type ChallengeDelegation = Readonly<z.output<typeof ChallengeDelegationSchema>>;
export type ManagedCertificate = Readonly<z.output<typeof ManagedCertificateSchema>>;
export type ScanSettings = Readonly<z.output<typeof ScanSettingsSchema>>;
export type PrivateCaSettings = Readonly<z.output<typeof PrivateCaSettingsSchema>>;
export type ServedCheckSettings = Readonly<z.output<typeof ServedCheckSettingsSchema>>;
