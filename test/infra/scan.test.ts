/** The scheduled path as synthesized: schedule, scan state machine, watchdog. */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../bin/certflow';
import { defineConfig } from '../../infra/config';
import { synthesizeDefinitions, type LocalDefinitions } from '../../local/definition';

const config = defineConfig({
  hostedZones: [{ name: 'example.com', id: 'Z1EXAMPLE' }],
  certificates: [
    { id: 'broker-a', names: ['a.example.com'] },
    { id: 'broker-b', names: ['b.example.com', '*.b.example.com'], keyType: 'rsa-2048' },
  ],
  schedule: { scanIntervalHours: 3, maxConcurrentRenewals: 4 },
});

let template: Template;
let definitions: LocalDefinitions;

beforeAll(() => {
  const { stack } = buildApp(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), config);
  template = Template.fromStack(stack);
  definitions = synthesizeDefinitions();
});

describe('scheduled scan', () => {
  it('starts the scan state machine on the configured rate', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(3 hours)',
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('ScanCertificates') } })],
    });
  });

  it('renews through a Map of RenewCertificate.sync executions with bounded concurrency, catching each failure', () => {
    const { States, StartAt } = definitions.scan.definition;
    // A root rotation first (ADR 0013): its reissues lead the scan's requests; a rotation that cannot be read never stops the scan.
    expect(StartAt).toBe('AdvanceRotation');
    expect(States.AdvanceRotation).toMatchObject({ Next: 'ScanInventory', ResultPath: '$.rotation', Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.rotationFailure', Next: 'RotationUnread' }] });
    expect(States.RotationUnread).toMatchObject({ Type: 'Pass', ResultPath: '$.rotation', Next: 'ScanInventory' });
    expect(States.ScanInventory).toMatchObject({ Parameters: expect.objectContaining({ 'rotation.$': '$.rotation' }) });
    const map = States.RenewDue as { Type: string; MaxConcurrency: number; ItemsPath: string; ItemProcessor: { States: Record<string, Record<string, unknown>> } };
    expect(map).toMatchObject({ Type: 'Map', MaxConcurrency: 10, ItemsPath: '$.scan.requests' });
    const renew = map.ItemProcessor.States.RenewCertificate!;
    expect(renew.Resource).toBe('arn:aws:states:::states:startExecution.sync:2');
    expect(renew.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'RenewalFailed' }]);
    // A private issuance (request issuer privateCa) runs under a name the order ledger leaves out of the ACME budget.
    const item = map.ItemProcessor.States;
    expect(item['OrderBudget?']).toMatchObject({ Type: 'Choice', Default: 'RenewCertificate', Choices: [expect.objectContaining({ Next: 'RenewPrivateCertificate' })] });
    expect(JSON.stringify(item['OrderBudget?']!.Choices)).toContain('"Variable":"$.issuer","StringEquals":"privateCa"');
    const renewPrivate = item.RenewPrivateCertificate!;
    expect(renewPrivate).toMatchObject({ Resource: renew.Resource, Catch: renew.Catch });
    expect((renewPrivate.Parameters as Record<string, unknown>)['Name.$']).toBe("States.Format('privateCa-{}', States.UUID())");
    expect((renew.Parameters as Record<string, unknown>)['Name.$']).toBeUndefined();
    // The stack built from this config: concurrency as configured.
    const machines = template.findResources('AWS::StepFunctions::StateMachine', { Properties: { StateMachineName: 'certflow-ScanCertificates' } });
    expect(JSON.stringify(Object.values(machines)[0])).toContain('\\"MaxConcurrency\\":4');
  });

  it('gives the scan function its settings and the RenewCertificate ARN (the inventory is compiled in, see cdk-synth.test)', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    const scan = Object.values(functions).find((fn) => fn.Properties.Environment.Variables.CERTFLOW_STEP === 'scan-inventory')!;
    expect(JSON.parse(scan.Properties.Environment.Variables.CERTFLOW_SCAN)).toEqual({
      intervalHours: 3,
      budget: { windowHours: 3, maxOrders: 300 },
      expiringDays: 7,
    });
    expect(scan.Properties.Environment.Variables.CERTFLOW_RENEW_STATE_MACHINE_ARN).toEqual({ Ref: expect.stringMatching(/^RenewCertificate/) });
  });
});

describe('watchdog', () => {
  it('alarms on failed renewals and revocations, a failed or silent scan, and each declared certificate close to expiry, to one encrypted topic', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    const perCertificate = alarms.filter((alarm) => alarm.Properties.MetricName === 'DaysToExpiry');
    expect(perCertificate.map((alarm) => alarm.Properties.Dimensions[0].Value).sort()).toEqual(['broker-a', 'broker-b']);
    expect(perCertificate[0]!.Properties).toMatchObject({ Namespace: 'certflow', Threshold: 7, ComparisonOperator: 'LessThanThreshold' });
    expect(alarms.find((alarm) => alarm.Properties.MetricName === 'MinDaysToExpiry')!.Properties.TreatMissingData).toBe('breaching');
    expect(alarms.filter((alarm) => alarm.Properties.MetricName === 'ExecutionsFailed')).toHaveLength(4); // RenewCertificate, ScanCertificates, RevokeCertificate, CheckServed
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/Alarms/) }]);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('sends alarms to the topic the config names instead, when it names one', () => {
    const topicArn = 'arn:aws:sns:eu-west-1:111122223333:pki-oncall';
    const { stack } = buildApp(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), { ...config, schedule: { ...config.schedule, alarmTopicArn: topicArn } });
    const named = Template.fromStack(stack);
    named.resourceCountIs('AWS::SNS::Topic', 0);
    for (const alarm of Object.values(named.findResources('AWS::CloudWatch::Alarm'))) expect(alarm.Properties.AlarmActions).toEqual([topicArn]);
  });
});
