/**
 * "Renewed but not served" on AWS (ADR 0016): every five minutes a one-task CheckServed state
 * machine runs the check-served step over the host inventory log group, which publishes per host
 * group the number of hosts not serving their certificate's announced version (UnservedHosts, EMF,
 * dimension Group). Each group has its NotServed alarm on that number; the hosts are in the step's
 * log and the execution's output, and `certflow status <id> --aws` names them.
 *
 * The alarm reads a 10-minute Maximum of a metric written every 5 minutes: each period holds a
 * datapoint whatever the schedule's jitter, and a gap (missing data) keeps the alarm's state rather
 * than clearing it. A check that fails (CheckServedFailed) is the watch on the watch.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { UNSERVED_HOSTS_METRIC } from '../lambdas/handlers/check-served';
import { ENV } from '../lambdas/runtime/env';
import { stepTask } from './renew-state-machine';
import { failedExecutions } from './watchdog';

/** How often the check runs; the alarms' period is twice this. */
const SERVED_CHECK_INTERVAL = Duration.minutes(5);

export interface ServedCheckProps {
  readonly fn: lambda.Function;
  readonly role: iam.Role;
  /** The host inventory's log group: the reports and announcements the check reads. */
  readonly reports: logs.ILogGroup;
  /** The host groups (config `subscribers`): one alarm each. */
  readonly groups: readonly string[];
  readonly graceMinutes: number;
  readonly alarmTopic: sns.ITopic;
  readonly logs: sfn.LogOptions;
}

export class ServedCheck extends Construct {
  readonly stateMachine: sfn.StateMachine;
  /** Per group name: its hosts have not reported serving a renewal graceMinutes after it. */
  readonly notServedAlarms: ReadonlyMap<string, cloudwatch.Alarm>;

  constructor(scope: Construct, id: string, props: ServedCheckProps) {
    super(scope, id);
    props.fn.addEnvironment(ENV.hostInventoryLogGroup, props.reports.logGroupName);
    props.role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadHostReports', actions: ['logs:FilterLogEvents'], resources: [props.reports.logGroupArn] }));
    this.stateMachine = new sfn.StateMachine(this, 'Machine', {
      stateMachineName: 'certflow-CheckServed',
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(stepTask(this, { state: 'CheckServed', step: 'check-served', fn: props.fn })),
      timeout: SERVED_CHECK_INTERVAL,
      tracingEnabled: true,
      logs: props.logs,
    });
    new events.Rule(this, 'Schedule', {
      description: `certflow: check every ${SERVED_CHECK_INTERVAL.toMinutes()} min that each host serves its certificates' renewals (NotServed alarms)`,
      schedule: events.Schedule.rate(SERVED_CHECK_INTERVAL),
      targets: [new targets.SfnStateMachine(this.stateMachine)],
    });
    const notify = new cloudwatchActions.SnsAction(props.alarmTopic);
    const alarms = new Map<string, cloudwatch.Alarm>();
    for (const group of props.groups) {
      const alarm = new cloudwatch.Alarm(this, `NotServed-${group}`, {
        alarmDescription: `certflow: renewed but not served: a host of group ${group} has not reported serving its certificate's current version ${props.graceMinutes} min after the renewal (failed, or silent). Which hosts: certflow status <id> --aws, or the CheckServed execution's output.`,
        metric: new cloudwatch.Metric({
          namespace: 'certflow',
          metricName: UNSERVED_HOSTS_METRIC.name,
          dimensionsMap: { [UNSERVED_HOSTS_METRIC.dimension]: group },
          statistic: 'Maximum',
          period: SERVED_CHECK_INTERVAL.plus(SERVED_CHECK_INTERVAL),
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.IGNORE,
      });
      alarm.addAlarmAction(notify);
      alarms.set(group, alarm);
    }
    this.notServedAlarms = alarms;
    failedExecutions(this, 'CheckServedFailed', this.stateMachine, Duration.hours(1), 'certflow: the served check failed: the NotServed alarms keep their state until it runs again (see the CheckServed execution).').addAlarmAction(notify);
  }
}
