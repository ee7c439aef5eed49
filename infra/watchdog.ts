/**
 * Watching renewals: days-to-expiry metrics (written by the scan as embedded metric format),
 * alarms for certificates close to expiry, for failed renewals and for a scan that stopped
 * reporting, all to one SNS topic; and a dashboard.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export interface WatchdogProps {
  readonly renewCertificate: sfn.IStateMachine;
  readonly scanCertificates: sfn.IStateMachine;
  readonly certificateIds: readonly string[];
  readonly expiringDays: number;
  readonly scanIntervalHours: number;
  /** An existing topic; otherwise the stack creates an encrypted one. */
  readonly alarmTopicArn?: string;
  readonly key: kms.IKey;
}

const metric = (name: string, dimensions: Record<string, string> = {}, period = Duration.hours(1)) =>
  new cloudwatch.Metric({ namespace: 'certflow', metricName: name, dimensionsMap: dimensions, statistic: 'Minimum', period });

export class Watchdog extends Construct {
  readonly topic: sns.ITopic;

  constructor(scope: Construct, id: string, props: WatchdogProps) {
    super(scope, id);
    this.topic = props.alarmTopicArn
      ? sns.Topic.fromTopicArn(this, 'Alarms', props.alarmTopicArn)
      : new sns.Topic(this, 'Alarms', { displayName: 'certflow alarms', masterKey: props.key, enforceSSL: true });
    const notify = new actions.SnsAction(this.topic);
    const scanPeriod = Duration.hours(props.scanIntervalHours);

    const alarms = [
      new cloudwatch.Alarm(this, 'RenewalFailed', {
        alarmDescription: 'A RenewCertificate execution failed (see its "Certificate Renewal Failed" event); the previous certificate stays current.',
        metric: props.renewCertificate.metricFailed({ period: Duration.hours(1), statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'ScanFailed', {
        alarmDescription: 'The scheduled scan failed: nothing is being renewed on schedule.',
        metric: props.scanCertificates.metricFailed({ period: scanPeriod, statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
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

    new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: 'certflow',
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
}
