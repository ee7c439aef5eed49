/**
 * A Lambda that times out is retried: in both state machines every Lambda task retries the errors a
 * function timeout is reported as, and its task timeout sits just above the function's own timeout.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../bin/certflow';
import { defineConfig } from '../../infra/config';
import { TASK_TIMEOUT_MARGIN } from '../../infra/renew-state-machine';

type State = {
  Type: string;
  Resource?: string;
  Parameters?: { FunctionName?: string };
  TimeoutSeconds?: number;
  Retry?: { ErrorEquals: string[] }[];
  ItemProcessor?: { States: Record<string, State> };
  Iterator?: { States: Record<string, State> };
  Branches?: { States: Record<string, State> }[];
};

// Longer than the old hard-coded 90 s task timeout: a task must never time out before its function.
const config = defineConfig({
  hostedZones: [{ name: 'example.com', id: 'Z1EXAMPLE' }],
  lambda: { memoryMb: 512, timeoutSeconds: 120 },
});

let template: Template;

beforeAll(() => {
  template = Template.fromStack(buildApp(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), config).stack);
});

/** The definition with each `Fn::GetAtt [id, Arn]` written as `GetAtt:id` and each Ref as its name. */
function resolve(value: unknown): string {
  if (typeof value === 'string') return value;
  const node = value as { 'Fn::Join'?: [string, unknown[]]; 'Fn::GetAtt'?: [string, string]; Ref?: string };
  if (node['Fn::Join']) return node['Fn::Join'][1].map(resolve).join(node['Fn::Join'][0]);
  if (node['Fn::GetAtt']) return `GetAtt:${node['Fn::GetAtt'][0]}`;
  if (node.Ref) return node.Ref;
  throw new Error(`unexpected ${JSON.stringify(value)}`);
}

/** The Lambda function a task invokes (payloadResponseOnly names it as the Resource), if any. */
function functionOf(task: State): string | undefined {
  const arn = task.Resource?.endsWith(':states:::lambda:invoke') ? task.Parameters?.FunctionName : task.Resource;
  const logicalId = /^GetAtt:(.+)$/.exec(arn ?? '')?.[1];
  return logicalId && template.findResources('AWS::Lambda::Function')[logicalId] ? logicalId : undefined;
}

function lambdaTasks(states: Record<string, State>): [string, State][] {
  return Object.entries(states).flatMap(([name, state]) => [
    ...(state.Type === 'Task' && functionOf(state) ? [[name, state] as [string, State]] : []),
    ...[state.ItemProcessor, state.Iterator, ...(state.Branches ?? [])].flatMap((inner) => (inner ? lambdaTasks(inner.States) : [])),
  ]);
}

function tasksOf(machineName: string): [string, State][] {
  const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine', { Properties: { StateMachineName: machineName } }));
  expect(machines).toHaveLength(1);
  return lambdaTasks(JSON.parse(resolve(machines[0]!.Properties.DefinitionString)).States);
}

function functionTimeout(task: State): number {
  return template.findResources('AWS::Lambda::Function')[functionOf(task)!]!.Properties.Timeout as number;
}

describe.each([
  ['certflow-RenewCertificate', 19], // 13 on the ACME path and its failure path, 6 on the private one
  ['certflow-ScanCertificates', 1],
])('%s', (machineName, taskCount) => {
  it(`has ${taskCount} Lambda task(s)`, () => {
    expect(tasksOf(machineName)).toHaveLength(taskCount);
  });

  it("times out each Lambda task just after its function's own timeout (States.Timeout is only a backstop)", () => {
    for (const [name, task] of tasksOf(machineName)) {
      const timeout = functionTimeout(task);
      expect(timeout, name).toBe(120);
      expect(task.TimeoutSeconds, name).toBeGreaterThan(timeout);
      expect(task.TimeoutSeconds, name).toBeLessThanOrEqual(timeout + TASK_TIMEOUT_MARGIN.toSeconds());
    }
  });

  it('retries a function timeout in every Lambda task (Sandbox.Timedout, Lambda.Unknown)', () => {
    for (const [name, task] of tasksOf(machineName)) {
      const retried = (task.Retry ?? []).flatMap((retrier) => retrier.ErrorEquals);
      expect(retried, name).toEqual(expect.arrayContaining(['Sandbox.Timedout', 'Lambda.Unknown']));
    }
  });
});
