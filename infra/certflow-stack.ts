import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { CertflowConfig } from './config';
import { RenewCertificateFlow } from './renew-state-machine';
import { RenewalLambdas } from './renewal-functions';

export interface CertflowStackProps extends StackProps {
  readonly config: CertflowConfig;
}

export class CertflowStack extends Stack {
  readonly renewCertificate: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: CertflowStackProps) {
    super(scope, id, props);
    const { functions } = new RenewalLambdas(this, 'Steps', props.config);
    const flow = new RenewCertificateFlow(this, 'Flow', functions, props.config.poll);

    this.renewCertificate = new sfn.StateMachine(this, 'RenewCertificate', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(flow.definition),
      // Longest legal run: three full poll loops plus retries, well under a day.
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
