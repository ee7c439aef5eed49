/**
 * A Lambda that times out is retried: in both state machines every Lambda task retries the errors a
 * function timeout is reported as, and its task timeout sits just above the function's own timeout.
 * Timeouts nest: RevokeCertificate outlasts its steps at their worst plus the RenewCertificate it
 * runs as its reissue.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../bin/certflow';
import { defineConfig } from '../../infra/config';
import { RATE_LIMIT_RETRY, TASK_TIMEOUT_MARGIN, TRANSIENT_RETRY } from '../../infra/renew-state-machine';
import { asRetrier, retryWaitSeconds, taskWorstCaseSeconds, type Retrier } from '../../infra/retry-budget';
import { REVOCATION_TIMEOUT_MARGIN } from '../../infra/revoke-state-machine';

type State = {
  Type: string;
  Resource?: string;
  Next?: string;
  Choices?: { Next: string }[];
  Parameters?: { FunctionName?: string };
  TimeoutSeconds?: number;
  Retry?: ({ ErrorEquals: string[] } & Retrier)[];
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

type Definition = { StartAt: string; TimeoutSeconds?: number; States: Record<string, State> };

function definitionOf(machineName: string): Definition {
  const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine', { Properties: { StateMachineName: machineName } }));
  expect(machines).toHaveLength(1);
  return JSON.parse(resolve(machines[0]!.Properties.DefinitionString)) as Definition;
}

function tasksOf(machineName: string): [string, State][] {
  return lambdaTasks(definitionOf(machineName).States);
}

function functionTimeout(task: State): number {
  return template.findResources('AWS::Lambda::Function')[functionOf(task)!]!.Properties.Timeout as number;
}

describe.each([
  ['certflow-RenewCertificate', 19], // 13 on the ACME path and its failure path, 6 on the private one
  ['certflow-ScanCertificates', 2], // AdvanceRotation, ScanInventory
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

describe('retry budget (Amazon States Language: IntervalSeconds × BackoffRate^k, capped at MaxDelaySeconds)', () => {
  it.each<[string, Retrier, number]>([
    ['the transient rule: 2+4+8+16+30 (capped)', asRetrier(TRANSIENT_RETRY), 60],
    ['the rate-limit rule: 30+60+120+240', asRetrier(RATE_LIMIT_RETRY), 450],
    ['the language defaults: 1+2+4', {}, 7],
    ['no retries', { MaxAttempts: 0, IntervalSeconds: 10 }, 0],
    ['BackoffRate 1', { IntervalSeconds: 5, MaxAttempts: 4, BackoffRate: 1 }, 20],
  ])('waits at most: %s', (_name, retrier, seconds) => {
    expect(retryWaitSeconds(retrier)).toBe(seconds);
  });

  it('runs a task 1 + Σ MaxAttempts times (each rule counts its own), each up to its timeout, plus the waits', () => {
    expect(taskWorstCaseSeconds(45, [asRetrier(TRANSIENT_RETRY), asRetrier(RATE_LIMIT_RETRY)])).toBe(10 * 45 + 60 + 450);
    expect(taskWorstCaseSeconds(45, [])).toBe(45);
  });
});

describe('RevokeCertificate outlasts its steps at their worst and the RenewCertificate it runs as its reissue', () => {
  const isReissue = (state: State | undefined) => state?.Type === 'Task' && /:states:startExecution\.sync/.test(state.Resource ?? '');

  /** The states from StartAt to the reissue (the Choice's branch to it), and their tasks' worst case. */
  function beforeReissue(definition: Definition): { states: string[]; worstCaseSeconds: number } {
    const states: string[] = [];
    let worstCaseSeconds = 0;
    for (let name = definition.StartAt; !isReissue(definition.States[name]); ) {
      const state = definition.States[name]!;
      states.push(name);
      if (state.Type === 'Task') worstCaseSeconds += taskWorstCaseSeconds(state.TimeoutSeconds!, state.Retry ?? []);
      const next = state.Type === 'Choice' ? state.Choices!.map((choice) => choice.Next).find((to) => isReissue(definition.States[to])) : state.Next;
      if (!next) throw new Error(`${name}: no way on to the reissue`);
      name = next;
    }
    return { states, worstCaseSeconds };
  }

  it('is the steps before the reissue at their worst + RenewCertificate\'s timeout + the margin', () => {
    const revoke = definitionOf('certflow-RevokeCertificate');
    const renewTimeout = definitionOf('certflow-RenewCertificate').TimeoutSeconds!;
    const { states, worstCaseSeconds } = beforeReissue(revoke);
    expect(states).toEqual(['ValidateRevocation', 'RevokeAtCa', 'MarkRevoked', 'PublishRevoked', 'Reissue?']);
    // 120 s functions: tasks of 135 s; three transient steps (6 attempts + 60 s of waits) and RevokeAtCa (10 attempts + 510 s).
    expect(worstCaseSeconds).toBe(3 * (6 * 135 + 60) + (10 * 135 + 510));
    expect(renewTimeout).toBe(7200);
    expect(revoke.TimeoutSeconds).toBe(worstCaseSeconds + renewTimeout + REVOCATION_TIMEOUT_MARGIN.toSeconds());
    // The timeout before #22 (RenewCertificate's + 900 s) was shorter than the steps' worst case alone + the reissue.
    expect(renewTimeout + 900).toBeLessThan(worstCaseSeconds + renewTimeout);
  });
});
