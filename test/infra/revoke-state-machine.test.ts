/** The RevokeCertificate state machine as synthesized: the flow, its failure path, retries, the reissue, and its role. */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../bin/certflow';
import * as errors from '../../domain/core/errors';
import { STEP_IDS, STEPS } from '../../lambdas/catalogue';
import { synthesizeDefinitions, type LocalDefinition } from '../../local/definition';
import { RENEWAL_TIMEOUT_MS } from '../../domain/core/durations';
import { defineConfig } from '../../infra/config';
import { ENV } from '../../lambdas/runtime/aws-deps';

type State = Record<string, unknown> & { Type: string; Next?: string; Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string }[] };
type Retrier = { ErrorEquals: string[]; MaxAttempts: number; BackoffRate: number; JitterStrategy: string };

let template: Template;
let revoke: LocalDefinition;
let states: Record<string, State>;

beforeAll(() => {
  const { stack } = buildApp(new App({ context: { 'aws:cdk:bundling-stacks': [] } }));
  template = Template.fromStack(stack);
  ({ revoke } = synthesizeDefinitions());
  states = revoke.definition.States as Record<string, State>;
});

const REVOKE_STEPS = STEP_IDS.filter((step) => STEPS[step].machine === 'RevokeCertificate');

describe('RevokeCertificate state machine (synthesized)', () => {
  it('is a Standard workflow named certflow-RevokeCertificate, traced and logged without execution data, outlasting one renewal', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'certflow-RevokeCertificate',
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
    });
    expect(revoke.definition.TimeoutSeconds).toBeGreaterThan(RENEWAL_TIMEOUT_MS / 1000);
  });

  it('reads like the flow: validate, revoke at the CA, mark, announce, then reissue or not', () => {
    const path: string[] = [];
    for (let name: string | undefined = revoke.definition.StartAt; name && path.length < 20; ) {
      path.push(name);
      const state: State = states[name]!;
      name = state.Type === 'Choice' ? (state.Default as string) : state.Next;
    }
    expect(path).toEqual(['ValidateRevocation', 'RevokeAtCa', 'MarkRevoked', 'PublishRevoked', 'Reissue?', 'Revoked']);
    const choice = states['Reissue?']!;
    expect(choice.Choices).toEqual([{ Variable: '$.revocation.reissue', BooleanEquals: true, Next: 'Reissue' }]);
    expect(states.Reissue).toMatchObject({ Type: 'Task', Resource: 'arn:aws:states:::states:startExecution.sync:2', Next: 'Reissued', ResultPath: '$.reissued' });
    expect((states.Reissue!.Parameters as Record<string, unknown>)['Input.$']).toBe('$.revoked.reissueInput');
    expect(states.Reissued!.Type).toBe('Succeed');
    expect(states.Revoked!.Type).toBe('Succeed');
  });

  it('runs each of its catalogue steps with the entry\'s payload and result path, and only those', () => {
    const tasks = Object.values(revoke.definition.States).filter((state) => revoke.stepsByArn.has(String(state.Resource)));
    expect([...new Set(tasks.map((state) => revoke.stepsByArn.get(String(state.Resource))))].sort()).toEqual([...REVOKE_STEPS].sort());
    for (const state of tasks) {
      const { payload, resultPath, logKeys } = STEPS[revoke.stepsByArn.get(String(state.Resource))!];
      expect(state.ResultPath ?? null).toBe(resultPath);
      const fields = { ...(payload as object), ...logKeys, executionId: '$$.Execution.Id' };
      expect(state.Parameters).toEqual(Object.fromEntries(Object.entries(fields).map(([field, path]) => [`${field}.$`, path])));
    }
  });

  it('sends every failure before the reissue to one announcement, then fails with the step\'s error name', () => {
    for (const name of ['ValidateRevocation', 'RevokeAtCa', 'MarkRevoked', 'PublishRevoked']) {
      const catcher = states[name]!.Catch?.find((c) => c.ErrorEquals.includes('States.ALL'));
      expect(catcher, name).toEqual({ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: `${name} failed` });
      expect(states[`${name} failed`]).toMatchObject({ Type: 'Pass', Result: name, ResultPath: '$.failedStep', Next: 'PublishRevocationFailed' });
    }
    expect(states.PublishRevocationFailed!.Next).toBe('RevocationFailed');
    expect(states.PublishRevocationFailed!.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.publishFailure', Next: 'RevocationFailed' }]);
    expect(states.RevocationFailed).toMatchObject({ Type: 'Fail', ErrorPath: '$.failure.Error', CausePath: '$.failure.Cause' });
  });

  it('ends a failed reissue as ReissueFailed with the child\'s cause (the revocation stands; the child announced its own failure)', () => {
    expect(states.Reissue!.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.reissueFailure', Next: 'ReissueFailed' }]);
    expect(states.ReissueFailed).toMatchObject({ Type: 'Fail', Error: 'ReissueFailed', CausePath: '$.reissueFailure.Cause' });
  });

  it('retries transient errors everywhere, a CA rate limit only where the CA is asked, and never a final error', () => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type !== 'Task' || name === 'Reissue') continue;
      const retriers = state.Retry as Retrier[];
      const retried = retriers.flatMap((retrier) => retrier.ErrorEquals);
      for (const retryable of errors.RETRYABLE_ERRORS.filter((error) => error !== 'AcmeRateLimited')) expect(retried, `${name} retries ${retryable}`).toContain(retryable);
      expect(retried.includes('AcmeRateLimited'), name).toBe(name === 'RevokeAtCa');
      for (const final of errors.FINAL_ERRORS) expect(retried, `${name} must not retry ${final}`).not.toContain(final);
      for (const retrier of retriers) expect(retrier).toMatchObject({ JitterStrategy: 'FULL', BackoffRate: expect.any(Number) });
    }
    expect(states.Reissue!.Retry).toBeUndefined(); // a failed renewal is final; it retries its own steps
  });

  it('compiles the declared inventory into RevokeAtCa only (a declared certificate is reissued by id alone)', () => {
    const config = defineConfig({ hostedZones: [{ name: 'example.com', id: 'Z1EXAMPLE' }], certificates: [{ id: 'broker-eu1', names: ['mq.example.com'] }] });
    const inventory = `process.env.${ENV.inventory}`;
    for (const step of REVOKE_STEPS) {
      const define = STEPS[step].lambda?.(config).define ?? {};
      if (step === 'revoke-at-ca') expect(JSON.parse(JSON.parse(define[inventory]!) as string)).toEqual(config.certificates);
      else expect(define[inventory], step).toBeUndefined();
    }
  });

  it('may start RenewCertificate executions and invoke its own step functions, nothing else', () => {
    const machines = template.findResources('AWS::StepFunctions::StateMachine', { Properties: { StateMachineName: 'certflow-RevokeCertificate' } });
    const roleId = (Object.values(machines)[0]!.Properties.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) => (policy.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleId))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
    const start = statements.find((s) => [s.Action].flat().includes('states:StartExecution'))!;
    expect(start.Resource).toEqual({ Ref: expect.stringMatching(/^RenewCertificate/) });
    const invoke = statements.filter((s) => [s.Action].flat().includes('lambda:InvokeFunction'));
    const invoked = JSON.stringify(invoke.map((s) => s.Resource));
    const functions = template.findResources('AWS::Lambda::Function');
    for (const [logicalId, fn] of Object.entries(functions)) {
      const step = fn.Properties.Environment.Variables.CERTFLOW_STEP as (typeof STEP_IDS)[number];
      expect(invoked.includes(`"${logicalId}"`), step).toBe(STEPS[step].machine === 'RevokeCertificate');
    }
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions.filter((action) => action.startsWith('secretsmanager:') || action.startsWith('kms:'))).toEqual([]);
  });
});
