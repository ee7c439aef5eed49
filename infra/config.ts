/**
 * The stack's typed configuration. Teams edit `certflow.config.ts` at the repository root
 * (`defineConfig({...})`); bin/certflow.ts reads it. Everything omitted takes the defaults below.
 */
import type { HostedZone } from '../domain/core/dns-names';
import type { ManagedCertificate } from '../domain/core/scan-plan';
import { validateCertificateRequest } from '../domain/core/request';
import type { ChallengeDelegation } from '../domain/core/txt-values';

export const LETS_ENCRYPT_STAGING = 'https://acme-staging-v02.api.letsencrypt.org/directory';
export const LETS_ENCRYPT_PRODUCTION = 'https://acme-v02.api.letsencrypt.org/directory';

export interface PollLimits {
  /** Seconds the Wait state pauses before each check. */
  readonly waitSeconds: number;
  /** Checks before the loop gives up with its named timeout error. */
  readonly maxAttempts: number;
}

export type { ManagedCertificate };

export interface CertflowConfig {
  readonly acme: {
    /** Default ACME directory; a request may name another. Let's Encrypt staging unless chosen. */
    readonly directoryUrl: string;
    /** Default account contact (mailto: URIs). */
    readonly contact: readonly string[];
    /** External Account Binding credentials `{kid, hmacKey}`, by secret name (under `<secretPrefix>eab/`). */
    readonly externalAccountBindingSecret?: string;
  };
  /**
   * Hosted zones certflow may write `_acme-challenge` TXT records to (ids keep IAM tight); a
   * `roleArn` puts a zone in another AWS account (docs/cross-account-zones.md).
   */
  readonly hostedZones: readonly HostedZone[];
  /** CNAME-delegated challenges: `_acme-challenge.<name>` points into a validation zone. */
  readonly delegations: readonly ChallengeDelegation[];
  /** Also wait until every authoritative name server answers (not just Route 53 INSYNC). */
  readonly verifyAuthoritativeNameServers: boolean;
  /** Prefix of every secret the stack owns: certificates/, accounts/, eab/, passwords/. */
  readonly secretPrefix: string;
  readonly eventBusName: string;
  readonly certificates: readonly ManagedCertificate[];
  /** Groups of hosts that install certificates: one SQS queue + host IAM policy per group. */
  readonly subscribers: readonly { readonly name: string; readonly certificateIds: readonly string[] }[];
  /** The scheduled scan: how often, the CA's order budget, concurrency, the expiry watchdog. */
  readonly schedule: {
    readonly scanIntervalHours: number;
    readonly orderBudget: { readonly windowHours: number; readonly maxOrders: number };
    readonly maxConcurrentRenewals: number;
    readonly maxRenewalsPerScan?: number;
    readonly expiringDays: number;
    /** SNS topic for alarms; the stack creates an encrypted one when omitted. */
    readonly alarmTopicArn?: string;
  };
  readonly lambda: { readonly memoryMb: number; readonly timeoutSeconds: number };
  readonly poll: {
    readonly dnsSync: PollLimits;
    readonly orderReady: PollLimits;
    readonly certificateIssued: PollLimits;
  };
}

export const DEFAULT_POLL: CertflowConfig['poll'] = {
  // Route 53 is usually INSYNC within 60 s: 10 s × 30 gives five minutes.
  dnsSync: { waitSeconds: 10, maxAttempts: 30 },
  // Validation is seconds at Let's Encrypt; 5 s × 60 covers a slow CA.
  orderReady: { waitSeconds: 5, maxAttempts: 60 },
  certificateIssued: { waitSeconds: 5, maxAttempts: 60 },
};

export const DEFAULTS: Omit<CertflowConfig, 'hostedZones'> = {
  acme: { directoryUrl: LETS_ENCRYPT_STAGING, contact: [] },
  delegations: [],
  verifyAuthoritativeNameServers: false,
  secretPrefix: 'certflow/',
  eventBusName: 'certflow',
  certificates: [],
  subscribers: [],
  schedule: {
    scanIntervalHours: 6,
    // Let's Encrypt: 300 new orders per account per 3 hours.
    orderBudget: { windowHours: 3, maxOrders: 300 },
    maxConcurrentRenewals: 10,
    expiringDays: 7,
  },
  lambda: { memoryMb: 512, timeoutSeconds: 30 },
  poll: DEFAULT_POLL,
};

export type CertflowConfigInput = Partial<Omit<CertflowConfig, 'acme' | 'hostedZones' | 'schedule'>> & {
  readonly hostedZones: readonly HostedZone[];
  readonly acme?: Partial<CertflowConfig['acme']>;
  readonly schedule?: Partial<CertflowConfig['schedule']>;
};

const IAM_ROLE_ARN = /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
const STS_EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

/** Merge with the defaults and check: a bad config fails `cdk synth` with a clear message. */
export function defineConfig(input: CertflowConfigInput): CertflowConfig {
  const config: CertflowConfig = { ...DEFAULTS, ...input, acme: { ...DEFAULTS.acme, ...input.acme }, schedule: { ...DEFAULTS.schedule, ...input.schedule } };
  const problems: string[] = [];
  if (config.hostedZones.length === 0) problems.push('hostedZones: at least one hosted zone is needed');
  for (const zone of config.hostedZones) {
    if (zone.id !== undefined && !/^(\/hostedzone\/)?Z[A-Z0-9]{1,32}$/.test(zone.id)) problems.push(`hostedZones: '${zone.id}' is not a hosted zone id`);
    if (zone.roleArn !== undefined && !IAM_ROLE_ARN.test(zone.roleArn)) {
      problems.push(`hostedZones['${zone.name}']: roleArn '${zone.roleArn}' is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)`);
    }
    if (zone.externalId !== undefined && (zone.roleArn === undefined || !STS_EXTERNAL_ID.test(zone.externalId))) {
      problems.push(`hostedZones['${zone.name}']: externalId needs a roleArn and 2–1224 of A-Z a-z 0-9 + = , . @ : / - _`);
    }
  }
  if (!/^[A-Za-z0-9/_+=.@-]{1,100}\/$/.test(config.secretPrefix)) problems.push(`secretPrefix: '${config.secretPrefix}' must end with '/'`);
  if (!(config.schedule.scanIntervalHours >= 1 && config.schedule.scanIntervalHours <= 24)) problems.push('schedule.scanIntervalHours: between 1 and 24');
  if (!(config.schedule.orderBudget.maxOrders >= 1)) problems.push('schedule.orderBudget.maxOrders: at least 1');
  if (!(config.schedule.maxConcurrentRenewals >= 1 && config.schedule.maxConcurrentRenewals <= 40)) problems.push('schedule.maxConcurrentRenewals: between 1 and 40');
  for (const subscriber of config.subscribers) {
    if (!/^[A-Za-z0-9-]{1,40}$/.test(subscriber.name)) problems.push(`subscribers: name '${subscriber.name}' must be 1–40 of A-Z a-z 0-9 -`);
    if (subscriber.certificateIds.length === 0) problems.push(`subscribers['${subscriber.name}']: no certificateIds`);
  }
  if (config.lambda.memoryMb < 256) problems.push('lambda.memoryMb: at least 256 (RSA key generation and keystores)');
  const ids = new Set<string>();
  for (const certificate of config.certificates) {
    if (ids.has(certificate.id)) problems.push(`certificates: duplicate id '${certificate.id}'`);
    ids.add(certificate.id);
    try {
      validateCertificateRequest(
        { certificateId: certificate.id, names: [...certificate.names], ...(certificate.keyType ? { keyType: certificate.keyType } : {}), ...(certificate.keystore ? { keystore: certificate.keystore } : {}) },
        { zones: config.hostedZones, defaultDirectoryUrl: config.acme.directoryUrl, defaultContact: config.acme.contact },
      );
    } catch (error) {
      problems.push(`certificates['${certificate.id}']: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) throw new Error(`certflow config is invalid:\n  - ${problems.join('\n  - ')}`);
  return config;
}
