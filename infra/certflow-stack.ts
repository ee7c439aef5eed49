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
import { RevokeCertificateFlow } from './revoke-state-machine';
import { ScanFlow } from './scan-state-machine';
import { HostInventory } from './host-inventory';
import { CertificateSubscriber } from './subscriber';
import { Watchdog } from './watchdog';

export interface CertflowStackProps extends StackProps {
  readonly config: CertflowConfig;
}

export class CertflowStack extends Stack {
  readonly renewCertificate: sfn.StateMachine;
  readonly scanCertificates: sfn.StateMachine;
  /** `certflow revoke`: revoke at the CA, mark the version, announce, and reissue on request. */
  readonly revokeCertificate: sfn.StateMachine;
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
    });
    const { functions } = lambdas;
    this.stepLambdas = functions;
    const flow = new RenewCertificateFlow(this, 'Flow', functions, config.poll);

    this.renewCertificate = new sfn.StateMachine(this, 'RenewCertificate', {
      stateMachineName: 'certflow-RenewCertificate',
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(flow.definition),
      // Longest legal run: three full poll loops plus retries, well under two hours.
      timeout: Duration.millis(RENEWAL_TIMEOUT_MS), // also how long a renewal lease lasts
      tracingEnabled: true,
      logs: {
        destination: new logs.LogGroup(this, 'RenewCertificateLogs', {
          retention: logs.RetentionDays.ONE_YEAR,
          removalPolicy: RemovalPolicy.RETAIN,
        }),
        level: sfn.LogLevel.ALL,
        // State holds no secrets by design, but logs need not copy it either.
        includeExecutionData: false,
      },
    });

    // The scheduled path: a scan every N hours renews what is due, as RenewCertificate executions.
    const scanFunction = functions['scan-inventory'] as lambda.Function;
    scanFunction.addEnvironment(ENV.renewStateMachine, this.renewCertificate.stateMachineArn);
    lambdas.roles['scan-inventory'].addToPolicy(
      new iam.PolicyStatement({ sid: 'CountOrders', actions: ['states:ListExecutions'], resources: [this.renewCertificate.stateMachineArn] }),
    );
    const scanFlow = new ScanFlow(this, 'ScanFlow', {
      scanFunction,
      renewCertificate: this.renewCertificate,
      maxConcurrency: config.schedule.maxConcurrentRenewals,
    });
    this.scanCertificates = new sfn.StateMachine(this, 'ScanCertificates', {
      stateMachineName: 'certflow-ScanCertificates',
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(scanFlow.definition),
      timeout: Duration.hours(config.schedule.scanIntervalHours),
      tracingEnabled: true,
      logs: {
        destination: new logs.LogGroup(this, 'ScanCertificatesLogs', { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN }),
        level: sfn.LogLevel.ALL,
        includeExecutionData: false,
      },
    });
    // Revocation (the key-compromise runbook): started by hand or by `certflow revoke`; a reissue runs RenewCertificate.
    const revokeFlow = new RevokeCertificateFlow(this, 'RevokeFlow', { fns: functions, renewCertificate: this.renewCertificate });
    this.revokeCertificate = new sfn.StateMachine(this, 'RevokeCertificate', {
      stateMachineName: 'certflow-RevokeCertificate',
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(revokeFlow.definition),
      // A few quick steps, then a whole renewal at most.
      timeout: Duration.millis(RENEWAL_TIMEOUT_MS).plus(Duration.minutes(15)),
      tracingEnabled: true,
      logs: {
        destination: new logs.LogGroup(this, 'RevokeCertificateLogs', { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN }),
        level: sfn.LogLevel.ALL,
        includeExecutionData: false,
      },
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
    watchdog.dashboard.addWidgets(new HostInventory(this, 'HostInventory', { bus: this.bus, alarmTopic: watchdog.topic }).widget);

    // Host groups: each gets its topic (every host subscribes a queue of its own), a DLQ with its alarm, and a policy to attach.
    for (const group of config.subscribers) {
      const subscriber = new CertificateSubscriber(this, `Subscriber-${group.name}`, {
        groupName: group.name,
        bus: this.bus,
        key: this.secretsKey,
        alarmTopic: watchdog.topic,
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
}
