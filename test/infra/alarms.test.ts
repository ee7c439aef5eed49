/** Alarm delivery as synthesized: CloudWatch may use the alarm topic's key and publish to it; the secrets key stays out of it. */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../bin/certflow';
import { defineConfig } from '../../infra/config';
import { hostInventory, NOT_SERVED_GRACE_MS, notServed } from '../../domain/core/host-inventory';

type Statement = { Effect: string; Principal?: unknown; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> };

const config = defineConfig({
  hostedZones: [{ name: 'example.com', id: 'Z1EXAMPLE' }],
  certificates: [{ id: 'broker-a', names: ['a.example.com'] }],
});

let template: Template;

beforeAll(() => {
  template = Template.fromStack(buildApp(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), config).stack);
});

/** Fn::Join and Ref as text: `arn:${AWS::Partition}:…`. */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  const node = value as { 'Fn::Join'?: [string, unknown[]]; Ref?: string };
  if (node['Fn::Join']) return node['Fn::Join'][1].map(text).join(node['Fn::Join'][0]);
  if (node.Ref) return `\${${node.Ref}}`;
  throw new Error(`unexpected ${JSON.stringify(value)}`);
}

const FROM_OWN_ALARMS = {
  StringEquals: { 'aws:SourceAccount': '${AWS::AccountId}' },
  ArnLike: { 'aws:SourceArn': 'arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*' },
};

const byCloudWatch = (statement: Statement) => JSON.stringify(statement.Principal) === JSON.stringify({ Service: 'cloudwatch.amazonaws.com' });
const actionsOf = (statement: Statement) => [statement.Action].flat().sort();
const conditionsAsText = (statement: Statement) =>
  Object.fromEntries(Object.entries(statement.Condition ?? {}).map(([op, keys]) => [op, Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, text(v)]))]));

function alarmTopic() {
  const topics = Object.entries(template.findResources('AWS::SNS::Topic'));
  expect(topics).toHaveLength(1);
  return topics[0]!;
}

function keyOf(arn: { 'Fn::GetAtt': [string, string] }) {
  const logicalId = arn['Fn::GetAtt'][0];
  return [logicalId, template.findResources('AWS::KMS::Key')[logicalId]!] as const;
}

describe('alarm topic created by the stack', () => {
  it("is encrypted with a rotated key whose policy lets this account's CloudWatch alarms use it (kms:Decrypt, kms:GenerateDataKey*)", () => {
    const [, key] = keyOf(alarmTopic()[1].Properties.KmsMasterKeyId);
    expect(key.Properties.EnableKeyRotation).toBe(true);
    const grants = (key.Properties.KeyPolicy.Statement as Statement[]).filter(byCloudWatch);
    expect(grants).toHaveLength(1);
    expect(grants[0]!.Effect).toBe('Allow');
    expect(actionsOf(grants[0]!)).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    expect(conditionsAsText(grants[0]!)).toEqual(FROM_OWN_ALARMS);
  });

  it('has a key of its own: the key protecting secrets never names CloudWatch', () => {
    const [topicKeyId] = keyOf(alarmTopic()[1].Properties.KmsMasterKeyId);
    const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0]!;
    const [secretsKeyId, secretsKey] = keyOf(fn.Properties.Environment.Variables.CERTFLOW_KMS_KEY_ID);
    expect(topicKeyId).not.toBe(secretsKeyId);
    expect(JSON.stringify(secretsKey.Properties.KeyPolicy)).not.toContain('cloudwatch');
  });

  it("lets only this account's CloudWatch alarms publish (sns:Publish), and denies any request without TLS", () => {
    const [topicId] = alarmTopic();
    const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy'));
    expect(policies).toHaveLength(1);
    expect(policies[0]!.Properties.Topics).toEqual([{ Ref: topicId }]);
    const statements = policies[0]!.Properties.PolicyDocument.Statement as Statement[];
    const publish = statements.filter(byCloudWatch);
    expect(publish).toHaveLength(1);
    expect(publish[0]).toMatchObject({ Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: topicId } });
    expect(conditionsAsText(publish[0]!)).toEqual(FROM_OWN_ALARMS);
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
  });

  it('is the action of every alarm', () => {
    const [topicId] = alarmTopic();
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(6); // RenewalFailed, RevocationFailed, ScanFailed, FleetExpiring, Expiring-broker-a, NotServed (host inventory)
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
  });
});

describe('alarms on the state machines', () => {
  it('a failed RevokeCertificate execution alarms within 5 minutes (ExecutionsFailed of certflow-RevokeCertificate, Sum ≥ 1)', () => {
    const machines = template.findResources('AWS::StepFunctions::StateMachine');
    const revokeId = Object.entries(machines).find(([, machine]) => machine.Properties.StateMachineName === 'certflow-RevokeCertificate')![0];
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((alarm) => alarm.Properties.MetricName === 'ExecutionsFailed');
    const revocation = alarms.filter((alarm) => JSON.stringify(alarm.Properties.Dimensions).includes(revokeId));
    expect(revocation).toHaveLength(1);
    expect(revocation[0]!.Properties).toMatchObject({
      Namespace: 'AWS/States',
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(revocation[0]!.Properties.AlarmDescription).toContain('Certificate Revocation Failed');
    expect(alarms).toHaveLength(3); // RenewCertificate, ScanCertificates, RevokeCertificate
  });
});

describe('alarm topic named by the config', () => {
  it('is used as is: no topic, topic policy or key is created for it (its owner grants CloudWatch the same)', () => {
    const topicArn = 'arn:aws:sns:eu-west-1:111122223333:pki-oncall';
    const { stack } = buildApp(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), { ...config, schedule: { ...config.schedule, alarmTopicArn: topicArn } });
    const named = Template.fromStack(stack);
    named.resourceCountIs('AWS::SNS::Topic', 0);
    named.resourceCountIs('AWS::SNS::TopicPolicy', 0);
    named.resourceCountIs('AWS::KMS::Key', 1);
    for (const alarm of Object.values(named.findResources('AWS::CloudWatch::Alarm'))) expect(alarm.Properties.AlarmActions).toEqual([topicArn]);
  });
});

describe('renewed but not served, per host group', () => {
  // CloudWatch alarms are not in the emulator: the template is checked. A Metrics Insights WHERE takes
  // `=` and `!=` only (CloudWatch User Guide, "Metrics Insights query components and syntax"): an alarm
  // on a LIKE over the hosts' queue names is refused when the stack creates it, so none may use one.
  const grouped = defineConfig({
    hostedZones: [{ name: 'example.com', id: 'Z1EXAMPLE' }],
    subscribers: [{ name: 'brokers', certificateIds: ['broker-a'] }, { name: 'web', certificateIds: ['broker-a'] }],
    certificates: [{ id: 'broker-a', names: ['a.example.com'] }],
  });
  const alarmsOf = (stackTemplate: Template) => Object.values(stackTemplate.findResources('AWS::CloudWatch::Alarm'));

  it('no alarm of the groups uses a Metrics Insights operator CloudWatch refuses (LIKE, wildcards)', () => {
    const withGroups = Template.fromStack(buildApp(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), grouped).stack);
    const expressions = alarmsOf(withGroups).flatMap((alarm) => (alarm.Properties.Metrics ?? []).flatMap((metric: { Expression?: string }) => metric.Expression ?? []));
    for (const expression of expressions) expect(expression).not.toMatch(/\bLIKE\b|%/i);
    // The fleet's six, and each group's dead letters.
    expect(alarmsOf(withGroups)).toHaveLength(6 + 2);
  });

  it('names a silent host in status (no alarm on AWS yet: see docs/agent.md): after the grace, a host whose last report predates the renewal is named', () => {
    const reports = [
      { time: '2026-03-01T11:00:00Z', source: 'certflow', 'detail-type': 'Certificate Installed', detail: { certificateId: 'broker-a', host: 'amq-1', version: '1', serialNumber: '01', notBefore: '2026-01-01T00:00:00Z', notAfter: '2026-04-01T00:00:00Z', reloaded: true, served: true, endpoints: [{ endpoint: '127.0.0.1:61617', serialNumber: '01' }] } },
      { time: '2026-03-01T11:00:01Z', source: 'certflow', 'detail-type': 'Certificate Installed', detail: { certificateId: 'broker-a', host: 'amq-2', version: '1', serialNumber: '01', notBefore: '2026-01-01T00:00:00Z', notAfter: '2026-04-01T00:00:00Z', reloaded: true, served: true, endpoints: [{ endpoint: '127.0.0.1:61617', serialNumber: '01' }] } },
      // The renewal at 12:00; amq-1 installs and serves it, amq-2 says nothing at all.
      { time: '2026-03-01T12:00:05Z', source: 'certflow', 'detail-type': 'Certificate Installed', detail: { certificateId: 'broker-a', host: 'amq-1', version: '2', serialNumber: '02', notBefore: '2026-03-01T00:00:00Z', notAfter: '2026-06-01T00:00:00Z', reloaded: true, served: true, endpoints: [{ endpoint: '127.0.0.1:61617', serialNumber: '02' }] } },
    ];
    const states = hostInventory(reports);
    expect(states.map((state) => [state.host, state.installed?.version])).toEqual([['amq-1', '2'], ['amq-2', '1']]);
    const at = (time: string) => ({ currentVersion: '2', renewedAt: '2026-03-01T12:00:00Z', now: new Date(time), graceMs: NOT_SERVED_GRACE_MS });
    expect(notServed(states, at('2026-03-01T12:09:59Z'))).toEqual([]);
    expect(notServed(states, at('2026-03-01T12:10:00Z'))).toEqual([{ host: 'amq-2', reason: 'not installed' }]);
  });
});
