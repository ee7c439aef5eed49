/** One small Lambda per step, bundled locally by esbuild (no Docker). */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { STEP_ENTRIES, STEP_IDS, type StepId } from '../lambdas/step-ids';
import type { CertflowConfig } from './config';
import type { RenewalFunctions } from './renew-state-machine';

const HANDLERS_DIR = fileURLToPath(new URL('../lambdas/handlers', import.meta.url));

export class RenewalLambdas extends Construct {
  readonly functions: RenewalFunctions;

  constructor(scope: Construct, id: string, config: CertflowConfig) {
    super(scope, id);
    const settings = {
      CERTFLOW_ZONES: JSON.stringify(config.hostedZones),
      CERTFLOW_DIRECTORY_URL: config.acme.directoryUrl,
      CERTFLOW_CONTACT: JSON.stringify(config.acme.contact),
    };
    const entries = STEP_IDS.map((stepId): [StepId, lambda.IFunction] => {
      const { file, exportName } = STEP_ENTRIES[stepId];
      const fn = new nodejs.NodejsFunction(this, stepId, {
        entry: path.join(HANDLERS_DIR, `${file}.ts`),
        handler: exportName,
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: config.lambda.memoryMb,
        timeout: Duration.seconds(config.lambda.timeoutSeconds),
        tracing: lambda.Tracing.ACTIVE,
        environment: { CERTFLOW_STEP: stepId, ...settings },
        logGroup: new logs.LogGroup(this, `${stepId}-logs`, { retention: logs.RetentionDays.THREE_MONTHS }),
        bundling: {
          // Error names are the Retry/Catch contract: never mangle class names.
          keepNames: true,
          minify: true,
          sourceMap: true,
          target: 'node22',
          forceDockerBundling: false,
        },
      });
      return [stepId, fn];
    });
    this.functions = Object.fromEntries(entries) as RenewalFunctions;
  }
}
