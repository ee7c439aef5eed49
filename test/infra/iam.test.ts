/** Least privilege, as synthesized: what each step's role may do, and cdk-nag's verdict. */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../bin/certflow';
import { defineConfig } from '../../infra/config';
import { STEP_IDS, type StepId } from '../../lambdas/catalogue';
import { createLocalhostTls } from '../../local/tls';
import { rotationSecretPath } from '../../domain/adapters/aws/secrets-rotations';

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> };

const config = defineConfig({
  hostedZones: [{ name: 'example.com', id: 'Z1EXAMPLE' }, { name: 'acme.example.net', id: 'Z2VALIDATION' }],
  delegations: [{ match: 'example.com', targetZone: 'acme.example.net' }],
  acme: { externalAccountBindingSecret: 'certflow/eab/zerossl' },
  subscribers: [{ name: 'brokers-eu', certificateIds: ['broker-eu1', 'broker-eu2'] }],
});

let app: App;
let stack: Stack;
let template: Template;

beforeAll(() => {
  ({ app, stack } = buildApp(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), config));
  template = Template.fromStack(stack);
});

function statementsOf(step: StepId, from: Template = template): Statement[] {
  const functions = from.findResources('AWS::Lambda::Function');
  const fn = Object.values(functions).find((f) => f.Properties.Environment.Variables.CERTFLOW_STEP === step)!;
  const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
  const policies = Object.values(from.findResources('AWS::IAM::Policy')).filter((policy) =>
    (policy.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleId),
  );
  return policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

const actions = (statements: Statement[]) => statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();
const BASELINE = ['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'];

describe('per-step roles', () => {
  it('gives each step only the actions of its capabilities', () => {
    const expected: Record<StepId, string[]> = {
      'validate-request': [],
      // The account, and the renewal lease (leases/*: no private material) with its holder's status.
      'create-order': ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'secretsmanager:CreateSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:TagResource', 'secretsmanager:CreateSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:TagResource', 'states:DescribeExecution'],
      'present-challenges': ['route53:ChangeResourceRecordSets', 'route53:ListResourceRecordSets'],
      'check-dns-sync': ['route53:GetChange', 'route53:GetHostedZone'],
      'answer-challenges': ['kms:Decrypt', 'secretsmanager:GetSecretValue'],
      'check-order': ['kms:Decrypt', 'secretsmanager:GetSecretValue'],
      // Pending keys only: no certificate bundle, no keystore password.
      'finalize-order': ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'secretsmanager:CreateSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:TagResource'],
      'check-certificate': ['kms:Decrypt', 'secretsmanager:GetSecretValue'],
      'package-and-store': ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'secretsmanager:CreateSecret', 'secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:GetSecretValue', 'secretsmanager:GetSecretValue', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:TagResource', 'secretsmanager:UpdateSecretVersionStage'],
      'publish-renewed': ['events:PutEvents'],
      'cleanup-challenges': ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'route53:ChangeResourceRecordSets', 'route53:ListResourceRecordSets', 'secretsmanager:DescribeSecret', 'secretsmanager:UpdateSecretVersionStage', 'secretsmanager:CreateSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:TagResource'],
      'cleanup-after-failure': ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'route53:ChangeResourceRecordSets', 'route53:ListResourceRecordSets', 'secretsmanager:DescribeSecret', 'secretsmanager:UpdateSecretVersionStage', 'secretsmanager:CreateSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:TagResource'],
      // The version that stays current from the inventory tags: no secret value, no KMS.
      'publish-failed': ['events:PutEvents', 'secretsmanager:DescribeSecret', 'secretsmanager:TagResource'],
      // Names and tags, no values; one tag written (the CA's renewalInfo answer, below).
      'scan-inventory': ['events:PutEvents', 'secretsmanager:ListSecrets', 'secretsmanager:TagResource', 'states:ListExecutions'],
      // Without a private CA there is no rotation record to read, no host report to gate on: the names in the store only.
      'advance-rotation': ['secretsmanager:ListSecrets'],
      'validate-revocation': [],
      // The account key and the version's leaf (read with its bundle: Secrets Manager has no partial reads); nothing written.
      'revoke-at-ca': ['kms:Decrypt', 'secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:GetSecretValue'],
      // A tag beside the version: no value read or written, no KMS.
      'mark-revoked': ['secretsmanager:DescribeSecret', 'secretsmanager:TagResource'],
      'publish-revoked': ['events:PutEvents'],
      'publish-revocation-failed': ['events:PutEvents'],
      // The private path, in a stack without a private CA: no acm-pca right at all (see 'the private issuer' below).
      'issue-private': ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'secretsmanager:CreateSecret', 'secretsmanager:CreateSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:TagResource', 'secretsmanager:TagResource', 'states:DescribeExecution'],
      'check-private-certificate': [],
      'package-and-store-private': ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'secretsmanager:CreateSecret', 'secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:GetSecretValue', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:TagResource', 'secretsmanager:UpdateSecretVersionStage'],
      'release-private': ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'secretsmanager:DescribeSecret', 'secretsmanager:UpdateSecretVersionStage', 'secretsmanager:CreateSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:TagResource'],
      'cleanup-private-after-failure': ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'secretsmanager:DescribeSecret', 'secretsmanager:UpdateSecretVersionStage', 'secretsmanager:CreateSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:TagResource'],
      // The hosts' reports in the inventory log group and the groups' queue names, nothing else (its metrics are EMF lines in its own log).
      'check-served': ['logs:FilterLogEvents', 'sqs:ListQueues'],
    };
    for (const step of STEP_IDS) {
      expect(actions(statementsOf(step)), step).toEqual([...expected[step], ...BASELINE].sort());
    }
  });

  it('lets Route 53 changes touch only TXT records named _acme-challenge.* (or delegation targets) in the configured zones', () => {
    const change = statementsOf('present-challenges').find((s) => s.Action === 'route53:ChangeResourceRecordSets')!;
    expect(JSON.stringify(change.Resource)).toContain('hostedzone/Z1EXAMPLE');
    expect(JSON.stringify(change.Resource)).toContain('hostedzone/Z2VALIDATION');
    expect(change.Condition).toEqual({
      'ForAllValues:StringLike': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['_acme-challenge.*', '*.acme.example.net'] },
      'ForAllValues:StringEquals': { 'route53:ChangeResourceRecordSetsRecordTypes': ['TXT'] },
    });
  });

  it('scopes secrets to the pipeline prefix and the KMS key to Secrets Manager', () => {
    for (const step of STEP_IDS) {
      for (const statement of statementsOf(step)) {
        const text = JSON.stringify(statement);
        // ListSecrets cannot be scoped (it returns names and tags only): the scan's one exception (its two steps:
        // AdvanceRotation reads the current versions' roots from the same tags).
        if (statement.Action === 'secretsmanager:ListSecrets') expect([['scan-inventory', '*'], ['advance-rotation', '*']]).toContainEqual([step, statement.Resource]);
        else if (text.includes('secretsmanager:')) expect(text, step).toMatch(/secret:certflow\/(certificates|pending|leases|accounts|eab|passwords)\/\*/);
        if (text.includes('kms:')) expect(statement.Condition, step).toEqual({ StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } });
        expect(actions([statement]).some((action) => action.endsWith(':*') || action === '*'), step).toBe(false);
      }
    }
    const create = statementsOf('package-and-store').find((s) => s.Sid === 'CreateCertificates')!;
    expect(create.Condition).toEqual({ StringLike: { 'secretsmanager:Name': 'certflow/certificates/*' } });
    const firstOrder = statementsOf('finalize-order').find((s) => s.Sid === 'CreateSecretsOnFirstOrder')!;
    expect(firstOrder.Condition).toEqual({ StringLike: { 'secretsmanager:Name': ['certflow/pending/*', 'certflow/certificates/*'] } });
    // The scan tags certificates with the CA's renewalInfo answer, and with no other key.
    const ari = statementsOf('scan-inventory').find((s) => s.Sid === 'RecordAriAnswer')!;
    expect(ari.Action).toBe('secretsmanager:TagResource');
    expect(ari.Condition).toEqual({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['certflow:ari'] } });
    // The tags CreateSecret sends are authorized as TagResource, on keys TagResource carries (test/infra/condition-keys.test.ts).
    const tagOnCreate = statementsOf('finalize-order').find((s) => s.Sid === 'TagNewSecretsOnFirstOrder')!;
    expect(tagOnCreate.Action).toBe('secretsmanager:TagResource');
    expect(tagOnCreate.Condition).toEqual({
      'ForAllValues:StringEquals': { 'aws:TagKeys': ['managed-by', 'certflow:certificate-id', 'certflow:acme-directory'] },
      StringEquals: { 'aws:RequestTag/managed-by': 'certflow' },
    });
  });

  it("lets only the steps that take the lease (CreateOrder, IssuePrivate) ask whether its holder still runs: DescribeExecution on RenewCertificate's executions", () => {
    const asking = STEP_IDS.filter((step) => actions(statementsOf(step)).includes('states:DescribeExecution'));
    expect(asking).toEqual(['create-order', 'issue-private']);
    for (const step of asking) {
      const statement = statementsOf(step).find((s) => s.Sid === 'LeaseHolderStatus')!;
      expect(JSON.stringify(statement.Resource)).toMatch(/:execution:certflow-RenewCertificate:\*"/);
    }
  });

  it('keeps pending keys (private keys of orders in flight) to the steps that make, use and discard them', () => {
    const touching = STEP_IDS.filter((step) => JSON.stringify(statementsOf(step)).includes('secret:certflow/pending/*'));
    expect(touching).toEqual([
      'finalize-order', 'package-and-store', 'cleanup-challenges', 'cleanup-after-failure',
      'issue-private', 'package-and-store-private', 'release-private', 'cleanup-private-after-failure',
    ]);
    expect(statementsOf('cleanup-after-failure').find((s) => s.Sid === 'DiscardPending')!.Resource).toEqual(expect.objectContaining({ 'Fn::Join': expect.arrayContaining([expect.arrayContaining([':secret:certflow/pending/*'])]) }));
  });

  it('creates the customer-managed key with rotation and the custom event bus', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'certflow' });
    const env = Object.values(template.findResources('AWS::Lambda::Function'))[0]!.Properties.Environment.Variables;
    expect(env).toMatchObject({ CERTFLOW_SECRET_PREFIX: 'certflow/', CERTFLOW_EAB_SECRET: 'certflow/eab/zerossl' });
  });
});

describe('the private issuer (AWS Private CA)', () => {
  const CA = 'arn:aws:acm-pca:eu-west-1:111111111111:certificate-authority/11111111-2222-3333-4444-555555555555';
  let privateTemplate: Template;
  beforeAll(async () => {
    const { caPem } = await createLocalhostTls();
    const withCa = defineConfig({ hostedZones: [{ name: 'example.com', id: 'Z1EXAMPLE' }], privateCa: { certificateAuthorityArn: CA, trustAnchors: [caPem] } });
    privateTemplate = Template.fromStack(buildApp(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), withCa).stack);
  });

  it('lets IssuePrivate issue on exactly the configured CA, end-entity templates only (acm-pca:TemplateArn), and nothing else of acm-pca', () => {
    const issue = statementsOf('issue-private', privateTemplate).find((statement) => statement.Sid === 'IssueEndEntityCertificates')!;
    expect(issue).toMatchObject({ Action: 'acm-pca:IssueCertificate', Resource: CA });
    expect(issue.Condition).toEqual({
      StringEquals: {
        'acm-pca:TemplateArn': [
          'arn:aws:acm-pca:::template/EndEntityClientAuthCertificate/V1',
          'arn:aws:acm-pca:::template/EndEntityServerAuthCertificate/V1',
          'arn:aws:acm-pca:::template/EndEntityCertificate/V1',
        ],
      },
    });
    expect(actions(statementsOf('check-private-certificate', privateTemplate))).toEqual(['acm-pca:GetCertificate', ...BASELINE].sort());
    expect(statementsOf('check-private-certificate', privateTemplate).find((statement) => statement.Action === 'acm-pca:GetCertificate')!.Resource).toBe(CA);
    const withAcmPca = STEP_IDS.filter((step) => actions(statementsOf(step, privateTemplate)).some((action) => action.startsWith('acm-pca:')));
    expect(withAcmPca).toEqual(['issue-private', 'check-private-certificate', 'package-and-store-private']);
  });

  it('lets the steps read exactly the configured CA\'s rotation record, AdvanceRotation alone write it (no CreateSecret), and read the host reports\' log group', async () => {
    const rotationSecret = `certflow/${rotationSecretPath(CA)}-??????`;
    const onRecord = (step: StepId) => statementsOf(step, privateTemplate).filter((statement) => JSON.stringify(statement.Resource).includes('rotations/'));
    for (const step of ['issue-private', 'package-and-store-private'] as const) {
      expect(onRecord(step).map((statement) => statement.Action), step).toEqual(['secretsmanager:GetSecretValue']);
      expect(JSON.stringify(onRecord(step)[0]!.Resource), step).toContain(rotationSecret);
    }
    expect(onRecord('advance-rotation').map((statement) => statement.Action)).toEqual([['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue']]);
    expect(JSON.stringify(onRecord('advance-rotation')[0]!.Resource)).toContain(rotationSecret);
    expect(JSON.stringify(onRecord('advance-rotation')[0]!.Resource)).not.toContain('rotations/*');
    const readers = STEP_IDS.filter((step) => onRecord(step).length > 0);
    expect(readers).toEqual(['issue-private', 'package-and-store-private', 'advance-rotation']);
    const logs = statementsOf('advance-rotation', privateTemplate).find((statement) => statement.Sid === 'ReadHostReports')!;
    expect(logs.Action).toBe('logs:FilterLogEvents');
    expect(JSON.stringify(logs.Resource)).toMatch(/HostInventory.*Arn/);
    expect(actions(statementsOf('advance-rotation', privateTemplate))).toEqual(
      ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'logs:FilterLogEvents', 'secretsmanager:GetSecretValue', 'secretsmanager:ListSecrets', 'secretsmanager:PutSecretValue', ...BASELINE].sort(),
    );
  });

  it('lets the private steps issue from and read the CA a rotation moves to too, when the config names it (privateCa.nextCertificateAuthorityArn)', async () => {
    const NEXT = CA.replace('555555555555', '666666666666');
    const { caPem } = await createLocalhostTls();
    const rotating = defineConfig({ hostedZones: [{ name: 'example.com', id: 'Z1EXAMPLE' }], privateCa: { certificateAuthorityArn: CA, nextCertificateAuthorityArn: NEXT, trustAnchors: [caPem] } });
    const rotatingTemplate = Template.fromStack(buildApp(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), rotating).stack);
    expect(statementsOf('issue-private', rotatingTemplate).find((statement) => statement.Sid === 'IssueEndEntityCertificates')!.Resource).toEqual([CA, NEXT]);
    expect(statementsOf('check-private-certificate', rotatingTemplate).find((statement) => statement.Action === 'acm-pca:GetCertificate')!.Resource).toEqual([CA, NEXT]);
    // The record stays the configured CA's: one secret.
    expect(JSON.stringify(statementsOf('advance-rotation', rotatingTemplate))).toContain(rotationSecretPath(CA));
    expect(JSON.stringify(statementsOf('advance-rotation', rotatingTemplate))).not.toContain(rotationSecretPath(NEXT));
  });

  it('gives the private path no ACME account and no Route 53 right', () => {
    for (const step of ['issue-private', 'check-private-certificate', 'package-and-store-private', 'release-private', 'cleanup-private-after-failure'] as const) {
      const text = JSON.stringify(statementsOf(step, privateTemplate));
      expect(text, step).not.toContain('route53:');
      expect(text, step).not.toContain('certflow/accounts/');
      expect(text, step).not.toContain('certflow/eab/');
    }
  });

  it('tells the steps which CA, its mode and the default lifetime (CERTFLOW_PRIVATE_CA)', () => {
    const functions = Object.values(privateTemplate.findResources('AWS::Lambda::Function'));
    const env = functions[0]!.Properties.Environment.Variables;
    expect(JSON.parse(env.CERTFLOW_PRIVATE_CA)).toEqual({ certificateAuthorityArn: CA, mode: 'SHORT_LIVED_CERTIFICATE', defaultLifetimeDays: 7, signingAlgorithm: 'SHA256WITHRSA' });
  });
});

describe('host groups', () => {
  it('gets a topic, a dead-letter queue and a host policy per group, exported for the agent (hosts make their own queues)', () => {
    template.resourceCountIs('AWS::SQS::Queue', 1);
    const outputs = template.findOutputs('*');
    expect(Object.keys(outputs).sort()).toEqual([
      'EventBusName', 'HostInventoryLogGroupName', 'HostInventoryRuleName', 'RenewCertificateArn', 'RevokeCertificateArn',
      'brokerseuDeadLetterQueueArn', 'brokerseuHostPolicyArn', 'brokerseuQueuePrefix', 'brokerseuTopicArn',
    ]);
    expect(outputs.brokerseuQueuePrefix!.Value).toBe('certflow-brokers-eu-');
    const policy = Object.values(template.findResources('AWS::IAM::ManagedPolicy'))[0]!;
    const text = JSON.stringify(policy.Properties.PolicyDocument);
    expect(text).toContain('secret:certflow/certificates/broker-eu1-??????');
    expect(text).toContain('secret:certflow/certificates/broker-eu2-??????');
    expect(text).not.toContain('secret:certflow/certificates/*');
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('has zero unacknowledged findings', () => {
    const report = new AwsSolutionsChecks(app).validateScope(stack);
    expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
  });

  it('does find a wildcard policy (the check can fail)', () => {
    const { app: other, stack: otherStack } = buildApp(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), config);
    const role = new iam.Role(otherStack, 'Sloppy', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:*'], resources: ['arn:aws:s3:::bucket'] }));
    const report = new AwsSolutionsChecks(other).validateScope(otherStack);
    expect(report.violations.map((violation) => violation.ruleName)).toContain('AwsSolutions-IAM5[Action::s3:*]');
  });
});

describe('cross-account hosted zones (roleArn)', () => {
  const PARTNER_ROLE = 'arn:aws:iam::222222222222:role/certflow-dns';
  const LOOKUP_ROLE = 'arn:aws:iam::333333333333:role/zones/certflow-dns';
  const DNS_STEPS: StepId[] = ['present-challenges', 'check-dns-sync', 'cleanup-challenges', 'cleanup-after-failure'];
  const synth = (hostedZones: Parameters<typeof defineConfig>[0]['hostedZones']) => {
    const built = buildApp(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), defineConfig({ hostedZones }));
    return { ...built, template: Template.fromStack(built.stack) };
  };

  let mixed: ReturnType<typeof synth>;
  let remoteOnly: ReturnType<typeof synth>;
  beforeAll(() => {
    mixed = synth([
      { name: 'example.com', id: 'Z1EXAMPLE' },
      { name: 'partner.example', id: 'Z9PARTNER', roleArn: PARTNER_ROLE },
      { name: 'shop.partner.example', id: 'Z8PARTNER', roleArn: PARTNER_ROLE },
      // No id: looked up by name, in the role's account.
      { name: 'lookup.example', roleArn: LOOKUP_ROLE, externalId: 'certflow-lookup' },
    ]);
    remoteOnly = synth([{ name: 'partner.example', roleArn: PARTNER_ROLE }]);
  });

  it('lets exactly the DNS steps assume exactly the configured roles', () => {
    for (const step of STEP_IDS) {
      const assume = statementsOf(step, mixed.template).filter((s) => actions([s]).includes('sts:AssumeRole'));
      if (DNS_STEPS.includes(step)) {
        expect(assume, step).toHaveLength(1);
        expect(actions(assume), step).toEqual(['sts:AssumeRole']);
        expect([assume[0]!.Resource].flat().sort(), step).toEqual([PARTNER_ROLE, LOOKUP_ROLE].sort());
        expect(assume[0]!.Condition, step).toBeUndefined();
      } else {
        expect(assume, step).toEqual([]);
      }
    }
  });

  it('grants no Route 53 access to cross-account zones in the pipeline account (their role has it)', () => {
    for (const step of DNS_STEPS) {
      const text = JSON.stringify(statementsOf(step, mixed.template).filter((s) => JSON.stringify(s.Action).includes('route53:')));
      expect(text, step).toContain('hostedzone/Z1EXAMPLE');
      expect(text, step).not.toMatch(/Z9PARTNER|Z8PARTNER|hostedzone\/\*/);
      // The id-less zone is looked up in its own account, so the pipeline needs no ListHostedZonesByName.
      expect(text, step).not.toContain('ListHostedZonesByName');
    }
    expect(actions(statementsOf('present-challenges', remoteOnly.template))).toEqual(['sts:AssumeRole', ...BASELINE].sort());
    expect(actions(statementsOf('check-dns-sync', remoteOnly.template))).toEqual(['sts:AssumeRole', ...BASELINE].sort());
  });

  it('adds no sts:AssumeRole when no zone has a role', () => {
    for (const step of STEP_IDS) expect(actions(statementsOf(step)), step).not.toContain('sts:AssumeRole');
  });

  it('keeps cdk-nag at zero unacknowledged findings', () => {
    for (const { app: built, stack: builtStack } of [mixed, remoteOnly]) {
      expect(new AwsSolutionsChecks(built).validateScope(builtStack).violations.map((violation) => violation.ruleName)).toEqual([]);
    }
  });

  it('rejects a roleArn that is not an IAM role ARN, and an externalId without a role', () => {
    expect(() => defineConfig({ hostedZones: [{ name: 'a.example', roleArn: 'arn:aws:iam::222222222222:user/certflow' }] })).toThrow(/roleArn .* is not an IAM role ARN/);
    expect(() => defineConfig({ hostedZones: [{ name: 'a.example', roleArn: 'certflow-dns' }] })).toThrow(/is not an IAM role ARN/);
    expect(() => defineConfig({ hostedZones: [{ name: 'a.example', externalId: 'certflow' }] })).toThrow(/externalId needs a roleArn/);
    expect(defineConfig({ hostedZones: [{ name: 'a.example', roleArn: 'arn:aws-cn:iam::222222222222:role/dns/certflow-dns' }] }).hostedZones[0]!.roleArn).toBe(
      'arn:aws-cn:iam::222222222222:role/dns/certflow-dns',
    );
  });
});
