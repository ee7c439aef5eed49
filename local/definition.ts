/**
 * The state machine definitions (RenewCertificate, ScanCertificates, RevokeCertificate) exactly as the CDK app synthesizes them, with CloudFormation
 * intrinsics resolved to fake ARNs, and each Lambda ARN mapped back to its step.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildApp } from '../bin/certflow';
import { isStepId, type StepId } from '../lambdas/catalogue';

export const FAKE = { partition: 'aws', region: 'eu-west-1', account: '000000000000' } as const;

export interface LocalDefinition {
  readonly definition: Record<string, unknown> & { States: Record<string, Record<string, unknown>>; StartAt: string };
  /** Lambda ARN (fake) → step id. */
  readonly stepsByArn: ReadonlyMap<string, StepId>;
}

type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };

function lambdaArn(step: StepId): string {
  return `arn:${FAKE.partition}:lambda:${FAKE.region}:${FAKE.account}:function:certflow-${step}`;
}

function resolve(value: unknown, arnOf: (logicalId: string) => string, refOf: (logicalId: string) => string | undefined = () => undefined): string {
  if (typeof value === 'string') return value;
  const node = value as Record<string, unknown>;
  if ('Fn::Join' in node) {
    const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => resolve(part, arnOf, refOf)).join(separator);
  }
  if ('Fn::GetAtt' in node) {
    const [logicalId, attribute] = node['Fn::GetAtt'] as [string, string];
    if (attribute !== 'Arn') throw new Error(`cannot resolve Fn::GetAtt ${logicalId}.${attribute}`);
    return arnOf(logicalId);
  }
  if ('Ref' in node) {
    const ref = node.Ref as string;
    const pseudo: Record<string, string> = {
      'AWS::Partition': FAKE.partition,
      'AWS::Region': FAKE.region,
      'AWS::AccountId': FAKE.account,
      'AWS::URLSuffix': 'amazonaws.com',
    };
    const resolved = pseudo[ref] ?? refOf(ref);
    if (resolved) return resolved;
    throw new Error(`cannot resolve Ref ${ref}`);
  }
  throw new Error(`cannot resolve ${JSON.stringify(value).slice(0, 200)}`);
}

export const RENEW_MACHINE_ARN = `arn:${FAKE.partition}:states:${FAKE.region}:${FAKE.account}:stateMachine:certflow-RenewCertificate`;

export interface LocalDefinitions {
  readonly renew: LocalDefinition;
  readonly scan: LocalDefinition;
  readonly revoke: LocalDefinition;
}

/** The template, synthesized into a temporary cloud assembly that is removed once read. */
function synthesizeTemplate(): Template {
  // Without an outdir CDK makes $TMPDIR/cdk.out* and leaves it there, one per synthesis.
  const outdir = mkdtempSync(path.join(os.tmpdir(), 'certflow-synth-'));
  try {
    const { app, stack } = buildApp(new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } }));
    return app.synth().getStackByName(stack.stackName).template as Template;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Synthesize in-process (bundling skipped: only the template is needed). */
export function synthesizeDefinitions(): LocalDefinitions {
  const template = synthesizeTemplate();

  const stepOfFunction = new Map<string, StepId>();
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const env = (resource.Properties?.Environment as { Variables?: Record<string, string> } | undefined)?.Variables;
    const step = env?.CERTFLOW_STEP;
    if (isStepId(step)) stepOfFunction.set(logicalId, step);
  }
  const arnOf = (logicalId: string) => {
    const step = stepOfFunction.get(logicalId);
    if (!step) throw new Error(`state machine refers to ${logicalId}, which is not a certflow step function`);
    return lambdaArn(step);
  };
  const machines = Object.entries(template.Resources).filter(([, resource]) => resource.Type === 'AWS::StepFunctions::StateMachine');
  const named = (name: string) => {
    const found = machines.find(([, resource]) => resource.Properties?.StateMachineName === name);
    if (!found) throw new Error(`no state machine named ${name} in the template`);
    return found;
  };
  const [renewLogicalId] = named('certflow-RenewCertificate');
  const refOf = (logicalId: string) => (logicalId === renewLogicalId ? RENEW_MACHINE_ARN : undefined);
  const stepsByArn = new Map([...stepOfFunction.values()].map((step) => [lambdaArn(step), step] as const));
  const load = (name: string): LocalDefinition => ({
    definition: JSON.parse(resolve(named(name)[1].Properties!.DefinitionString, arnOf, refOf)) as LocalDefinition['definition'],
    stepsByArn,
  });
  return { renew: load('certflow-RenewCertificate'), scan: load('certflow-ScanCertificates'), revoke: load('certflow-RevokeCertificate') };
}

export function synthesizeRenewDefinition(): LocalDefinition {
  return synthesizeDefinitions().renew;
}
