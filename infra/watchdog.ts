/**
 * Watching renewals: days-to-expiry metrics (written by the scan as embedded metric format),
 * alarms for certificates close to expiry, for failed renewals and revocations and for a scan
 * that stopped reporting, all to one SNS topic; and a dashboard.
 */
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export interface WatchdogProps {
  readonly renewCertificate: sfn.IStateMachine;
  readonly scanCertificates: sfn.IStateMachine;
  readonly revokeCertificate: sfn.IStateMachine;
  readonly certificateIds: readonly string[];
  readonly expiringDays: number;
  readonly scanIntervalHours: number;
  /**
   * An existing topic; otherwise the stack creates an encrypted one. The stack cannot change an
   * existing topic: its policy must allow `cloudwatch.amazonaws.com` `sns:Publish`, and if it is
   * encrypted with a customer-managed KMS key, that key's policy must allow `cloudwatch.amazonaws.com`
   * `kms:Decrypt` and `kms:GenerateDataKey*` (the AWS managed key `alias/aws/sns` cannot). Otherwise
   * alarm notifications are dropped without an error.
   */
  readonly alarmTopicArn?: string;
}

/** An alarm on any failed execution of `machine` within `period` (ExecutionsFailed, Sum ≥ 1; no executions is fine). */
export function failedExecutions(scope: Construct, id: string, machine: sfn.IStateMachine, period: Duration, description: string): cloudwatch.Alarm {
  return new cloudwatch.Alarm(scope, id, {
    alarmDescription: description,
    metric: machine.metricFailed({ period, statistic: 'Sum' }),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
}

const metric = (name: string, dimensions: Record<string, string> = {}, period = Duration.hours(1)) =>
  new cloudwatch.Metric({ namespace: 'certflow', metricName: name, dimensionsMap: dimensions, statistic: 'Minimum', period });

/** `certflow-<region>` (a token until deployment for an environment-agnostic stack). */
const dashboardName = (stack: Stack): string => `certflow-${stack.region}`;

export class Watchdog extends Construct {
  readonly topic: sns.ITopic;
  /** The `certflow-<region>` dashboard (the stack adds the host inventory's widget). */
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: WatchdogProps) {
    super(scope, id);
    this.topic = props.alarmTopicArn ? sns.Topic.fromTopicArn(this, 'Alarms', props.alarmTopicArn) : this.createTopic();
    const notify = new actions.SnsAction(this.topic);
    const scanPeriod = Duration.hours(props.scanIntervalHours);

    const alarms = [
      failedExecutions(this, 'RenewalFailed', props.renewCertificate, Duration.hours(1), 'A RenewCertificate execution failed (see its "Certificate Renewal Failed" event); the previous certificate stays current.'),
      // Mid key-compromise, a failed revocation means the compromised certificate is still valid
      // (or, with --reissue, the hosts still serve it): that must not wait for someone to look.
      failedExecutions(
        this,
        'RevocationFailed',
        props.revokeCertificate,
        Duration.minutes(5),
        'A RevokeCertificate execution failed (see its "Certificate Revocation Failed" event, or ReissueFailed): the certificate may still be valid, or no new one replaced it. Run certflow revoke again; it completes what is left.',
      ),
      failedExecutions(this, 'ScanFailed', props.scanCertificates, scanPeriod, 'The scheduled scan failed: nothing is being renewed on schedule.'),
      new cloudwatch.Alarm(this, 'FleetExpiring', {
        alarmDescription: `Some certificate is within ${props.expiringDays} days of expiry, or the scan stopped reporting.`,
        metric: metric('MinDaysToExpiry', {}, scanPeriod),
        threshold: props.expiringDays,
        evaluationPeriods: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        // No data for two scan periods means no scan: that is an alarm too.
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      }),
      ...props.certificateIds.map(
        (certificateId) =>
          new cloudwatch.Alarm(this, `Expiring-${certificateId}`, {
            alarmDescription: `${certificateId} is within ${props.expiringDays} days of expiry and not renewed.`,
            metric: metric('DaysToExpiry', { CertificateId: certificateId }, scanPeriod),
            threshold: props.expiringDays,
            evaluationPeriods: 1,
            comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          }),
      ),
    ];
    for (const alarm of alarms) alarm.addAlarmAction(notify);

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      // Dashboard names are global per account (unlike the alarms): the region keeps each region's stack its own.
      dashboardName: dashboardName(Stack.of(this)),
      widgets: [
        [
          new cloudwatch.GraphWidget({ title: 'Fewest days to expiry', left: [metric('MinDaysToExpiry', {}, scanPeriod)], width: 12 }),
          new cloudwatch.GraphWidget({
            title: 'Renewals',
            left: [props.renewCertificate.metricSucceeded({ statistic: 'Sum' }), props.renewCertificate.metricFailed({ statistic: 'Sum' })],
            width: 12,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Scan: due, started, deferred',
            left: ['DueCertificates', 'StartedRenewals', 'DeferredRenewals'].map((name) => new cloudwatch.Metric({ namespace: 'certflow', metricName: name, statistic: 'Maximum', period: scanPeriod })),
            width: 12,
          }),
          new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms, width: 12 }),
        ],
      ],
    });
  }

  /**
   * CloudWatch publishes to an encrypted topic only if the topic policy lets it publish and the key
   * policy lets it use the key (kms:Decrypt, kms:GenerateDataKey*), see
   * https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
   * and https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html.
   * The topic gets a key of its own, so the key protecting private keys never names CloudWatch.
   * Both grants hold only for alarms of this account (aws:SourceAccount, aws:SourceArn: confused
   * deputy); no kms:ViaService, which is not documented for this path.
   */
  private createTopic(): sns.Topic {
    const stack = Stack.of(this);
    const alarms = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    const fromOwnAlarms = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
    };
    const key = new kms.Key(this, 'AlarmsKey', {
      description: 'certflow: encrypts the alarm topic',
      enableKeyRotation: true,
      // Only messages in flight depend on it.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({ sid: 'CloudWatchAlarms', principals: [alarms], actions: ['kms:Decrypt', 'kms:GenerateDataKey*'], resources: ['*'], conditions: fromOwnAlarms }),
    );
    const topic = new sns.Topic(this, 'Alarms', { displayName: 'certflow alarms', masterKey: key, enforceSSL: true });
    topic.addToResourcePolicy(
      new iam.PolicyStatement({ sid: 'CloudWatchAlarms', principals: [alarms], actions: ['sns:Publish'], resources: [topic.topicArn], conditions: fromOwnAlarms }),
    );
    return topic;
  }
}
