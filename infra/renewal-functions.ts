/** One small Lambda per step, bundled locally by esbuild (no Docker), each with its own least-privilege role. */
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import type { ScanSettings } from '../lambdas/core/scan-plan';
import { ENV } from '../lambdas/runtime/aws-deps';
import { STEP_ENTRIES, STEP_IDS, type StepId } from '../lambdas/step-ids';
import type { CertflowConfig } from './config';
import { STEP_CAPABILITIES, statementsFor, type AccessScope } from './iam';
import type { RenewalFunctions } from './renew-state-machine';

const HANDLERS_DIR = fileURLToPath(new URL('../lambdas/handlers', import.meta.url));

export class RenewalLambdas extends Construct {
  readonly functions: RenewalFunctions;
  /** The scan's role: the stack adds states:ListExecutions once the RenewCertificate ARN exists. */
  scanRole!: iam.Role;

  constructor(scope: Construct, id: string, config: CertflowConfig, access: AccessScope) {
    super(scope, id);
    const environment: Record<string, string> = {
      [ENV.zones]: JSON.stringify(config.hostedZones),
      [ENV.delegations]: JSON.stringify(config.delegations),
      [ENV.verifyAuthoritative]: String(config.verifyAuthoritativeNameServers),
      [ENV.directoryUrl]: config.acme.directoryUrl,
      [ENV.contact]: JSON.stringify(config.acme.contact),
      [ENV.secretPrefix]: config.secretPrefix,
      [ENV.kmsKeyId]: access.key.keyArn,
      [ENV.eventBus]: access.bus.eventBusName,
      ...(config.acme.externalAccountBindingSecret ? { [ENV.eabSecret]: config.acme.externalAccountBindingSecret } : {}),
    };
    const scanSettings: ScanSettings = {
      intervalHours: config.schedule.scanIntervalHours,
      budget: config.schedule.orderBudget,
      expiringDays: config.schedule.expiringDays,
      ...(config.schedule.maxRenewalsPerScan !== undefined ? { maxPerScan: config.schedule.maxRenewalsPerScan } : {}),
    };
    const entries = STEP_IDS.map((stepId): [StepId, lambda.IFunction] => {
      const { file, exportName } = STEP_ENTRIES[stepId];
      const logGroup = new logs.LogGroup(this, `${stepId}-logs`, { retention: logs.RetentionDays.THREE_MONTHS });
      // Own role, no managed policies: logs to its own group, X-Ray, and its step's capabilities.
      const role = new iam.Role(this, `${stepId}-role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      role.addToPolicy(new iam.PolicyStatement({ sid: 'OwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
      for (const statement of statementsFor(Stack.of(this), STEP_CAPABILITIES[stepId], access)) role.addToPolicy(statement);
      const fn = new nodejs.NodejsFunction(this, stepId, {
        entry: path.join(HANDLERS_DIR, `${file}.ts`),
        handler: exportName,
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: config.lambda.memoryMb,
        timeout: Duration.seconds(config.lambda.timeoutSeconds),
        tracing: lambda.Tracing.ACTIVE,
        role,
        environment: { [ENV.step]: stepId, ...environment, ...(stepId === 'scan-inventory' ? { [ENV.scan]: JSON.stringify(scanSettings) } : {}) },
        logGroup,
        bundling: {
          // Error names are the Retry/Catch contract: never mangle class names.
          keepNames: true,
          minify: true,
          sourceMap: true,
          target: 'node22',
          forceDockerBundling: false,
          // The declared inventory is compiled into the scan function (no 4 KB environment limit).
          ...(stepId === 'scan-inventory' ? { define: { 'process.env.CERTFLOW_INVENTORY': JSON.stringify(JSON.stringify(config.certificates)) } } : {}),
        },
      });
      if (stepId === 'scan-inventory') this.scanRole = role;
      return [stepId, fn];
    });
    this.functions = Object.fromEntries(entries) as RenewalFunctions;
  }
}
