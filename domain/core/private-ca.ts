/**
 * The private issuer's rules, pure: which AWS Private CA template issues the declared usages, the
 * longest lifetime a CA's mode can issue, and the IssueCertificate idempotency token of an execution.
 *
 * AWS Private CA templates (https://docs.aws.amazon.com/privateca/latest/userguide/UsingTemplates.html):
 * EndEntityClientAuthCertificate/V1 → clientAuth, EndEntityServerAuthCertificate/V1 → serverAuth,
 * EndEntityCertificate/V1 → both. Usage modes
 * (https://docs.aws.amazon.com/privateca/latest/userguide/short-lived-certificates.html): a CA in
 * SHORT_LIVED_CERTIFICATE mode issues certificates valid at most 7 days.
 */
import { createHash } from 'node:crypto';
import type { Usage } from '../contracts/request';
import type { PrivateCaMode } from '../contracts/settings';

export type { PrivateCaMode };

/** The end-entity templates, by the usages they give. */
export const END_ENTITY_TEMPLATES = {
  clientAuth: 'EndEntityClientAuthCertificate/V1',
  serverAuth: 'EndEntityServerAuthCertificate/V1',
  both: 'EndEntityCertificate/V1',
} as const;
export type EndEntityTemplate = (typeof END_ENTITY_TEMPLATES)[keyof typeof END_ENTITY_TEMPLATES];

/** The template whose certificates carry exactly the declared usages. */
export function templateFor(usages: readonly Usage[]): EndEntityTemplate {
  const client = usages.includes('clientAuth');
  const server = usages.includes('serverAuth');
  if (client && server) return END_ENTITY_TEMPLATES.both;
  return client ? END_ENTITY_TEMPLATES.clientAuth : END_ENTITY_TEMPLATES.serverAuth;
}

/** `arn:<partition>:acm-pca:::template/<name>`, the partition taken from the CA's ARN. */
export function templateArn(certificateAuthorityArn: string, template: EndEntityTemplate): string {
  const partition = /^arn:([^:]+):/.exec(certificateAuthorityArn)?.[1] ?? 'aws';
  return `arn:${partition}:acm-pca:::template/${template}`;
}

/** The days a CA in SHORT_LIVED_CERTIFICATE mode may issue at most. */
export const SHORT_LIVED_MAX_DAYS = 7;

/** The longest lifetime (days) a CA in `mode` can issue; undefined: no limit of its own. */
function maxLifetimeDays(mode: PrivateCaMode): number | undefined {
  return mode === 'SHORT_LIVED_CERTIFICATE' ? SHORT_LIVED_MAX_DAYS : undefined;
}

/** Why a CA in `mode` cannot issue `days`, or undefined. */
export function lifetimeProblem(days: number, mode: PrivateCaMode): string | undefined {
  const max = maxLifetimeDays(mode);
  return max !== undefined && days > max ? `${days} days is more than a CA in ${mode} mode can issue (at most ${max})` : undefined;
}

/**
 * IssueCertificate's IdempotencyToken (1–64 characters of [\w-]; AWS honours it for 5 minutes): one
 * per execution, so a retried IssuePrivate gets the certificate of its first call, not a second one.
 */
export function idempotencyToken(executionId: string): string {
  return createHash('sha256').update(executionId).digest('hex').slice(0, 36);
}

/** The key the pending private key of a private issuance is filed under (the ACME path uses the order URL). */
export function privateIssuanceKey(executionId: string): string {
  return `private-ca:${executionId}`;
}
