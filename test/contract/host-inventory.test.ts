/**
 * Host reports reach the inventory log group: the agent's EventBridgeReporter puts a "Certificate
 * Installed" (and the pipeline's publisher a "Certificate Renewed") on a bus carrying the stack's inventory rule, with the pattern, target ARN and Logs
 * resource policy taken from the synthesized template (tokens filled in for this account), and the
 * report is read back from the log group; the served check (check-served, ADR 0016) reads them there.
 *
 * As far as the emulator goes: it stores the Logs resource policy but does not enforce it (its
 * README), and it does not count FailedInvocations. What it does check is that the target ARN
 * names the log group (an ARN it cannot resolve delivers nothing). The policy's form is held to
 * AWS's documentation in test/infra/host-inventory.test.ts; after a real deploy, docs/how-to/deploy.md
 * has the smoke test that proves the whole path (scripts/smoke-host-inventory.sh), run here too.
 */
import { CloudWatchLogsClient, CreateLogGroupCommand, DeleteLogGroupCommand, DeleteResourcePolicyCommand, FilterLogEventsCommand, PutResourcePolicyCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateEventBusCommand, DeleteEventBusCommand, DeleteRuleCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand, RemoveTargetsCommand } from '@aws-sdk/client-eventbridge';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBridgeReporter } from '../../agent/reporters';
import { CloudWatchHostReports } from '../../domain/adapters/aws/host-reports';
import { SqsGroupQueues } from '../../domain/adapters/aws/group-queues';
import { hostQueueName, hostQueuePrefix } from '../../agent/fleet/host-queue-plan';
import { CreateQueueCommand, DeleteQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { EventBridgePublisher } from '../../domain/adapters/aws/eventbridge-events';
import { jsonLogger } from '../../domain/logging/logger';
import { STEPS } from '../../lambdas/catalogue';
import type { StepDeps } from '../../lambdas/deps';
import type { ServedCheckOutput } from '../../lambdas/handlers/check-served';
import { HostInventory } from '../../infra/host-inventory';
import { EMULATOR_ENVIRONMENT } from '../../local/aws-emulator';
import { aws, awsClientConfig, uniqueSuffix } from '../support/aws';

const run = uniqueSuffix();

const renewedDetail = (certificateId: string, version: string) => ({
  certificateId,
  version,
  location: `arn:aws:secretsmanager:us-east-1:123456789012:secret:certflow/certificates/${certificateId}-AbCdEf`,
  names: [`${certificateId}.example.com`],
  serialNumber: version === 'v1' ? '01' : '02',
  notBefore: '2026-01-01T00:00:00.000Z',
  notAfter: '2026-04-01T00:00:00.000Z',
  fingerprintSha256: 'ab'.repeat(32),
  keyType: 'ec-p256' as const,
  formats: ['pem' as const],
  executionId: `arn:aws:states:us-east-1:123456789012:execution:certflow-RenewCertificate:${version}`,
});

/** The inventory's rule and Logs policy as synthesized, with Ref/GetAtt left as `{Id}` / `{Id.Attr}`. */
function synthesized() {
  const stack = new Stack(new App(), 'Inventory');
  const inventory = new HostInventory(stack, 'HostInventory', { bus: new events.EventBus(stack, 'Bus', { eventBusName: 'certflow' }) });
  const template = Template.fromStack(stack);
  const id = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as never);
  const [rule] = Object.values(template.findResources('AWS::Events::Rule'));
  const [policy] = Object.values(template.findResources('AWS::Logs::ResourcePolicy'));
  return { rule: rule!.Properties, policy: policy!.Properties.PolicyDocument as unknown, ids: { rule: id(inventory.rule), logGroup: id(inventory.logGroup) } };
}

/** A template value as this account would see it deployed. */
function deployed(value: unknown, refs: Record<string, string>): string {
  if (typeof value === 'string') return value;
  const node = value as { 'Fn::Join'?: [string, unknown[]]; Ref?: string; 'Fn::GetAtt'?: [string, string] };
  if (node['Fn::Join']) return node['Fn::Join'][1].map((part) => deployed(part, refs)).join(node['Fn::Join'][0]);
  const key = node.Ref ?? node['Fn::GetAtt']?.join('.');
  if (key && refs[key] !== undefined) return refs[key];
  throw new Error(`no value for ${JSON.stringify(value)}`);
}

describe.skipIf(!aws.endpoint)(`host reports to the inventory log group, against ${aws.endpoint || `(skipped: ${aws.skipReason})`}`, () => {
  const eventBridge = new EventBridgeClient(awsClientConfig());
  const cloudWatchLogs = new CloudWatchLogsClient(awsClientConfig());
  const sqs = new SQSClient(awsClientConfig());
  const busName = `certflow-inventory-${run}`;
  const ruleName = `certflow-inventory-${run}`;
  const logGroupName = `certflow-inventory-${run}`;
  const policyName = `certflow-inventory-${run}`;
  const { rule, policy, ids } = synthesized();
  let targetArn = '';

  beforeAll(async () => {
    // The account is in the bus's ARN (arn:aws:events:<region>:<account>:event-bus/<name>).
    const { EventBusArn } = await eventBridge.send(new CreateEventBusCommand({ Name: busName }));
    const account = EventBusArn!.split(':')[4]!;
    const arn = (service: string, resource: string) => `arn:aws:${service}:${aws.region}:${account}:${resource}`;
    const refs: Record<string, string> = {
      'AWS::Partition': 'aws',
      'AWS::Region': aws.region,
      'AWS::AccountId': account,
      [ids.logGroup]: logGroupName,
      [`${ids.logGroup}.Arn`]: arn('logs', `log-group:${logGroupName}:*`),
      [`${ids.rule}.Arn`]: arn('events', `rule/${busName}/${ruleName}`),
    };
    await cloudWatchLogs.send(new CreateLogGroupCommand({ logGroupName }));
    await cloudWatchLogs.send(new PutResourcePolicyCommand({ policyName, policyDocument: deployed(policy, refs) }));
    await eventBridge.send(new PutRuleCommand({ Name: ruleName, EventBusName: busName, EventPattern: JSON.stringify(rule.EventPattern), State: 'ENABLED' }));
    targetArn = deployed(rule.Targets[0].Arn, refs);
    await eventBridge.send(new PutTargetsCommand({ Rule: ruleName, EventBusName: busName, Targets: [{ Id: rule.Targets[0].Id as string, Arn: targetArn }] }));
  });

  afterAll(async () => {
    await eventBridge.send(new RemoveTargetsCommand({ Rule: ruleName, EventBusName: busName, Ids: [rule.Targets[0].Id as string] })).catch(() => undefined);
    await eventBridge.send(new DeleteRuleCommand({ Name: ruleName, EventBusName: busName })).catch(() => undefined);
    await eventBridge.send(new DeleteEventBusCommand({ Name: busName })).catch(() => undefined);
    await cloudWatchLogs.send(new DeleteResourcePolicyCommand({ policyName })).catch(() => undefined);
    await cloudWatchLogs.send(new DeleteLogGroupCommand({ logGroupName })).catch(() => undefined);
  });

  it("targets the log group by its ARN without ':*' (the form CDK's CloudWatchLogGroup target writes)", () => {
    expect(targetArn).toMatch(new RegExp(`:log-group:${logGroupName}$`));
  });

  it("delivers an agent's Certificate Installed report as one line in the log group", async () => {
    const installed = { certificateId: 'broker-eu1', host: `mq-${run}`, version: 'v2', serialNumber: '0a', notBefore: '2026-01-01T00:00:00.000Z', notAfter: '2026-04-01T00:00:00.000Z', reloaded: true };
    await new EventBridgeReporter(eventBridge, busName).installed(installed);
    const { events: lines = [] } = await cloudWatchLogs.send(new FilterLogEventsCommand({ logGroupName, filterPattern: `"${installed.host}"` }));
    expect(lines).toHaveLength(1);
    const report = JSON.parse(lines[0]!.message!) as { source: string; 'detail-type': string; detail: unknown };
    expect(report).toMatchObject({ source: 'certflow', 'detail-type': 'Certificate Installed', detail: installed });
  });

  it("delivers the pipeline's Certificate Renewed (what the hosts should serve) and nothing else: Certificate Expiring stays out", async () => {
    const id = `renewed-${run}`;
    const publisher = new EventBridgePublisher(eventBridge, busName);
    await publisher.renewed(renewedDetail(id, 'v1'));
    await publisher.expiring({ certificateId: id, version: 'v1', serialNumber: '01', notAfter: '2026-04-01T00:00:00.000Z', daysToExpiry: 3, reason: 'not renewed yet' });
    const { events: lines = [] } = await cloudWatchLogs.send(new FilterLogEventsCommand({ logGroupName, filterPattern: `"${id}"` }));
    expect(lines.map((line) => (JSON.parse(line.message!) as { 'detail-type': string })['detail-type'])).toEqual(['Certificate Renewed']);
  });

  it('the served check reads them back: per group, the host silent since the renewal (the one serving it is not counted), until it leaves its group (its queue goes); UnservedHosts as EMF per group', async () => {
    const id = `served-${run}`;
    const group = `brokers-${run}`;
    const publisher = new EventBridgePublisher(eventBridge, busName);
    const reporter = new EventBridgeReporter(eventBridge, busName);
    const leaf = (version: string) => ({ certificateId: id, group, version, serialNumber: version === 'v1' ? '01' : '02', notBefore: '2026-01-01T00:00:00.000Z', notAfter: '2026-04-01T00:00:00.000Z', reloaded: true });
    // Each agent makes its queue in its group (ADR 0007): the group's roster.
    const queueUrls = new Map<string, string>();
    for (const host of ['mq-1', 'mq-2']) queueUrls.set(host, (await sqs.send(new CreateQueueCommand({ QueueName: hostQueueName(hostQueuePrefix(group), host) }))).QueueUrl!);
    await publisher.renewed(renewedDetail(id, 'v1'));
    await reporter.installed({ ...leaf('v1'), host: 'mq-1', served: true, endpoints: [{ endpoint: 'mq-1:61617', serialNumber: '01' }] });
    await reporter.installed({ ...leaf('v1'), host: 'mq-2', served: true, endpoints: [{ endpoint: 'mq-2:61617', serialNumber: '01' }] });
    await publisher.renewed(renewedDetail(id, 'v2'));
    await reporter.installed({ ...leaf('v2'), host: 'mq-1', served: true, endpoints: [{ endpoint: 'mq-1:61617', serialNumber: '02' }] });
    // mq-2 says nothing after the renewal.
    const lines: string[] = [];
    const log = jsonLogger((line) => lines.push(line));
    const deps = {
      settings: { servedCheck: { groups: [{ name: group, certificateIds: [id] }, { name: 'web', certificateIds: [`other-${run}`] }], graceMinutes: 10 } },
      log,
      hosts: new CloudWatchHostReports(cloudWatchLogs, logGroupName),
      queues: new SqsGroupQueues(sqs),
    } as unknown as StepDeps;
    const check = async (minutes: number) => (await STEPS['check-served'].invoke({}, { ...deps, now: () => new Date(Date.now() + minutes * 60_000) })) as ServedCheckOutput;
    expect(await check(9)).toEqual({ groups: [{ group, unserved: 0 }, { group: 'web', unserved: 0 }], hosts: [] });
    lines.length = 0;
    const after = await check(11);
    expect(after.groups).toEqual([{ group, unserved: 1 }, { group: 'web', unserved: 0 }]);
    expect(after.hosts).toEqual([{ group, certificateId: id, host: 'mq-2', reason: 'not installed', version: 'v2', announcedAt: expect.any(String) }]);
    // The EMF documents CloudWatch turns into the metric each group's NotServed alarm watches.
    const emf = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => '_aws' in line);
    expect(emf.map((doc) => [doc.Group, doc.UnservedHosts])).toEqual([[group, 1], ['web', 0]]);
    expect(emf[0]).toMatchObject({ _aws: { CloudWatchMetrics: [{ Namespace: 'certflow', Dimensions: [['Group']], Metrics: [{ Name: 'UnservedHosts', Unit: 'Count' }] }] } });
    // mq-2 was scaled in: `--leave` (or the peers' sweep) deleted its queue. Gone, not silent.
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrls.get('mq-2')! }));
    expect((await check(12)).groups).toEqual([{ group, unserved: 0 }, { group: 'web', unserved: 0 }]);
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrls.get('mq-1')! }));
  });

  // The README's smoke test, on the emulator: the AWS CLI and jq do the work, as after a real deploy.
  const hasTools = ['aws', 'jq'].every((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0);
  const smoke = (outputs: Record<string, string>) => {
    const file = path.join(os.tmpdir(), `cdk-outputs-${run}.json`);
    writeFileSync(file, JSON.stringify({ Certflow: outputs }));
    const env = { ...process.env, ...(aws.isEmulator ? EMULATOR_ENVIRONMENT : {}), AWS_ENDPOINT_URL: aws.endpoint, AWS_REGION: aws.region, AWS_DEFAULT_REGION: aws.region, CERTFLOW_SMOKE_WAIT_SECONDS: '0' };
    return spawnSync('sh', ['scripts/smoke-host-inventory.sh', file], { env, encoding: 'utf8' });
  };

  it.skipIf(!hasTools)('scripts/smoke-host-inventory.sh: an event in, its line in the log group, FailedInvocations 0', () => {
    const result = smoke({ EventBusName: busName, HostInventoryLogGroupName: logGroupName, HostInventoryRuleName: ruleName });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^event in: .*\nline out: .*\nFailedInvocations of .*: 0\n$/);
  });

  it.skipIf(!hasTools)('scripts/smoke-host-inventory.sh fails when the report does not arrive', async () => {
    const elsewhere = `certflow-elsewhere-${run}`;
    await cloudWatchLogs.send(new CreateLogGroupCommand({ logGroupName: elsewhere }));
    try {
      const result = smoke({ EventBusName: busName, HostInventoryLogGroupName: elsewhere, HostInventoryRuleName: ruleName });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`no line for smoke-test-`);
    } finally {
      await cloudWatchLogs.send(new DeleteLogGroupCommand({ logGroupName: elsewhere }));
    }
  });
});
