/** Alarm delivery as synthesized: CloudWatch may use the alarm topic's key and publish to it; the secrets key stays out of it. */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../bin/certflow';
import { defineConfig } from '../../infra/config';
import { ALARMING_REASONS, NOT_SERVED_GRACE_MS, unservedByGroup } from '../../domain/core/host-inventory';
import { UNSERVED_HOSTS_METRIC } from '../../lambdas/handlers/check-served';

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
    expect(alarms).toHaveLength(6); // RenewalFailed, RevocationFailed, ScanFailed, FleetExpiring, Expiring-broker-a, CheckServedFailed (no host group: no NotServed)
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
    expect(alarms).toHaveLength(4); // RenewCertificate, ScanCertificates, RevokeCertificate, CheckServed
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

describe('renewed but not served, per host group (ADR 0016)', () => {
  // CloudWatch alarms are not in the emulator: the template is checked (the check's counts and EMF
  // against the emulator's log group: test/contract/host-inventory.test.ts). A Metrics Insights WHERE
  // takes `=` and `!=` only (CloudWatch User Guide, "Metrics Insights query components and syntax"):
  // an alarm on a LIKE over the hosts' queue names is refused when the stack creates it, so none may use one.
  const grouped = defineConfig({
    hostedZones: [{ name: 'example.com', id: 'Z1EXAMPLE' }],
    subscribers: [{ name: 'brokers', certificateIds: ['broker-a'] }, { name: 'web', certificateIds: ['broker-a'] }],
    certificates: [{ id: 'broker-a', names: ['a.example.com'] }],
    schedule: { notServedAfterMinutes: 20 },
  });
  const withGroups = Template.fromStack(buildApp(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), grouped).stack);
  const alarmsOf = (stackTemplate: Template) => Object.values(stackTemplate.findResources('AWS::CloudWatch::Alarm'));

  it('no alarm uses a Metrics Insights operator CloudWatch refuses (LIKE, wildcards)', () => {
    const expressions = alarmsOf(withGroups).flatMap((alarm) => (alarm.Properties.Metrics ?? []).flatMap((metric: { Expression?: string }) => metric.Expression ?? []));
    for (const expression of expressions) expect(expression).not.toMatch(/\bLIKE\b|%/i);
    // The fleet's six, and each group's dead letters and NotServed.
    expect(alarmsOf(withGroups)).toHaveLength(6 + 2 + 2);
  });

  it.each(['brokers', 'web'])('group %s: NotServed on the Maximum of UnservedHosts{Group} over 10 minutes (the check writes it every 5), ≥ 1, a gap keeps the state', (group) => {
    const [alarm, ...others] = alarmsOf(withGroups).filter((candidate) => candidate.Properties.MetricName === UNSERVED_HOSTS_METRIC.name && JSON.stringify(candidate.Properties.Dimensions).includes(`"${group}"`));
    expect(others).toEqual([]);
    expect(alarm!.Properties).toMatchObject({
      Namespace: 'certflow',
      Dimensions: [{ Name: UNSERVED_HOSTS_METRIC.dimension, Value: group }],
      Statistic: 'Maximum',
      Period: 600,
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'ignore',
    });
    expect(alarm!.Properties.AlarmDescription).toContain(`group ${group}`);
    expect(alarm!.Properties.AlarmDescription).toContain('20 min after the renewal');
    expect(alarm!.Properties.AlarmActions).toHaveLength(1);
  });

  it('runs CheckServed every 5 minutes: a schedule on the one-task machine, its step reading the inventory log group only', () => {
    const machines = withGroups.findResources('AWS::StepFunctions::StateMachine');
    const [machineId] = Object.entries(machines).find(([, machine]) => machine.Properties.StateMachineName === 'certflow-CheckServed')!;
    withGroups.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)', Targets: [Match.objectLike({ Arn: { Ref: machineId } })] });
    const functions = withGroups.findResources('AWS::Lambda::Function');
    const [, checkServed] = Object.entries(functions).find(([, fn]) => fn.Properties.Environment?.Variables?.CERTFLOW_STEP === 'check-served')!;
    const inventoryLogGroup = Object.keys(withGroups.findResources('AWS::Logs::LogGroup')).find((id) => id.startsWith('HostInventory'))!;
    expect(checkServed.Properties.Environment.Variables.CERTFLOW_HOST_INVENTORY_LOG_GROUP).toEqual({ Ref: inventoryLogGroup });
  });

  it('the check counts a silent host after the grace, and hosts that failed; one that installed without --verify-tls is named but not counted', () => {
    const reports = [
      { time: '2026-03-01T11:00:00Z', source: 'certflow', 'detail-type': 'Certificate Renewed', detail: { certificateId: 'broker-a', version: '1' } },
      { time: '2026-03-01T11:00:01Z', source: 'certflow', 'detail-type': 'Certificate Installed', detail: installed('amq-1', '1') },
      { time: '2026-03-01T11:00:01Z', source: 'certflow', 'detail-type': 'Certificate Installed', detail: installed('amq-2', '1') },
      { time: '2026-03-01T11:00:01Z', source: 'certflow', 'detail-type': 'Certificate Installed', detail: installed('amq-3', '1') },
      // The renewal at 12:00: amq-1 installs and serves it, amq-3 installs it without checking, amq-2 says nothing at all.
      { time: '2026-03-01T12:00:00Z', source: 'certflow', 'detail-type': 'Certificate Renewed', detail: { certificateId: 'broker-a', version: '2' } },
      { time: '2026-03-01T12:00:05Z', source: 'certflow', 'detail-type': 'Certificate Installed', detail: installed('amq-1', '2') },
      { time: '2026-03-01T12:00:06Z', source: 'certflow', 'detail-type': 'Certificate Installed', detail: { ...installed('amq-3', '2'), served: 'unknown', endpoints: undefined } },
    ];
    const groups = [{ name: 'brokers', certificateIds: ['broker-a'] }];
    const at = (time: string) => unservedByGroup(reports, groups, { now: new Date(time), graceMs: NOT_SERVED_GRACE_MS }).get('brokers')!;
    expect(at('2026-03-01T12:09:59Z')).toEqual([]);
    const after = at('2026-03-01T12:10:00Z');
    expect(after.map(({ host, reason }) => [host, reason])).toEqual([['amq-2', 'not installed'], ['amq-3', 'served unknown']]);
    expect(after.filter((entry) => ALARMING_REASONS.includes(entry.reason)).map((entry) => entry.host)).toEqual(['amq-2']);
  });
});

function installed(host: string, version: string) {
  const serial = `0${version}`;
  return { certificateId: 'broker-a', host, version, serialNumber: serial, notBefore: '2026-01-01T00:00:00Z', notAfter: '2026-06-01T00:00:00Z', reloaded: true, served: true, endpoints: [{ endpoint: `${host}:61617`, serialNumber: serial }] };
}
