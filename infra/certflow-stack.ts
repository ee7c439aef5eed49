import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { CertflowConfig } from './config';
import { RenewCertificateFlow, type RenewalFunctions } from './renew-state-machine';
import { ENV } from '../lambdas/runtime/aws-deps';
import { RENEWAL_TIMEOUT_MS } from '../domain/core/durations';
import { RenewalLambdas } from './renewal-functions';
import { RENEW_STATE_MACHINE_NAME } from './iam';
import { REVOCATION_TIMEOUT_MARGIN, RevokeCertificateFlow } from './revoke-state-machine';
import { ScanFlow } from './scan-state-machine';
import { HostInventory } from './host-inventory';
import { ServedCheck } from './served-check';
import { CertificateSubscriber } from './subscriber';
import { Watchdog } from './watchdog';

/** Where a state machine's executions log: `/aws/vendedlogs/states/<stack>/<machine>`. */
const executionLogGroupName = (stackName: string, machine: string): string => `/aws/vendedlogs/states/${stackName}/${machine}`;

export interface CertflowStackProps extends StackProps {
  readonly config: CertflowConfig;
}

export class CertflowStack extends Stack {
  readonly renewCertificate: sfn.StateMachine;
  readonly scanCertificates: sfn.StateMachine;
  /** `certflow revoke`: revoke at the CA, mark the version, announce, and reissue on request. */
  readonly revokeCertificate: sfn.StateMachine;
  /** The served check every few minutes: per host group, the hosts behind a renewal (ADR 0016). */
  readonly checkServed: sfn.StateMachine;
  readonly secretsKey: kms.Key;
  readonly bus: events.EventBus;
  /** The Lambda function of each step, by step id. */
  readonly stepLambdas: RenewalFunctions;

  constructor(scope: Construct, id: string, props: CertflowStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.secretsKey = new kms.Key(this, 'SecretsKey', {
      description: 'certflow: encrypts certificate and ACME account secrets',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.bus = new events.EventBus(this, 'Bus', { eventBusName: config.eventBusName });

    const lambdas = new RenewalLambdas(this, 'Steps', config, {
      zones: config.hostedZones,
      delegations: config.delegations,
      secretPrefix: config.secretPrefix,
      key: this.secretsKey,
      bus: this.bus,
      ...(config.privateCa ? { privateCaArn: config.privateCa.certificateAuthorityArn } : {}),
      ...(config.privateCa?.nextCertificateAuthorityArn ? { nextPrivateCaArn: config.privateCa.nextCertificateAuthorityArn } : {}),
    });
    const { functions } = lambdas;
    this.stepLambdas = functions;
    const flow = new RenewCertificateFlow(this, 'Flow', functions, config.poll);

    this.renewCertificate = new sfn.StateMachine(this, 'RenewCertificate', {
      stateMachineName: RENEW_STATE_MACHINE_NAME,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(flow.definition),
      // Longest legal run: three full poll loops plus retries, well under two hours.
      timeout: Duration.millis(RENEWAL_TIMEOUT_MS), // also how long a renewal lease lasts
      tracingEnabled: true,
      logs: this.executionLogs('RenewCertificate'),
    });

    // The scheduled path: a scan every N hours renews what is due, as RenewCertificate executions.
    const scanFunction = functions['scan-inventory'] as lambda.Function;
    scanFunction.addEnvironment(ENV.renewStateMachine, this.renewCertificate.stateMachineArn);
    lambdas.roles['scan-inventory'].addToPolicy(
      new iam.PolicyStatement({ sid: 'CountOrders', actions: ['states:ListExecutions'], resources: [this.renewCertificate.stateMachineArn] }),
    );
    const scanFlow = new ScanFlow(this, 'ScanFlow', {
      scanFunction,
      advanceRotationFunction: functions['advance-rotation'],
      renewCertificate: this.renewCertificate,
      maxConcurrency: config.schedule.maxConcurrentRenewals,
    });
    this.scanCertificates = new sfn.StateMachine(this, 'ScanCertificates', {
      stateMachineName: 'certflow-ScanCertificates',
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(scanFlow.definition),
      timeout: Duration.hours(config.schedule.scanIntervalHours),
      tracingEnabled: true,
      logs: this.executionLogs('ScanCertificates'),
    });
    // Revocation (the key-compromise runbook): started by hand or by `certflow revoke`; a reissue runs RenewCertificate.
    const revokeFlow = new RevokeCertificateFlow(this, 'RevokeFlow', { fns: functions, renewCertificate: this.renewCertificate });
    this.revokeCertificate = new sfn.StateMachine(this, 'RevokeCertificate', {
      stateMachineName: 'certflow-RevokeCertificate',
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(revokeFlow.definition),
      // The steps before the reissue at their worst, then a whole renewal at most (the reissue's own timeout).
      timeout: revokeFlow.beforeReissue.plus(Duration.millis(RENEWAL_TIMEOUT_MS)).plus(REVOCATION_TIMEOUT_MARGIN),
      tracingEnabled: true,
      logs: this.executionLogs('RevokeCertificate'),
    });
    // What the certflow command takes on AWS (--state-machine-arn; RevokeCertificate is found beside it).
    new CfnOutput(this, 'RenewCertificateArn', { value: this.renewCertificate.stateMachineArn, description: 'certflow --aws --state-machine-arn (CERTFLOW_STATE_MACHINE_ARN)' });
    new CfnOutput(this, 'RevokeCertificateArn', { value: this.revokeCertificate.stateMachineArn, description: 'certflow revoke --aws --revoke-state-machine-arn (found beside RenewCertificate by default)' });
    new events.Rule(this, 'ScanSchedule', {
      description: `certflow: scan for due certificates every ${config.schedule.scanIntervalHours} h`,
      schedule: events.Schedule.rate(Duration.hours(config.schedule.scanIntervalHours)),
      targets: [new targets.SfnStateMachine(this.scanCertificates)],
    });
    const watchdog = new Watchdog(this, 'Watchdog', {
      renewCertificate: this.renewCertificate,
      scanCertificates: this.scanCertificates,
      revokeCertificate: this.revokeCertificate,
      certificateIds: config.certificates.map((certificate) => certificate.id),
      expiringDays: config.schedule.expiringDays,
      scanIntervalHours: config.schedule.scanIntervalHours,
      ...(config.schedule.alarmTopicArn ? { alarmTopicArn: config.schedule.alarmTopicArn } : {}),
    });
    // Which host serves which version: the agents' reports in a log group, queried on the dashboard.
    const inventory = new HostInventory(this, 'HostInventory', { bus: this.bus });
    watchdog.dashboard.addWidgets(inventory.widget);
    // Renewed but not served: every few minutes, per host group, the hosts behind a renewal (ADR 0016).
    this.checkServed = new ServedCheck(this, 'ServedCheck', {
      fn: functions['check-served'] as lambda.Function,
      role: lambdas.roles['check-served'],
      reports: inventory.logGroup,
      groups: config.subscribers.map((group) => group.name),
      graceMinutes: config.schedule.notServedAfterMinutes,
      alarmTopic: watchdog.topic,
      logs: this.executionLogs('CheckServed'),
    }).stateMachine;
    // What scripts/smoke-host-inventory.sh reads (docs/how-to/deploy.md).
    new CfnOutput(this, 'EventBusName', { value: this.bus.eventBusName, description: 'certflow agent --event-bus' });
    if (config.privateCa) {
      // A root rotation's gates read the reports (capability hostReports): this log group only.
      (functions['advance-rotation'] as lambda.Function).addEnvironment(ENV.hostInventoryLogGroup, inventory.logGroup.logGroupName);
      lambdas.roles['advance-rotation'].addToPolicy(
        new iam.PolicyStatement({ sid: 'ReadHostReports', actions: ['logs:FilterLogEvents'], resources: [inventory.logGroup.logGroupArn] }),
      );
    }
    new CfnOutput(this, 'HostInventoryLogGroupName', { value: inventory.logGroup.logGroupName, description: 'the host reports (scripts/smoke-host-inventory.sh)' });
    new CfnOutput(this, 'HostInventoryRuleName', { value: inventory.rule.ruleName, description: 'the rule sending host reports to it' });

    // Host groups: each gets its topic (every host subscribes a queue of its own), a DLQ with its alarm, and a policy to attach.
    for (const group of config.subscribers) {
      const subscriber = new CertificateSubscriber(this, `Subscriber-${group.name}`, {
        groupName: group.name,
        bus: this.bus,
        key: this.secretsKey,
        alarmTopic: watchdog.topic,
        secretPrefix: config.secretPrefix,
        certificateIds: [...group.certificateIds],
        secretArns: group.certificateIds.map((id) =>
          this.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${config.secretPrefix}certificates/${id}-??????`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
        ),
      });
      const output = (name: string, value: string, description: string) => new CfnOutput(this, `${group.name}${name}`, { value, description });
      output('TopicArn', subscriber.topic.topicArn, `certflow agent --topic-arn for host group ${group.name}`);
      output('DeadLetterQueueArn', subscriber.deadLetterQueue.queueArn, `certflow agent --dead-letter-queue-arn for host group ${group.name}`);
      output('QueuePrefix', subscriber.queuePrefix, `certflow agent --queue-prefix for host group ${group.name}`);
      output('HostPolicyArn', subscriber.hostPolicy.managedPolicyArn, `IAM policy to attach to the ${group.name} hosts`);
    }
  }

  /**
   * A state machine's execution logs. Step Functions delivers them as vended logs: to a log group
   * named under /aws/vendedlogs/ it needs no entry in the account's AWSLogDeliveryWrite resource
   * policy, which every other log group adds to (5,120 characters, shared by the whole account
   * and region). The stack's name keeps two stacks' groups apart (log group names are per region).
   * (Step Functions Developer Guide, "Avoiding Amazon CloudWatch Logs resource policy size restrictions":
   * https://docs.aws.amazon.com/step-functions/latest/dg/bp-cwl.html)
   */
  private executionLogs(machine: string): sfn.LogOptions {
    return {
      destination: new logs.LogGroup(this, `${machine}Logs`, {
        logGroupName: executionLogGroupName(this.stackName, machine),
        retention: logs.RetentionDays.ONE_YEAR,
        removalPolicy: RemovalPolicy.RETAIN,
      }),
      level: sfn.LogLevel.ALL,
      // State holds no secrets by design, but logs need not copy it either.
      includeExecutionData: false,
    };
  }
}
