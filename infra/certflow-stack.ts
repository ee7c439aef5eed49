import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { CertflowConfig } from './config';
import { RenewCertificateFlow, type RenewalFunctions } from './renew-state-machine';
import { RenewalLambdas } from './renewal-functions';

export interface CertflowStackProps extends StackProps {
  readonly config: CertflowConfig;
}

export class CertflowStack extends Stack {
  readonly renewCertificate: sfn.StateMachine;
  readonly secretsKey: kms.Key;
  readonly bus: events.EventBus;
  readonly stepFunctions: RenewalFunctions;

  constructor(scope: Construct, id: string, props: CertflowStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.secretsKey = new kms.Key(this, 'SecretsKey', {
      description: 'certflow: encrypts certificate and ACME account secrets',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.bus = new events.EventBus(this, 'Bus', { eventBusName: config.eventBusName });

    const { functions } = new RenewalLambdas(this, 'Steps', config, {
      zones: config.hostedZones,
      delegations: config.delegations,
      secretPrefix: config.secretPrefix,
      key: this.secretsKey,
      bus: this.bus,
    });
    this.stepFunctions = functions;
    const flow = new RenewCertificateFlow(this, 'Flow', functions, config.poll);

    this.renewCertificate = new sfn.StateMachine(this, 'RenewCertificate', {
      stateMachineName: 'certflow-RenewCertificate',
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(flow.definition),
      // Longest legal run: three full poll loops plus retries, well under two hours.
      timeout: Duration.hours(2),
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
  }
}
