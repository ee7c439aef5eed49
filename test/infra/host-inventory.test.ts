/**
 * HostInventory as synthesized: the rule that sends the agents' reports to a log group, the log
 * group's resource policy (only that rule may write), the dashboard's "Which host serves which
 * version" query, cdk-nag; and the wiring in the certflow stack.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../bin/certflow';
import { defineConfig } from '../../infra/config';
import { HostInventory, WHICH_HOST_SERVES_WHICH_VERSION } from '../../infra/host-inventory';

/** A CloudFormation value as text: Fn::Join joined, Ref and Fn::GetAtt as `${Id}` and `${Id.Attr}`. */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  const node = value as { 'Fn::Join'?: [string, unknown[]]; Ref?: string; 'Fn::GetAtt'?: [string, string] };
  if (node['Fn::Join']) return node['Fn::Join'][1].map(text).join(node['Fn::Join'][0]);
  if (node.Ref) return `\${${node.Ref}}`;
  if (node['Fn::GetAtt']) return `\${${node['Fn::GetAtt'].join('.')}}`;
  throw new Error(`unexpected ${JSON.stringify(value)}`);
}

function build() {
  const app = new App();
  const stack = new Stack(app, 'Inventory', { env: { account: '111122223333', region: 'eu-west-1' } });
  const bus = new events.EventBus(stack, 'Bus', { eventBusName: 'certflow' });
  const inventory = new HostInventory(stack, 'HostInventory', { bus });
  const id = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as never);
  return { app, stack, inventory, template: Template.fromStack(stack), ruleId: id(inventory.rule), logGroupId: id(inventory.logGroup) };
}

let built: ReturnType<typeof build>;
beforeAll(() => {
  built = build();
});

describe('HostInventory', () => {
  it('routes every host report on the bus and the renewals and rollbacks they follow, nothing else, to the log group, with no role and no custom resource', () => {
    const { template, logGroupId } = built;
    template.resourceCountIs('AWS::Events::Rule', 1);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: Match.stringLikeRegexp('^Bus') },
      EventPattern: { source: ['certflow'], 'detail-type': ['Certificate Installed', 'Certificate Reload Failed', 'Certificate Renewed', 'Certificate Rolled Back'] },
      State: 'ENABLED',
    });
    const [rule] = Object.values(template.findResources('AWS::Events::Rule'));
    // The log group's ARN without the ':*' its Arn attribute ends in, as CDK's targets.CloudWatchLogGroup writes it.
    expect(rule!.Properties.Targets).toEqual([{ Arn: expect.anything(), Id: expect.any(String) }]);
    expect(text(rule!.Properties.Targets[0].Arn)).toBe(`arn:\${AWS::Partition}:logs:eu-west-1:111122223333:log-group:\${${logGroupId}}`);
    // "For Amazon CloudWatch Logs targets, do not specify a RoleArn" (EventBridge User Guide).
    expect(rule!.Properties.Targets[0].RoleArn).toBeUndefined();
    template.resourceCountIs('AWS::Lambda::Function', 0);
    template.resourceCountIs('AWS::IAM::Role', 0);
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
  });

  it('lets only this rule write: events.amazonaws.com CreateLogStream in this log group, PutLogEvents only with aws:SourceArn = the rule', () => {
    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-cloudwatchlogs-permissions;
    // the form of aws-samples/serverless-patterns eventbridge-cloudwatch/template.yaml and CDK's CloudWatchLogGroup target.
    const { template, ruleId, logGroupId } = built;
    const policies = Object.values(template.findResources('AWS::Logs::ResourcePolicy'));
    expect(policies).toHaveLength(1);
    const document = JSON.parse(text(policies[0]!.Properties.PolicyDocument)) as { Statement: unknown[] };
    expect(document.Statement).toEqual([
      { Sid: 'EventBridgeCreatesStreams', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'logs:CreateLogStream', Resource: `\${${logGroupId}.Arn}` },
      {
        Sid: 'InventoryRuleWrites',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'logs:PutLogEvents',
        Resource: `\${${logGroupId}.Arn}`,
        Condition: { ArnEquals: { 'aws:SourceArn': `\${${ruleId}.Arn}` } },
      },
    ]);
  });

  it('queries, per certificate and host, the latest install (version, serial, time) and the latest failure', () => {
    const widget = built.stack.resolve(built.inventory.widget.toJson()[0]) as { type: string; properties: { title: string; query: string; view: string } };
    expect(widget).toMatchObject({ type: 'log', properties: { title: 'Which host serves which version', view: 'table' } });
    expect(text(widget.properties.query)).toBe(
      [
        `SOURCE '\${${built.logGroupId}}' | fields @timestamp as at, detail.certificateId as certificateId, detail.host as host, \`detail-type\` as report`,
        'fields detail.version as version, detail.serialNumber as serial, detail.reloaded as reloaded, detail.served as served',
        'fields detail.stage as stage, detail.error as error, detail.rolledBackTo as rolledBackTo, detail.servedSerialNumber as servedInstead',
        'filter source = "certflow" and report in ["Certificate Installed", "Certificate Reload Failed"]',
        'sort @timestamp desc',
        'dedup certificateId, host, report',
        'display certificateId, host, report, version, serial, at, reloaded, served, stage, error, rolledBackTo, servedInstead',
        'limit 10000',
      ].join('\n| '),
    );
    expect(WHICH_HOST_SERVES_WHICH_VERSION).toHaveLength(8);
  });

  it('has zero cdk-nag AwsSolutions findings', () => {
    const report = new AwsSolutionsChecks(built.app).validateScope(built.stack);
    expect(report.violations.map((violation) => `${violation.ruleName} ${JSON.stringify(violation.violatingResources)}`)).toEqual([]);
  });
});

describe('the certflow stack', () => {
  it('puts the inventory widget on the certflow dashboard, over the inventory log group', () => {
    const config = defineConfig({ hostedZones: [{ name: 'example.com', id: 'Z1EXAMPLE' }], certificates: [{ id: 'broker-a', names: ['a.example.com'] }] });
    const template = Template.fromStack(buildApp(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), config).stack);
    const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    const body = JSON.parse(text(dashboards[0]!.Properties.DashboardBody)) as { widgets: { type: string; properties: { title?: string; query?: string } }[] };
    const widget = body.widgets.find((candidate) => candidate.properties.title === 'Which host serves which version');
    const [logGroupId] = Object.keys(template.findResources('AWS::Logs::LogGroup')).filter((id) => id.startsWith('HostInventory'));
    expect(widget).toMatchObject({ type: 'log' });
    expect(widget!.properties.query).toContain(`SOURCE '\${${logGroupId}}'`);
    expect(widget!.properties.query).toContain('dedup certificateId, host, report');
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: { source: ['certflow'], 'detail-type': ['Certificate Installed', 'Certificate Reload Failed', 'Certificate Renewed', 'Certificate Rolled Back'] } });
    expect(Object.keys(template.findResources('AWS::Logs::ResourcePolicy')).filter((id) => id.startsWith('HostInventory'))).toHaveLength(1);
  });
});
