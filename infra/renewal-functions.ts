/**
 * One small Lambda per step of the catalogue (lambdas/catalogue.ts), bundled locally by esbuild (no
 * Docker: infra/lambda-code.ts, build/lambda-bundle.ts), each with its own least-privilege role from
 * the step's capabilities.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/runtime/aws-deps';
import { STEP_IDS, STEPS, type StepId } from '../lambdas/catalogue';
import { privateCaSettingsOf, trustAnchorsOf, type CertflowConfig } from './config';
import { statementsFor, type AccessScope } from './iam';
import { bundledCode } from './lambda-code';
import type { RenewalFunctions } from './renew-state-machine';

export class RenewalLambdas extends Construct {
  readonly functions: RenewalFunctions;
  /** Each step's role (the stack adds states:ListExecutions to the scan's once the RenewCertificate ARN exists). */
  readonly roles: Record<StepId, iam.Role>;

  constructor(scope: Construct, id: string, config: CertflowConfig, access: AccessScope) {
    super(scope, id);
    const environment: Record<string, string> = {
      [ENV.zones]: JSON.stringify(config.hostedZones),
      [ENV.delegations]: JSON.stringify(config.delegations),
      [ENV.verifyAuthoritative]: String(config.verifyAuthoritativeNameServers),
      [ENV.directoryUrl]: config.acme.directoryUrl,
      [ENV.contact]: JSON.stringify(config.acme.contact),
      [ENV.directories]: JSON.stringify(config.acme.directories.map(({ url }) => url)),
      [ENV.secretPrefix]: config.secretPrefix,
      [ENV.kmsKeyId]: access.key.keyArn,
      [ENV.eventBus]: access.bus.eventBusName,
      ...(config.acme.externalAccountBindingSecret ? { [ENV.eabSecret]: config.acme.externalAccountBindingSecret } : {}),
      ...(config.acme.defaultProfile ? { [ENV.defaultProfile]: config.acme.defaultProfile } : {}),
      ...(config.privateCa ? { [ENV.privateCa]: JSON.stringify(privateCaSettingsOf(config.privateCa)) } : {}),
    };
    // The trust anchors are compiled into the one step that checks chains against them (a few
    // roots outgrow Lambda's 4 KB of environment; they never travel in state).
    const anchorsDefine = { [`process.env.${ENV.trustAnchors}`]: JSON.stringify(JSON.stringify(trustAnchorsOf(config))) };
    const defines: Partial<Record<StepId, Record<string, string>>> = {
      'package-and-store': anchorsDefine,
      'package-and-store-private': anchorsDefine,
    };
    const roles: Partial<Record<StepId, iam.Role>> = {};
    const entries = STEP_IDS.map((stepId): [StepId, lambda.IFunction] => {
      const { handler, capabilities, lambda: extrasFor } = STEPS[stepId];
      const extras = extrasFor?.(config) ?? {};
      const logGroup = new logs.LogGroup(this, `${stepId}-logs`, { retention: logs.RetentionDays.THREE_MONTHS });
      // Own role, no managed policies: logs to its own group, X-Ray, and its step's capabilities.
      const role = new iam.Role(this, `${stepId}-role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      role.addToPolicy(new iam.PolicyStatement({ sid: 'OwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
      for (const statement of statementsFor(Stack.of(this), capabilities, access)) role.addToPolicy(statement);
      const define = { ...extras.define, ...defines[stepId] };
      const fn = new lambda.Function(this, stepId, {
        code: bundledCode({ entry: `lambdas/handlers/${handler.file}.ts`, ...(Object.keys(define).length > 0 ? { define } : {}) }),
        handler: `index.${handler.exportName}`,
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: config.lambda.memoryMb,
        timeout: Duration.seconds(config.lambda.timeoutSeconds),
        tracing: lambda.Tracing.ACTIVE,
        role,
        environment: { [ENV.step]: stepId, ...environment, ...extras.environment },
        logGroup,
      });
      roles[stepId] = role;
      return [stepId, fn];
    });
    this.functions = Object.fromEntries(entries) as RenewalFunctions;
    this.roles = roles as Record<StepId, iam.Role>;
  }
}
