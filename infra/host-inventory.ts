/**
 * Which host serves which version, on AWS: a rule on the pipeline's bus sends the agents' reports
 * ("Certificate Installed", "Certificate Reload Failed") and the pipeline's announcements of what
 * they should serve ("Certificate Renewed", "Certificate Rolled Back") to a log group, and a Logs
 * Insights query (a dashboard widget) folds the reports into the latest install and the latest
 * failure per certificate and host. Locally the same fold is domain/core/host-inventory.ts over
 * events.jsonl. The served check (infra/served-check.ts) reads the same log group.
 *
 * Who may write: EventBridge delivers to CloudWatch Logs through the log group's resource policy,
 * never a role ("For Amazon CloudWatch Logs targets, do not specify a RoleArn", EventBridge User
 * Guide, "Using resource-based policies for Amazon EventBridge", section "CloudWatch Logs
 * permissions": https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-cloudwatchlogs-permissions).
 * The policy has the form AWS's own examples use (aws-samples/serverless-patterns
 * `eventbridge-cloudwatch/template.yaml`; CDK's targets.CloudWatchLogGroup): events.amazonaws.com may
 * logs:CreateLogStream in this log group unconditioned, and logs:PutLogEvents only for this rule
 * (aws:SourceArn is "the ARN of the rule that sent the event",
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/policy-keys-eventbridge.html; the
 * PutResourcePolicy API reference shows it on PutLogEvents). A stream with no events in it is all
 * another rule could make. The rule's target is the log group's ARN without the `:*` (its streams)
 * that its `Arn` attribute ends in, as CDK's target writes it.
 * It is written as an AWS::Logs::ResourcePolicy: CDK's targets.CloudWatchLogGroup would deploy a
 * custom-resource Lambda to do the same. An account has at most 10 such policies per Region.
 *
 * The log group is not KMS-encrypted, like the stack's other log groups: the reports carry only
 * public identifiers (host id, version id, serial), never key material.
 */
import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DETAIL_TYPES, EVENT_SOURCE, HOST_DETAIL_TYPES } from '../domain/contracts/events';
import { ungrantedTarget } from './subscriber';

export interface HostInventoryProps {
  /** The bus the agents publish their reports on (the pipeline's). */
  readonly bus: events.IEventBus;
  /** How long the reports are kept (default one year). */
  readonly retention?: logs.RetentionDays;
}

/** What the inventory rule matches: every host report on the bus, and what the hosts were told to serve. */
const INVENTORY_PATTERN: events.EventPattern = { source: [EVENT_SOURCE], detailType: [...HOST_DETAIL_TYPES, DETAIL_TYPES.renewed, DETAIL_TYPES.rolledBack] };

/**
 * Per certificate and host, the latest report of each kind: the install (version, serial, when)
 * and, if any, the latest failure (stage, version, error, rollback). Newest first: a host whose
 * failure row is newer than its install row keeps serving the installed version. `dedup` keeps the
 * first row of each (certificate, host, detail-type) in the sort order, so no aggregate has to skip
 * the other kind's empty fields.
 */
export const WHICH_HOST_SERVES_WHICH_VERSION = [
  'fields @timestamp as at, detail.certificateId as certificateId, detail.host as host, `detail-type` as report',
  'fields detail.version as version, detail.serialNumber as serial, detail.reloaded as reloaded, detail.served as served',
  'fields detail.stage as stage, detail.error as error, detail.rolledBackTo as rolledBackTo, detail.servedSerialNumber as servedInstead',
  `filter source = "${EVENT_SOURCE}" and report in [${HOST_DETAIL_TYPES.map((type) => `"${type}"`).join(', ')}]`,
  'sort @timestamp desc',
  'dedup certificateId, host, report',
  'display certificateId, host, report, version, serial, at, reloaded, served, stage, error, rolledBackTo, servedInstead',
  'limit 10000',
] as const;

/** A log group as an EventBridge target: `arn:…:log-group:<name>`, without the `:*` of its `Arn` attribute. */
const logGroupTargetArn = (logGroup: logs.ILogGroup): string =>
  Stack.of(logGroup).formatArn({ service: 'logs', resource: 'log-group', resourceName: logGroup.logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });

export class HostInventory extends Construct {
  readonly rule: events.Rule;
  readonly logGroup: logs.LogGroup;
  readonly widget: cloudwatch.LogQueryWidget;

  constructor(scope: Construct, id: string, props: HostInventoryProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Reports', {
      retention: props.retention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.rule = new events.Rule(this, 'Rule', {
      description: 'certflow: host reports (installed, reload failed) and renewals, rollbacks to the host inventory log group',
      eventBus: props.bus,
      eventPattern: INVENTORY_PATTERN,
      targets: [ungrantedTarget(logGroupTargetArn(this.logGroup))],
    });
    const eventBridge = new iam.ServicePrincipal('events.amazonaws.com');
    // The log group's ARN attribute ends in ':*': its log streams, which both actions act on.
    new logs.ResourcePolicy(this, 'RuleWrites', {
      policyStatements: [
        new iam.PolicyStatement({ sid: 'EventBridgeCreatesStreams', principals: [eventBridge], actions: ['logs:CreateLogStream'], resources: [this.logGroup.logGroupArn] }),
        new iam.PolicyStatement({
          sid: 'InventoryRuleWrites',
          principals: [eventBridge],
          actions: ['logs:PutLogEvents'],
          resources: [this.logGroup.logGroupArn],
          conditions: { ArnEquals: { 'aws:SourceArn': this.rule.ruleArn } },
        }),
      ],
    });
    this.widget = new cloudwatch.LogQueryWidget({
      title: 'Which host serves which version',
      logGroupNames: [this.logGroup.logGroupName],
      queryLines: [...WHICH_HOST_SERVES_WHICH_VERSION],
      view: cloudwatch.LogQueryVisualizationType.TABLE,
      width: 24,
      height: 8,
    });
  }
}
