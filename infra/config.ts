/**
 * The stack's typed configuration. Teams edit `certflow.config.ts` at the repository root
 * (`defineConfig({...})`); bin/certflow.ts reads it. One zod schema holds each field's rule, its
 * message and its default; `CertflowConfigInput` (what a team writes) and `CertflowConfig` (what
 * the stack reads, every default filled in) are inferred from it. The shapes the Lambdas read
 * back from their environment (zones, delegations, certificates, the scan's budget) are the
 * contracts' own (domain/contracts/settings.ts); what only the stack can check is added here.
 */
import { z } from 'zod';
import { errorMessage } from '../domain/core/errors';
import { X509Certificate } from 'node:crypto';
import { normalizeDirectoryUrl, secretRefProblem, validateCertificateRequest } from '../domain/core/request';
import type { TrustAnchors } from '../domain/core/trust-anchors';
import { letsEncryptProductionRoots, letsEncryptStagingRoots } from '../domain/trust';
import { LETS_ENCRYPT_DEFAULT_PROFILE, LETS_ENCRYPT_PROFILE_LIFETIMES, shortestLifetimeHoursFrom } from '../domain/core/profile-lifetimes';
import { scanSchedule, type ScheduleNeed } from '../domain/core/scan-schedule';
import { NOT_SERVED_GRACE_MS } from '../domain/core/host-inventory';
import { CertificateIdSchema, GROUP_NAME, GROUP_NAME_RULE } from '../domain/contracts/ids';
import { fieldMessages, isRecord } from '../domain/contracts/parse';
import { RenewCertificateInputSchema } from '../domain/contracts/request';
import { ChallengeDelegationSchema, HostedZoneSchema, ManagedCertificateSchema, PRIVATE_CA_MODES, ScanSettingsSchema, type PrivateCaSettings } from '../domain/contracts/settings';
import { LifetimeDaysSchema } from '../domain/contracts/request';
import { lifetimeProblem, SHORT_LIVED_MAX_DAYS } from '../domain/core/private-ca';
import { overlappingGroups } from '../agent/fleet/host-queue-plan';

export const LETS_ENCRYPT_STAGING = 'https://acme-staging-v02.api.letsencrypt.org/directory';
export const LETS_ENCRYPT_PRODUCTION = 'https://acme-v02.api.letsencrypt.org/directory';

const HOSTED_ZONE_ID = /^(\/hostedzone\/)?Z[A-Z0-9]{1,32}$/;
const IAM_ROLE_ARN = /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
const STS_EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
const SECRET_PREFIX = /^[A-Za-z0-9/_+=.@-]{1,100}\/$/;

/** A number in [min, max]; one message for every way of missing it (not a number, too small, too big). */
function between(min: number, max: number) {
  const error = `between ${min} and ${max}`;
  return z.number({ error }).min(min, { error }).max(max, { error });
}

function atLeast(min: number, why = '') {
  const error = `at least ${min}${why}`;
  return z.number({ error }).min(min, { error });
}

/**
 * A hosted zone as the stack declares it: the Lambdas' shape plus the Route 53 checks. The role's
 * messages are the zone's and name the field themselves (`hostedZones['x']: roleArn '…' is not …`).
 */
const ConfigHostedZoneSchema = z.strictObject({
  ...HostedZoneSchema.shape,
  id: z
    .string()
    .regex(HOSTED_ZONE_ID, { error: (issue) => `'${String(issue.input)}' is not a hosted zone id` })
    .optional(),
}).superRefine((zone, ctx) => {
  if (zone.roleArn !== undefined && !IAM_ROLE_ARN.test(zone.roleArn)) {
    ctx.addIssue(`roleArn '${zone.roleArn}' is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)`);
  }
  if (zone.externalId !== undefined && (zone.roleArn === undefined || !STS_EXTERNAL_ID.test(zone.externalId))) {
    ctx.addIssue('externalId needs a roleArn and 2–1224 of A-Z a-z 0-9 + = , . @ : / - _');
  }
});

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Why `pem` is not one CA certificate valid at `now`, or undefined. */
function anchorProblem(pem: string, now: Date): string | undefined {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length !== 1) return `must be one PEM certificate (found ${blocks.length})`;
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(blocks[0]!);
  } catch {
    return 'does not parse as an X.509 certificate';
  }
  const name = certificate.subject.replaceAll('\n', ', ');
  if (!certificate.ca) return `'${name}' is not a CA certificate`;
  if (now > new Date(certificate.validTo)) return `'${name}' expired on ${new Date(certificate.validTo).toISOString()}`;
  return undefined;
}

/**
 * An ACME directory requests may name, with the roots its chains must lead to (PEM text each,
 * e.g. `readFileSync('roots/internal-ca.pem', 'utf8')`). The URL is kept as URL parsing writes it.
 */
const DirectorySchema = z.strictObject({
  url: z
    .string()
    .refine((url) => normalizeDirectoryUrl(url)?.startsWith('https://'), { error: (issue) => `'${String(issue.input)}' is not an https URL` })
    .transform((url) => normalizeDirectoryUrl(url)!),
  trustAnchors: z
    .array(z.string().superRefine((pem, ctx) => {
      const problem = anchorProblem(pem, new Date());
      if (problem) ctx.addIssue(problem);
    }))
    .min(1, { error: 'is empty: name the root(s) this directory issues under' })
    .readonly(),
});

export type AcmeDirectory = z.output<typeof DirectorySchema>;

/** Let's Encrypt staging and production, each with its two roots (domain/trust). */
export const DEFAULT_DIRECTORIES: readonly AcmeDirectory[] = [
  { url: LETS_ENCRYPT_STAGING, trustAnchors: letsEncryptStagingRoots() },
  { url: LETS_ENCRYPT_PRODUCTION, trustAnchors: letsEncryptProductionRoots() },
];

/** The anchors by issuer (ACME directory URL, private CA ARN), as PackageAndStore reads them (PipelineSettings.trustAnchors). */
export function trustAnchorsOf(config: Pick<CertflowConfig, 'acme'> & Partial<Pick<CertflowConfig, 'privateCa'>>): TrustAnchors {
  const privateCa = config.privateCa ? [[config.privateCa.certificateAuthorityArn, config.privateCa.trustAnchors] as const] : [];
  return Object.fromEntries([...config.acme.directories.map(({ url, trustAnchors }) => [url, trustAnchors] as const), ...privateCa]);
}

const ACM_PCA_ARN = /^arn:aws(-[a-z]+)*:acm-pca:[a-z0-9-]+:\d{12}:certificate-authority\/[0-9a-f-]{36}$/;

/**
 * The private issuer (AWS Private CA) that certificates with `issuer: 'privateCa'` come from:
 * broker-to-broker identities with clientAuth, which no public ACME CA issues since 2026
 * (docs/private-ca.md). The mode is the CA's own (it bounds the lifetimes); the trust anchors are
 * its root(s), which the truststores hold and every issued chain must lead to.
 */
const PrivateCaSchema = z.strictObject({
  certificateAuthorityArn: z.string().regex(ACM_PCA_ARN, { error: (issue) => `'${String(issue.input)}' is not an AWS Private CA ARN (arn:aws:acm-pca:<region>:<account>:certificate-authority/<id>)` }),
  mode: z.enum(PRIVATE_CA_MODES).default('SHORT_LIVED_CERTIFICATE'),
  trustAnchors: DirectorySchema.shape.trustAnchors,
  defaultLifetimeDays: LifetimeDaysSchema.default(SHORT_LIVED_MAX_DAYS),
  signingAlgorithm: z.enum(['SHA256WITHRSA', 'SHA384WITHRSA', 'SHA512WITHRSA', 'SHA256WITHECDSA', 'SHA384WITHECDSA', 'SHA512WITHECDSA']).default('SHA256WITHRSA'),
  nextCertificateAuthorityArn: z
    .string()
    .regex(ACM_PCA_ARN, { error: (issue) => `'${String(issue.input)}' is not an AWS Private CA ARN (arn:aws:acm-pca:<region>:<account>:certificate-authority/<id>)` })
    .optional()
    .describe('The CA a root rotation moves to (`certflow ca rotate --aws` starts it, ADR 0013): the steps may issue from and read it too; after the rotation is done, make it certificateAuthorityArn'),
}).refine((ca) => ca.nextCertificateAuthorityArn !== ca.certificateAuthorityArn, { error: 'nextCertificateAuthorityArn must be another CA than certificateAuthorityArn', path: ['nextCertificateAuthorityArn'] });

/** The private issuer as the steps read it (CERTFLOW_PRIVATE_CA): the anchors travel with the others (trustAnchorsOf). */
export function privateCaSettingsOf({ certificateAuthorityArn, mode, defaultLifetimeDays, signingAlgorithm }: NonNullable<CertflowConfig['privateCa']>): PrivateCaSettings {
  return { certificateAuthorityArn, mode, defaultLifetimeDays, signingAlgorithm };
}

/** A group of hosts that install certificates: one SQS queue + host IAM policy per group. */
const SubscriberSchema = z.strictObject({
  name: z.string().regex(GROUP_NAME, { error: (issue) => `'${String(issue.input)}' must be ${GROUP_NAME_RULE}` }),
  certificateIds: z.array(CertificateIdSchema).min(1, { error: 'is empty: name the certificates this group installs' }).readonly(),
});

const PollLimitsSchema = z.strictObject({
  /** Seconds the Wait state pauses before each check. */
  waitSeconds: z.number(),
  /** Checks before the loop gives up with its named timeout error. */
  maxAttempts: z.number(),
});

export type PollLimits = Readonly<z.output<typeof PollLimitsSchema>>;

const PollSchema = z.strictObject({ dnsSync: PollLimitsSchema, orderReady: PollLimitsSchema, certificateIssued: PollLimitsSchema });

export const DEFAULT_POLL: z.output<typeof PollSchema> = {
  // Route 53 is usually INSYNC within 60 s: 10 s × 30 gives five minutes.
  dnsSync: { waitSeconds: 10, maxAttempts: 30 },
  // Validation is seconds at Let's Encrypt; 5 s × 60 covers a slow CA.
  orderReady: { waitSeconds: 5, maxAttempts: 60 },
  certificateIssued: { waitSeconds: 5, maxAttempts: 60 },
};

/**
 * Every field, its rule and its default. `acme` and `schedule` are merged field by field with
 * their defaults (`prefault`); `lambda` and `poll` are given whole or not at all.
 */
const ConfigFieldsSchema = z.strictObject({
  acme: z
    .strictObject({
      /** Default ACME directory; a request may name another. Let's Encrypt staging unless chosen. */
      directoryUrl: z.string().default(LETS_ENCRYPT_STAGING),
      /** Default account contact (mailto: URIs), checked as a request's `contact` is. */
      contact: RenewCertificateInputSchema.shape.contact.unwrap().readonly().default([]),
      /** External Account Binding credentials `{kid, hmacKey}`, by secret name: `<secretPrefix>eab/<name>` (checked below). */
      externalAccountBindingSecret: z.string().optional(),
      /**
       * The ACME profile an order names when its certificate names none (as a preference). Unset:
       * the order names none and the CA applies its own default (Let's Encrypt: classic).
       */
      defaultProfile: RenewCertificateInputSchema.shape.preferredProfile,
      /**
       * The only directories a request may name, each with its trust anchors (roots): an issued
       * chain must lead to one before it is stored, and the truststores hold them. Default: Let's
       * Encrypt staging and production. An internal or EAB CA: add it with its root PEM(s).
       */
      /**
       * Lifetimes (hours) of the profiles of a CA other than Let's Encrypt (whose profiles
       * domain/core/profile-lifetimes.ts knows, with their dates): the shortest one declared bounds
       * the scan interval. Overrides the table for a profile of the same name.
       */
      profileLifetimeHours: z.record(z.string(), z.number({ error: 'a number of hours > 0' }).positive({ error: 'a number of hours > 0' })).optional(),
      directories: z.array(DirectorySchema).min(1, { error: 'at least one directory is needed' }).readonly().default(DEFAULT_DIRECTORIES),
    })
    .prefault({}),
  /**
   * Hosted zones certflow may write `_acme-challenge` TXT records to (ids keep IAM tight); a
   * `roleArn` puts a zone in another AWS account (docs/cross-account-zones.md).
   */
  hostedZones: z
    .array(ConfigHostedZoneSchema, { error: (issue) => (issue.input === undefined ? 'at least one hosted zone is needed' : undefined) })
    .min(1, { error: 'at least one hosted zone is needed' })
    .readonly(),
  /** CNAME-delegated challenges: `_acme-challenge.<name>` points into a validation zone. */
  delegations: z.array(z.strictObject(ChallengeDelegationSchema.shape)).readonly().default([]),
  /** Also wait until every authoritative name server answers (not just Route 53 INSYNC). */
  verifyAuthoritativeNameServers: z.boolean().default(false),
  /** Prefix of every secret the stack owns: certificates/, accounts/, eab/, passwords/. */
  secretPrefix: z
    .string()
    .regex(SECRET_PREFIX, { error: (issue) => `'${String(issue.input)}' must end with '/'` })
    .default('certflow/'),
  eventBusName: z.string().default('certflow'),
  /** Each is also checked as a request would be, against the zones (see CertflowConfigSchema). */
  certificates: z.array(z.strictObject(ManagedCertificateSchema.shape)).readonly().default([]),
  /** Groups of hosts that install certificates: one SQS queue + host IAM policy per group. */
  subscribers: z.array(SubscriberSchema).readonly().default([]),
  /** The scheduled scan: how often, the CA's order budget, concurrency, the expiry watchdog. */
  schedule: z
    .strictObject({
      /**
       * Default: the order budget's window (every window's orders used), shortened when the
       * shortest lifetime declared needs more frequent scans (scheduleProblem below).
       */
      scanIntervalHours: between(1, 24).optional(),
      // Let's Encrypt: 300 new orders per account per 3 hours.
      orderBudget: z.strictObject({ ...ScanSettingsSchema.shape.budget.shape, maxOrders: atLeast(1) }).default({ windowHours: 3, maxOrders: 300 }),
      maxConcurrentRenewals: between(1, 40).default(10),
      maxRenewalsPerScan: z.number().optional(),
      expiringDays: ScanSettingsSchema.shape.expiringDays.default(7),
      /** SNS topic for alarms; the stack creates an encrypted one when omitted. */
      alarmTopicArn: z.string().optional(),
      /**
       * "Renewed but not served": minutes after a renewal (or rollback) by which every host of a
       * group should report serving it; the group's NotServed alarm counts those that have not (ADR 0016).
       */
      notServedAfterMinutes: between(5, 24 * 60).default(NOT_SERVED_GRACE_MS / 60_000),
    })
    .prefault({}),
  lambda: z
    .strictObject({ memoryMb: atLeast(256, ' (RSA key generation and keystores)'), timeoutSeconds: z.number() })
    .default({ memoryMb: 512, timeoutSeconds: 30 }),
  poll: PollSchema.default(DEFAULT_POLL),
  /** The private issuer (AWS Private CA) for certificates declared `issuer: 'privateCa'`; none by default. */
  privateCa: PrivateCaSchema.optional(),
});

/**
 * The fields, then what involves several of them: the default EAB secret, under the stack's
 * `<secretPrefix>eab/` (the only EAB secrets its roles may read); each declared certificate,
 * checked as a request against the zones and the prefix.
 */
export const CertflowConfigSchema = ConfigFieldsSchema.superRefine((config, ctx) => {
  const prefixOk = !ctx.issues.some((issue) => issue.path?.[0] === 'secretPrefix');
  const eab = config.acme.externalAccountBindingSecret;
  const eabProblem = prefixOk && eab !== undefined ? secretRefProblem(eab, config.secretPrefix, 'eab') : undefined;
  if (eabProblem) ctx.addIssue({ code: 'custom', path: ['acme', 'externalAccountBindingSecret'], message: eabProblem });
  const directories = config.acme.directories.map(({ url }) => url);
  directories.forEach((url, index) => {
    if (directories.indexOf(url) !== index) ctx.addIssue({ code: 'custom', path: ['acme', 'directories', index, 'url'], message: `duplicate directory '${url}'` });
  });
  const defaultUrl = normalizeDirectoryUrl(config.acme.directoryUrl);
  if (!defaultUrl || !directories.includes(defaultUrl)) {
    const message = `'${config.acme.directoryUrl}' is not one of acme.directories (${directories.join(', ')}): add it with its trust anchors`;
    ctx.addIssue({ code: 'custom', path: ['acme', 'directoryUrl'], message });
  }
  const privateCa = config.privateCa;
  const lifetime = privateCa ? lifetimeProblem(privateCa.defaultLifetimeDays, privateCa.mode) : undefined;
  if (lifetime) ctx.addIssue({ code: 'custom', path: ['privateCa', 'defaultLifetimeDays'], message: lifetime });
  const groups = config.subscribers.map((subscriber) => subscriber.name);
  groups.forEach((name, index) => {
    if (groups.indexOf(name) !== index) ctx.addIssue({ code: 'custom', path: ['subscribers', index, 'name'], message: `duplicate group '${name}'` });
  });
  for (const [covering, covered] of overlappingGroups(groups)) {
    ctx.addIssue({
      code: 'custom',
      path: ['subscribers', groups.indexOf(covered), 'name'],
      message: `'${covered}' starts with '${covering}-': the host queues of group '${covering}' (certflow-${covering}-*) would include this group's, and their host names could collide; rename one group`,
    });
  }
  // A certificate with a problem of its own (the fields above) has it reported once, not again as a request.
  const faulty = new Set(ctx.issues.filter((issue) => issue.path?.[0] === 'certificates').map((issue) => issue.path?.[1]));
  const seen = new Set<string>();
  config.certificates.forEach((certificate, index) => {
    if (seen.has(certificate.id)) ctx.addIssue({ code: 'custom', path: ['certificates', index], message: `duplicate id '${certificate.id}'` });
    seen.add(certificate.id);
    if (faulty.has(index) || !prefixOk) return;
    const { id, names, keyType, keystore, profile, preferredProfile, usages, preferredChain, issuer, lifetimeDays } = certificate;
    try {
      validateCertificateRequest(
        {
          certificateId: id,
          names: [...names],
          ...(keyType ? { keyType } : {}),
          ...(keystore ? { keystore } : {}),
          ...(profile ? { profile } : {}),
          ...(preferredProfile ? { preferredProfile } : {}),
          ...(usages ? { usages: [...usages] } : {}),
          ...(preferredChain !== undefined ? { preferredChain } : {}),
          ...(issuer !== undefined ? { issuer } : {}),
          ...(lifetimeDays !== undefined ? { lifetimeDays } : {}),
        },
        {
          zones: config.hostedZones,
          defaultDirectoryUrl: config.acme.directoryUrl,
          allowedDirectories: [config.acme.directoryUrl],
          defaultContact: config.acme.contact,
          secretPrefix: config.secretPrefix,
          ...(privateCa ? { privateCa: { mode: privateCa.mode, defaultLifetimeDays: privateCa.defaultLifetimeDays } } : {}),
        },
      );
    } catch (error) {
      ctx.addIssue({ code: 'custom', path: ['certificates', index], message: errorMessage(error) });
    }
  });
});

type ConfigFields = z.output<typeof ConfigFieldsSchema>;

/**
 * What each declared certificate needs of the scan schedule (domain/core/scan-schedule.ts): an ACME
 * one the shortest lifetime its profile will have (Let's Encrypt's table, or
 * `acme.profileLifetimeHours`); a private CA's identity its `lifetimeDays` (or the CA's default).
 * A certificate whose lifetime is not known needs nothing.
 */
function scheduleNeeds(config: Pick<ConfigFields, 'acme' | 'certificates' | 'privateCa'>, now = new Date()): ScheduleNeed[] {
  const letsEncrypt = [LETS_ENCRYPT_STAGING, LETS_ENCRYPT_PRODUCTION].includes(normalizeDirectoryUrl(config.acme.directoryUrl) ?? '');
  return config.certificates.flatMap((certificate): ScheduleNeed[] => {
    if (certificate.issuer === 'privateCa') {
      const days = certificate.lifetimeDays ?? config.privateCa?.defaultLifetimeDays;
      return days === undefined ? [] : [{ certificateId: certificate.id, rule: 'privateCa', lifetimeHours: days * 24, source: 'private CA identity' }];
    }
    const profile = certificate.profile ?? certificate.preferredProfile ?? config.acme.defaultProfile ?? (letsEncrypt ? LETS_ENCRYPT_DEFAULT_PROFILE : undefined);
    if (profile === undefined) return [];
    const hours = config.acme.profileLifetimeHours?.[profile] ?? (letsEncrypt ? shortestLifetimeHoursFrom(LETS_ENCRYPT_PROFILE_LIFETIMES[profile], now) : undefined);
    return hours === undefined ? [] : [{ certificateId: certificate.id, rule: 'acme', lifetimeHours: hours, source: `profile ${profile}` }];
  });
}

/** The scan interval: stated, or derived from the order budget's window; a problem when too coarse for a certificate declared. */
function scanInterval(config: Pick<ConfigFields, 'acme' | 'certificates' | 'schedule' | 'privateCa'>, now = new Date()): { hours: number } | { problem: string } {
  return scanSchedule({ needs: scheduleNeeds(config, now), statedHours: config.schedule.scanIntervalHours, windowHours: config.schedule.orderBudget.windowHours });
}

/** The fields checked together, with the scan interval filled in (derived when not stated). */
const CheckedConfigSchema = CertflowConfigSchema.superRefine((config, ctx) => {
  const interval = scanInterval(config);
  if ('problem' in interval) ctx.addIssue({ code: 'custom', path: ['schedule', 'scanIntervalHours'], message: interval.problem });
}).transform((config) => {
  const interval = scanInterval(config);
  return { ...config, schedule: { ...config.schedule, scanIntervalHours: 'hours' in interval ? interval.hours : 0 } };
});

/** What a team writes in certflow.config.ts: `hostedZones`, and whatever differs from the defaults. */
export type CertflowConfigInput = z.input<typeof CheckedConfigSchema>;
export type CertflowConfig = z.output<typeof CheckedConfigSchema>;

/** What every field is when a config leaves it out (the schema's defaults; the scan interval as derived for no certificates). */
export const DEFAULTS: Omit<CertflowConfig, 'hostedZones'> = (() => {
  const { hostedZones: _zones, ...defaults } = CheckedConfigSchema.parse({ hostedZones: [{ name: 'example.com' }] });
  return defaults;
})();

/**
 * `hostedZones['example.com'].id`, `certificates['broker-eu1']`: a list entry is named by its
 * `name`, else its `id`, else its `match` (as a reader finds it in the file), else its index.
 */
function fieldOf(path: readonly PropertyKey[], input: unknown): string {
  let text = '';
  let value = input;
  for (const key of path) {
    value = isRecord(value) || Array.isArray(value) ? (value as Record<PropertyKey, unknown>)[key] : undefined;
    if (typeof key === 'number') {
      const label = isRecord(value) ? [value.name, value.id, value.match].find((name) => typeof name === 'string' && name.length > 0) : undefined;
      text += label === undefined ? `[${key}]` : `['${String(label)}']`;
    } else {
      text += text ? `.${String(key)}` : String(key);
    }
  }
  return text || 'config';
}

/** The keys an object at `path` of `schema` declares (through defaults, optionals, lists), or [] when it is not an object. */
export function knownKeysAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): string[] {
  let current: z.core.$ZodType | undefined = schema;
  let rest = [...path];
  while (current) {
    const def = current._zod.def as z.core.$ZodTypeDef & { innerType?: z.core.$ZodType; in?: z.core.$ZodType; element?: z.core.$ZodType; shape?: Record<string, z.core.$ZodType> };
    if (def.innerType) current = def.innerType; // default, prefault, optional, readonly, nullable
    else if (def.type === 'pipe') current = def.in;
    else if (rest.length === 0) return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
    else if (def.type === 'array') [current, rest] = [def.element, rest.slice(1)];
    else if (def.type === 'object' && def.shape) [current, rest] = [def.shape[String(rest[0])], rest.slice(1)];
    else return [];
  }
  return [];
}

/** Edits (insert, delete, substitute, swap two neighbours) from `a` to `b`, case-insensitive. */
function editDistance(a: string, b: string): number {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  const d = Array.from({ length: x.length + 1 }, (_, i) => Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[x.length]![y.length]!;
}

/** The known key `key` was most likely meant to be: close in spelling, one containing the other (`zones` → `hostedZones`), or a misspelt start. */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  const scored = known
    .map((candidate) => {
      const distance = editDistance(key, candidate);
      const contains = key.length >= 3 && (candidate.toLowerCase().includes(key.toLowerCase()) || key.toLowerCase().includes(candidate.toLowerCase()));
      // A misspelt start of a longer key: `pasword` → `passwordSecretRef`.
      const prefix = key.length >= 4 && [-1, 0, 1].some((extra) => editDistance(key, candidate.slice(0, key.length + extra)) <= 1);
      return { candidate, distance, close: distance <= Math.max(2, Math.floor(Math.max(key.length, candidate.length) / 3)) || contains || prefix };
    })
    .filter(({ close }) => close)
    .sort((a, b) => a.distance - b.distance);
  return scored[0]?.candidate;
}

/** `unknown key; did you mean 'hostedZones'?` (else the keys it may have, when few). */
function unknownKeyMessage(key: string, known: readonly string[]): string {
  const nearest = nearestKey(key, known);
  if (nearest) return `unknown key; did you mean '${nearest}'?`;
  return known.length ? `unknown key (known here: ${known.join(', ')})` : 'unknown key';
}

/** A config that is refused: every problem, each `<key path>: <why>`. Its message lists them; no input value beyond what they quote. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`certflow config is invalid:\n  - ${problems.join('\n  - ')}`);
  }
}

export function isConfigError(error: unknown): error is ConfigError {
  return error instanceof Error && error.name === 'ConfigError' && Array.isArray((error as { problems?: unknown }).problems);
}

export type ConfigCheck = { ok: true; config: CertflowConfig } | { ok: false; problems: string[] };

/** Check `input` against the schema: the config with every default filled in, or every problem, each naming its key. */
export function checkConfig(input: unknown): ConfigCheck {
  const result = CheckedConfigSchema.safeParse(input, { error: fieldMessages({ showValues: true }) });
  if (result.success) return { ok: true, config: result.data };
  const problems = result.error.issues.flatMap((issue) => {
    if (issue.code !== 'unrecognized_keys') return [`${fieldOf(issue.path, input)}: ${issue.message}`];
    const known = knownKeysAt(CertflowConfigSchema, issue.path.filter((key) => typeof key !== 'symbol'));
    return issue.keys.map((key) => `${fieldOf([...issue.path, key], input)}: ${unknownKeyMessage(key, known)}`);
  });
  return { ok: false, problems };
}

const CHECKED = new WeakSet<object>();

/** Whether `config` came out of defineConfig (so it was checked). */
export function isCheckedConfig(config: unknown): config is CertflowConfig {
  return typeof config === 'object' && config !== null && CHECKED.has(config);
}

/** Fill in the defaults and check: a bad config fails `cdk synth` with every problem, each naming its field. */
export function defineConfig(input: CertflowConfigInput): CertflowConfig {
  const result = checkConfig(input);
  if (!result.ok) throw new ConfigError(result.problems);
  CHECKED.add(result.config);
  return result.config;
}
