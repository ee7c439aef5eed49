/**
 * Least privilege, per step: each Lambda gets exactly the capabilities its step uses (its entry in
 * lambdas/catalogue.ts).
 *
 * | capability      | what                                                                                   |
 * |-----------------|----------------------------------------------------------------------------------------|
 * | dnsChange       | route53:ChangeResourceRecordSets on the configured zones, TXT only, `_acme-challenge.*`  |
 * |                 | (and delegation targets) only; ListResourceRecordSets on those zones                   |
 * | dnsSync         | route53:GetChange on change/*; GetHostedZone on the zones (authoritative check)         |
 * |                 | Both: sts:AssumeRole on the roles of cross-account zones (`roleArn`), whose Route 53    |
 * |                 | permissions live in the zone's account (docs/cross-account-zones.md), not here          |
 * | accountRead     | GetSecretValue on <prefix>accounts/*                                                    |
 * | accountWrite    | + CreateSecret (name condition) / PutSecretValue on <prefix>accounts/*, EAB read;       |
 * |                 | "TagResource on creation" below                                                          |
 * | versionLookup   | DescribeSecret on <prefix>certificates/* (the inventory tags: no value, no KMS)        |
 * | certificateWrite| + CreateSecret / PutSecretValue / DescribeSecret / UpdateSecretVersionStage /           |
 * |                 | TagResource on <prefix>certificates/*; GetSecretValue on <prefix>passwords/*            |
 * | pendingWrite    | CreateSecret (name condition) / TagResource / PutSecretValue / GetSecretValue on       |
 * |                 | <prefix>pending/* (keys of orders in flight); CreateSecret + TagResource on            |
 * |                 | <prefix>certificates/* (the empty secret a failed first issuance is recorded on)       |
 * | pendingRead     | GetSecretValue on <prefix>pending/*                                                    |
 * | pendingDiscard  | DescribeSecret / UpdateSecretVersionStage on <prefix>pending/*                         |
 * | renewalLease    | GetSecretValue / PutSecretValue / CreateSecret (name condition) / TagResource on        |
 * |                 | <prefix>leases/* (which execution renews a certificate; no private material)            |
 * | executionStatus | states:DescribeExecution on the RenewCertificate machine's executions (is a lease's    |
 * |                 | holder still running? one stopped with StopExecution never gives its lease back)        |
 * | failureRecord   | TagResource on <prefix>certificates/* (last failure, for the scan)                      |
 * | ariRecord       | TagResource on <prefix>certificates/*, the `certflow:ari` tag key only (aws:TagKeys):   |
 * |                 | the CA's last renewalInfo answer, kept until its Retry-After                             |
 * | certificateRead | GetSecretValue / DescribeSecret on <prefix>certificates/* (a version's leaf to revoke,  |
 * |                 | and its revocation mark); kms:Decrypt                                                   |
 * | revocationMark  | DescribeSecret / TagResource on <prefix>certificates/* (the revoked version's mark: a   |
 * |                 | tag; no value read or written, no KMS)                                                  |
 * | inventory       | secretsmanager:ListSecrets (names and tags, no values); states:ListExecutions on the    |
 * |                 | RenewCertificate machine (the order budget)                                             |
 * | publish         | events:PutEvents on the bus                                                             |
 * | privateIssue    | acm-pca:IssueCertificate on the configured CA only, end-entity templates only          |
 * |                 | (acm-pca:TemplateArn condition: no CA certificate can be issued)                       |
 * | privateFetch    | acm-pca:GetCertificate on the configured CA (its issued certificates)                  |
 * |                 | Both also on privateCa.nextCertificateAuthorityArn: the CA a root rotation moves to    |
 * | rotationRead    | GetSecretValue on the configured CA's rotation record only, `<prefix>rotations/<hash>`  |
 * |                 | (ADR 0013: which CA issues, which roots the truststores hold); kms:Decrypt             |
 * | rotationWrite   | + PutSecretValue on that one secret (the scan advances the phase); no CreateSecret:     |
 * |                 | `certflow ca rotate --aws` (the operator) starts a rotation                            |
 * | hostReports     | logs:FilterLogEvents on the host inventory log group (the gates and the served check), |
 * |                 | added by the stack, which creates that log group (infra/certflow-stack.ts)             |
 * | groupQueues     | sqs:ListQueues (takes no resource): the host groups' queues are their rosters           |
 * TagResource on creation (accountWrite, pendingWrite, renewalLease): only the creation tags' keys,
 * with managed-by=certflow (aws:TagKeys, aws:RequestTag: keys TagResource carries).
 * KMS: the key is usable only through Secrets Manager (kms:ViaService), decrypt for readers,
 * encrypt/generate for writers.
 */
import { ArnFormat, type Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { HostedZone } from '../domain/core/dns-names';
import { END_ENTITY_TEMPLATES, templateArn } from '../domain/core/private-ca';
import type { ChallengeDelegation } from '../domain/core/txt-values';
import type { PortSpec } from '../lambdas/deps';
import { CREATION_TAG, TAG } from '../domain/adapters/aws/secrets-store';
import { rotationSecretPath } from '../domain/adapters/aws/secrets-rotations';

/** The RenewCertificate state machine's name (infra/certflow-stack.ts): its executions hold renewal leases. */
export const RENEW_STATE_MACHINE_NAME = 'certflow-RenewCertificate';

export type Capability =
  | 'dnsChange'
  | 'dnsSync'
  | 'accountRead'
  | 'accountWrite'
  | 'versionLookup'
  | 'certificateWrite'
  | 'pendingWrite'
  | 'pendingRead'
  | 'pendingDiscard'
  | 'renewalLease'
  | 'executionStatus'
  | 'failureRecord'
  | 'ariRecord'
  | 'certificateRead'
  | 'revocationMark'
  | 'inventory'
  | 'publish'
  | 'privateIssue'
  | 'privateFetch'
  | 'rotationRead'
  | 'rotationWrite'
  | 'hostReports'
  | 'groupQueues';

/**
 * The port methods each capability's statements serve (the adapters' calls, as statementsFor
 * grants them). A step's ports (lambdas/catalogue.ts) stay within its capabilities, and each of its
 * capabilities serves one of its ports: test/infra/ports.test.ts.
 */
export const CAPABILITY_PORTS: Readonly<Record<Capability, PortSpec>> = {
  dnsChange: { dns: ['present', 'cleanup'] },
  dnsSync: { dns: ['isInSync'] },
  accountRead: { store: ['account'] },
  // The read statements come with it: the account key is read before it is created.
  accountWrite: { store: ['account', 'saveAccountUrl', 'readSecret'] },
  versionLookup: { store: ['currentVersion'] },
  certificateWrite: { store: ['current', 'currentKeystorePassword', 'promote', 'readSecret'] },
  pendingWrite: { store: ['pendingKey', 'readPendingKey'] },
  pendingRead: { store: ['readPendingKey'] },
  // pendingFor is pure (no call): it names the key of an order that failed before its state recorded it.
  pendingDiscard: { store: ['discardPending', 'pendingFor'] },
  renewalLease: { store: ['acquireLease', 'releaseLease', 'heldLease'] },
  executionStatus: { executions: ['isGone'] },
  failureRecord: { store: ['recordFailure'] },
  ariRecord: { store: ['recordAri'] },
  certificateRead: { store: ['issuedCertificate'] },
  revocationMark: { store: ['markRevoked'] },
  inventory: { store: ['inventory'], orders: ['ordersSince'] },
  publish: { events: ['renewed', 'failed', 'expiring', 'revoked', 'revocationFailed'] },
  privateIssue: { issuer: ['issue'] },
  privateFetch: { issuer: ['fetch'] },
  rotationRead: { rotations: ['rotation'] },
  rotationWrite: { rotations: ['rotation', 'saveRotation'] },
  hostReports: { hosts: ['hostStates', 'reports'] },
  groupQueues: { queues: ['queueNames'] },
};

export interface AccessScope {
  readonly zones: readonly HostedZone[];
  readonly delegations: readonly ChallengeDelegation[];
  readonly secretPrefix: string;
  readonly key: kms.IKey;
  readonly bus: events.IEventBus;
  /** The private CA (config `privateCa`); without one the private steps get no acm-pca right at all. */
  readonly privateCaArn?: string;
  /** The CA a root rotation moves to (config `privateCa.nextCertificateAuthorityArn`): issued from and read like the first. */
  readonly nextPrivateCaArn?: string;
}

/** Record names certflow may change: challenges, and the targets of CNAME delegations. */
function changeableRecordNames(delegations: readonly ChallengeDelegation[]): string[] {
  const names = ['_acme-challenge.*'];
  for (const delegation of delegations) {
    if (delegation.target) names.push(delegation.target.toLowerCase());
    if (delegation.targetZone) names.push(`*.${delegation.targetZone.toLowerCase()}`);
  }
  return [...new Set(names)];
}

export function statementsFor(stack: Stack, capabilities: readonly Capability[], scope: AccessScope): iam.PolicyStatement[] {
  const secret = (path: string) => stack.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${scope.secretPrefix}${path}`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  // Cross-account zones are reached through their role: the pipeline's roles get no Route 53 access to them.
  const ownZones = scope.zones.filter((zone) => !zone.roleArn);
  const zoneRoles = [...new Set(scope.zones.flatMap((zone) => (zone.roleArn ? [zone.roleArn] : [])))];
  // Zones without an id are looked up by name at run time, so they cannot be pinned here.
  const zoneArns = ownZones.some((zone) => !zone.id)
    ? [`arn:${stack.partition}:route53:::hostedzone/*`]
    : ownZones.map((zone) => `arn:${stack.partition}:route53:::hostedzone/${zone.id!.replace(/^\/hostedzone\//, '')}`);
  const viaSecretsManager = { StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.amazonaws.com` } };
  const has = (capability: Capability) => capabilities.includes(capability);
  const statements: iam.PolicyStatement[] = [];
  /**
   * CreateSecret with Tags is authorized as TagResource too ("If you include tags in the secret,
   * you also need secretsmanager:TagResource", CreateSecret API reference). secretsmanager:Name is
   * not a TagResource condition key (Service Authorization Reference, AWS Secrets Manager), so the
   * tagging half is conditioned on what TagResource carries: the creation tags' keys, managed-by=certflow.
   */
  const createTagged = (sid: string, paths: string[]) => [
    new iam.PolicyStatement({
      sid: `Create${sid}`,
      actions: ['secretsmanager:CreateSecret'],
      resources: paths.map(secret),
      conditions: { StringLike: { 'secretsmanager:Name': paths.length === 1 ? `${scope.secretPrefix}${paths[0]}` : paths.map((path) => `${scope.secretPrefix}${path}`) } },
    }),
    new iam.PolicyStatement({
      sid: `TagNew${sid}`,
      actions: ['secretsmanager:TagResource'],
      resources: paths.map(secret),
      conditions: {
        'ForAllValues:StringEquals': { 'aws:TagKeys': [CREATION_TAG.managedBy.Key, CREATION_TAG.certificateId, CREATION_TAG.acmeDirectory] },
        StringEquals: { [`aws:RequestTag/${CREATION_TAG.managedBy.Key}`]: CREATION_TAG.managedBy.Value },
      },
    }),
  ];

  if (has('dnsChange') && ownZones.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'AcmeChallengeTxtOnly',
        actions: ['route53:ChangeResourceRecordSets'],
        resources: zoneArns,
        conditions: {
          'ForAllValues:StringLike': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': changeableRecordNames(scope.delegations) },
          'ForAllValues:StringEquals': { 'route53:ChangeResourceRecordSetsRecordTypes': ['TXT'] },
        },
      }),
      new iam.PolicyStatement({ sid: 'ReadChallengeRecords', actions: ['route53:ListResourceRecordSets'], resources: zoneArns }),
    );
  }
  if (has('dnsSync') && ownZones.length > 0) {
    statements.push(
      new iam.PolicyStatement({ sid: 'PollChanges', actions: ['route53:GetChange'], resources: [`arn:${stack.partition}:route53:::change/*`] }),
      new iam.PolicyStatement({ sid: 'ZoneNameServers', actions: ['route53:GetHostedZone'], resources: zoneArns }),
    );
  }
  if ((has('dnsChange') || has('dnsSync')) && ownZones.some((zone) => !zone.id)) {
    statements.push(new iam.PolicyStatement({ sid: 'FindZonesByName', actions: ['route53:ListHostedZonesByName'], resources: ['*'] }));
  }
  if ((has('dnsChange') || has('dnsSync')) && zoneRoles.length > 0) {
    statements.push(new iam.PolicyStatement({ sid: 'AssumeZoneRoles', actions: ['sts:AssumeRole'], resources: zoneRoles }));
  }
  if (has('accountRead') || has('accountWrite')) {
    statements.push(new iam.PolicyStatement({ sid: 'ReadAccount', actions: ['secretsmanager:GetSecretValue'], resources: [secret('accounts/*')] }));
  }
  if (has('accountWrite')) {
    statements.push(
      new iam.PolicyStatement({ sid: 'WriteAccount', actions: ['secretsmanager:PutSecretValue'], resources: [secret('accounts/*')] }),
      ...createTagged('Account', ['accounts/*']),
      new iam.PolicyStatement({ sid: 'ReadEab', actions: ['secretsmanager:GetSecretValue'], resources: [secret('eab/*')] }),
    );
  }
  if (has('versionLookup')) {
    statements.push(new iam.PolicyStatement({ sid: 'LookUpVersions', actions: ['secretsmanager:DescribeSecret'], resources: [secret('certificates/*')] }));
  }
  if (has('certificateWrite')) {
    statements.push(new iam.PolicyStatement({ sid: 'ReadCertificates', actions: ['secretsmanager:GetSecretValue'], resources: [secret('certificates/*')] }));
  }
  if (has('certificateWrite')) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'WriteCertificates',
        actions: ['secretsmanager:PutSecretValue', 'secretsmanager:DescribeSecret', 'secretsmanager:UpdateSecretVersionStage', 'secretsmanager:TagResource'],
        resources: [secret('certificates/*')],
      }),
      new iam.PolicyStatement({
        sid: 'CreateCertificates',
        actions: ['secretsmanager:CreateSecret'],
        resources: [secret('certificates/*')],
        conditions: { StringLike: { 'secretsmanager:Name': `${scope.secretPrefix}certificates/*` } },
      }),
      new iam.PolicyStatement({ sid: 'ReadGivenPasswords', actions: ['secretsmanager:GetSecretValue'], resources: [secret('passwords/*')] }),
    );
  }
  if (has('certificateRead')) {
    statements.push(
      new iam.PolicyStatement({ sid: 'ReadIssuedCertificates', actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], resources: [secret('certificates/*')] }),
    );
  }
  if (has('revocationMark')) {
    statements.push(
      new iam.PolicyStatement({ sid: 'MarkRevoked', actions: ['secretsmanager:DescribeSecret', 'secretsmanager:TagResource'], resources: [secret('certificates/*')] }),
    );
  }
  if (has('pendingWrite') || has('pendingRead')) {
    statements.push(new iam.PolicyStatement({ sid: 'ReadPendingKeys', actions: ['secretsmanager:GetSecretValue'], resources: [secret('pending/*')] }));
  }
  if (has('renewalLease')) {
    statements.push(
      new iam.PolicyStatement({ sid: 'RenewalLease', actions: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'], resources: [secret('leases/*')] }),
      ...createTagged('RenewalLease', ['leases/*']),
    );
  }
  if (has('executionStatus')) {
    // By name, not by the state machine's ARN: the machine depends on this function already.
    const executions = stack.formatArn({ service: 'states', resource: 'execution', resourceName: `${RENEW_STATE_MACHINE_NAME}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    statements.push(new iam.PolicyStatement({ sid: 'LeaseHolderStatus', actions: ['states:DescribeExecution'], resources: [executions] }));
  }
  if (has('pendingWrite')) {
    statements.push(
      new iam.PolicyStatement({ sid: 'WritePendingKeys', actions: ['secretsmanager:PutSecretValue'], resources: [secret('pending/*')] }),
      ...createTagged('SecretsOnFirstOrder', ['pending/*', 'certificates/*']),
    );
  }
  if (has('pendingDiscard')) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'DiscardPending',
        actions: ['secretsmanager:DescribeSecret', 'secretsmanager:UpdateSecretVersionStage'],
        resources: [secret('pending/*')],
      }),
    );
  }
  if ((has('rotationRead') || has('rotationWrite')) && scope.privateCaArn) {
    // Exactly the configured CA's record: its name is fixed; `-??????` is the suffix Secrets Manager appends.
    statements.push(
      new iam.PolicyStatement({
        sid: has('rotationWrite') ? 'AdvanceRootRotation' : 'ReadRootRotation',
        actions: has('rotationWrite') ? ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'] : ['secretsmanager:GetSecretValue'],
        resources: [secret(`${rotationSecretPath(scope.privateCaArn)}-??????`)],
      }),
    );
  }
  const rotationRecord = Boolean(scope.privateCaArn) && (has('rotationRead') || has('rotationWrite'));
  const readsSecrets = rotationRecord || ['accountRead', 'accountWrite', 'certificateWrite', 'certificateRead', 'pendingWrite', 'pendingRead', 'pendingDiscard', 'renewalLease'].some((c) => has(c as Capability));
  const writesSecrets = has('accountWrite') || has('certificateWrite') || has('pendingWrite') || has('renewalLease') || (rotationRecord && has('rotationWrite'));
  if (readsSecrets) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'KeyForSecrets',
        actions: writesSecrets ? ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt'],
        resources: [scope.key.keyArn],
        conditions: viaSecretsManager,
      }),
    );
  }
  if (has('inventory')) {
    // ListSecrets cannot be scoped to resources; the scan reads names and tags only, no values.
    statements.push(new iam.PolicyStatement({ sid: 'ListCertificates', actions: ['secretsmanager:ListSecrets'], resources: ['*'] }));
  }
  if (has('failureRecord')) {
    statements.push(new iam.PolicyStatement({ sid: 'RecordFailure', actions: ['secretsmanager:TagResource'], resources: [secret('certificates/*')] }));
  }
  if (has('ariRecord')) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'RecordAriAnswer',
        actions: ['secretsmanager:TagResource'],
        resources: [secret('certificates/*')],
        conditions: { 'ForAllValues:StringEquals': { 'aws:TagKeys': [TAG.ari] } },
      }),
    );
  }
  const privateCas = scope.privateCaArn ? [scope.privateCaArn, ...(scope.nextPrivateCaArn ? [scope.nextPrivateCaArn] : [])] : [];
  if (has('privateIssue') && privateCas.length) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'IssueEndEntityCertificates',
        actions: ['acm-pca:IssueCertificate'],
        resources: privateCas,
        conditions: { StringEquals: { 'acm-pca:TemplateArn': Object.values(END_ENTITY_TEMPLATES).map((template) => templateArn(scope.privateCaArn!, template)) } },
      }),
    );
  }
  if (has('privateFetch') && privateCas.length) {
    // GetCertificate is authorized on the CA that issued the certificate (Service Authorization Reference, AWS Private CA).
    statements.push(new iam.PolicyStatement({ sid: 'ReadIssuedPrivateCertificates', actions: ['acm-pca:GetCertificate'], resources: privateCas }));
  }
  if (has('publish')) {
    statements.push(new iam.PolicyStatement({ sid: 'PublishEvents', actions: ['events:PutEvents'], resources: [scope.bus.eventBusArn] }));
  }
  if (has('groupQueues')) {
    // ListQueues takes no resource (Service Authorization Reference, Amazon SQS): names only, no message.
    statements.push(new iam.PolicyStatement({ sid: 'ListHostQueues', actions: ['sqs:ListQueues'], resources: ['*'] }));
  }
  return statements;
}
