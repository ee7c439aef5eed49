import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../bin/certflow';
import * as errors from '../../domain/core/errors';
import { STEP_IDS, STEPS } from '../../lambdas/catalogue';
import { synthesizeDefinitions, type LocalDefinition } from '../../local/definition';

type State = Record<string, unknown> & { Type: string; Next?: string; Catch?: { ErrorEquals: string[]; Next: string }[] };

let template: Template;
let local: LocalDefinition;
let scan: LocalDefinition;
let states: Record<string, State>;

beforeAll(() => {
  const { stack } = buildApp(new App({ context: { 'aws:cdk:bundling-stacks': [] } }));
  template = Template.fromStack(stack);
  ({ renew: local, scan } = synthesizeDefinitions());
  states = local.definition.States as Record<string, State>;
});

/** The private path's Lambda tasks (issuer privateCa), and its cleanups (success, failure). */
const PRIVATE_PATH = ['IssuePrivate', 'CheckPrivateCertificate', 'PackageAndStorePrivate', 'PublishPrivateRenewed'];
const PRIVATE_CLEANUP = ['ReleasePrivate', 'CleanupPrivateAfterFailure'];

/** Every state name a state can go to next (Next, Choice rules, Default, Catch). */
function successors(state: State): string[] {
  const choices = ((state.Choices as { Next: string }[] | undefined) ?? []).map((choice) => choice.Next);
  return [state.Next, state.Default as string | undefined, ...choices, ...(state.Catch ?? []).map((c) => c.Next)].filter(
    (name): name is string => typeof name === 'string',
  );
}

describe('RenewCertificate state machine (synthesized)', () => {
  it('is a Standard workflow with tracing and logging on', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
    });
  });

  it('logs each state machine to its own log group under /aws/vendedlogs/states/<stack>/ (no entry in the shared AWSLogDeliveryWrite policy)', () => {
    const groups = template.findResources('AWS::Logs::LogGroup');
    const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
    expect(machines).toHaveLength(4);
    const names = machines.map((machine) => {
      const arn = machine.Properties.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn as { 'Fn::GetAtt': [string, string] };
      return groups[arn['Fn::GetAtt'][0]]!.Properties.LogGroupName as string;
    });
    expect(names.sort()).toEqual(['CheckServed', 'RenewCertificate', 'RevokeCertificate', 'ScanCertificates'].map((machine) => `/aws/vendedlogs/states/Certflow/${machine}`));
  });

  it('runs every step as its own nodejs22.x Lambda', () => {
    const functions = template.findResources('AWS::Lambda::Function', { Properties: { Runtime: 'nodejs22.x' } });
    const steps = Object.values(functions).map((fn) => fn.Properties.Environment.Variables.CERTFLOW_STEP as string);
    expect(steps.sort()).toEqual([...STEP_IDS].sort());
    expect(Object.keys(STEPS).sort()).toEqual([...STEP_IDS].sort());
  });

  it('runs each catalogue step in the machine its entry names, with its payload and result path', () => {
    for (const [machine, { definition, stepsByArn }] of [['RenewCertificate', local], ['ScanCertificates', scan]] as const) {
      const tasks = Object.values(definition.States).filter((state) => stepsByArn.has(String(state.Resource)));
      const steps = new Set(tasks.map((state) => stepsByArn.get(String(state.Resource))));
      expect([...steps].sort(), machine).toEqual(STEP_IDS.filter((step) => STEPS[step].machine === machine).sort());
      for (const state of tasks) {
        const { payload, resultPath, logKeys } = STEPS[stepsByArn.get(String(state.Resource))!];
        expect(state.ResultPath ?? null).toBe(resultPath);
        const fields = { ...(payload as object), ...logKeys, executionId: '$$.Execution.Id' };
        expect(state.Parameters).toEqual(Object.fromEntries(Object.entries(fields).map(([field, path]) => [`${field}.$`, path])));
      }
    }
  });

  it('gives every Lambda task the log keys its logger puts on each line: executionId always, certificateId where the payload has no request', () => {
    for (const { definition, stepsByArn } of [local, scan]) {
      for (const [name, state] of Object.entries(definition.States).filter(([, candidate]) => stepsByArn.has(String(candidate.Resource)))) {
        const parameters = state.Parameters as Record<string, string>;
        expect(parameters['executionId.$'], name).toBe('$$.Execution.Id');
        const carriesCertificate = ['request.$', 'certificate.$', 'state.$', 'input.$', 'certificateId.$'].some((key) => key in parameters);
        expect(carriesCertificate || definition === scan.definition, name).toBe(true);
      }
    }
  });

  it('reads like the flow on the happy path', () => {
    const path: string[] = [];
    let name: string | undefined = local.definition.StartAt;
    while (name && path.length < 50) {
      path.push(name);
      const state: State = states[name]!;
      name = state.Type === 'Choice' ? (state.Default as string) : state.Next;
    }
    expect(path).toEqual([
      'ValidateRequest', 'RequestAccepted', 'Issuer?', 'CreateOrder', 'PresentChallenges',
      'Wait DnsInSync', 'CheckDnsSync', 'DnsInSync?', 'AnswerChallenges',
      'Wait OrderReady', 'CheckOrder', 'OrderReady?', 'FinalizeOrder',
      'Wait CertificateIssued', 'CheckCertificate', 'CertificateIssued?',
      'PackageAndStore', 'PublishRenewed', 'CleanupChallenges', 'Renewed',
    ]);
  });

  it('takes the private path when the request says issuer privateCa, and it reads like the flow', () => {
    const issuer = states['Issuer?']!;
    expect(issuer.Default).toBe('CreateOrder');
    const [rule] = issuer.Choices as Record<string, unknown>[];
    expect(rule).toEqual({ And: [{ Variable: '$.request.issuer', IsPresent: true }, { Variable: '$.request.issuer', StringEquals: 'privateCa' }], Next: 'IssuePrivate' });
    const path: string[] = [];
    let name: string | undefined = 'IssuePrivate';
    while (name && path.length < 20) {
      path.push(name);
      const state: State = states[name]!;
      name = state.Type === 'Choice' ? (state.Default as string) : state.Next;
    }
    expect(path).toEqual([
      'IssuePrivate', 'Wait PrivateCertificateIssued', 'CheckPrivateCertificate', 'PrivateCertificateIssued?',
      'PackageAndStorePrivate', 'PublishPrivateRenewed', 'ReleasePrivate', 'Renewed',
    ]);
    // No step of the private path is an ACME or DNS step.
    const steps = [...PRIVATE_PATH, ...PRIVATE_CLEANUP].map((state) => local.stepsByArn.get(String(states[state]!.Resource)));
    expect(steps).toEqual(['issue-private', 'check-private-certificate', 'package-and-store-private', 'publish-renewed', 'release-private', 'cleanup-private-after-failure']);
  });

  it('bounds every loop: each cycle passes a Choice that exits after a maximum number of attempts', () => {
    const cycles: string[][] = [];
    const visit = (name: string, trail: string[]) => {
      const at = trail.indexOf(name);
      if (at >= 0) return void cycles.push(trail.slice(at));
      for (const next of successors(states[name]!)) visit(next, [...trail, name]);
    };
    visit(local.definition.StartAt, []);
    expect(cycles.length).toBe(4); // DNS sync, order ready, certificate issued; the private CA's GetCertificate
    for (const cycle of cycles) {
      const choiceName = cycle.find((name) => states[name]!.Type === 'Choice')!;
      const loopBack = (states[choiceName]!.Choices as Record<string, unknown>[]).find((rule) => cycle.includes(rule.Next as string))!;
      expect(JSON.stringify(loopBack)).toMatch(/"NumericLessThan":\d+/);
      expect(JSON.stringify(loopBack)).toMatch(/\.attempts"/);
      const exhausted = (states[choiceName]!.Choices as { Next: string }[]).find((rule) => rule.Next.endsWith('timed out'));
      expect(exhausted, `${choiceName} has a timeout exit`).toBeDefined();
    }
  });

  it('names each loop timeout and sends it down the failure path', () => {
    for (const [name, error] of [['DnsInSync', 'DnsSyncTimeout'], ['OrderReady', 'OrderValidationTimeout'], ['CertificateIssued', 'CertificateIssuanceTimeout'], ['PrivateCertificateIssued', 'CertificateIssuanceTimeout']]) {
      const pass = states[`${name} timed out`]!;
      expect((pass.Result as { Error: string }).Error).toBe(error);
      expect(pass.ResultPath).toBe('$.failure');
    }
  });

  it('catches every failure of the happy path into cleanup → PublishFailed → Fail(named error)', () => {
    const failurePath = new Set(['CleanupAfterFailure', 'PublishFailed', 'CleanupChallenges', ...PRIVATE_CLEANUP]);
    for (const [name, state] of Object.entries(states)) {
      if (state.Type !== 'Task' || failurePath.has(name)) continue;
      const catcher = state.Catch?.find((c) => c.ErrorEquals.includes('States.ALL'));
      expect(catcher, `${name} catches`).toBeDefined();
      expect(catcher!.Next).toBe(`${name} failed`);
      const cleanup = PRIVATE_PATH.includes(name) ? 'CleanupPrivateAfterFailure' : 'CleanupAfterFailure';
      expect(states[catcher!.Next]!.Next, name).toBe(name === 'ValidateRequest' ? 'PublishFailed' : cleanup);
    }
    expect(states.CleanupAfterFailure!.Next).toBe('PublishFailed');
    expect(states.CleanupPrivateAfterFailure!.Next).toBe('PublishFailed');
    expect(states.PublishFailed!.Next).toBe('RenewalFailed');
    expect(states.RenewalFailed).toMatchObject({ Type: 'Fail', ErrorPath: '$.failure.Error', CausePath: '$.failure.Cause' });
  });

  it('retries exactly the retryable errors, with backoff and full jitter; never the final ones', () => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type !== 'Task') continue;
      const retriers = state.Retry as { ErrorEquals: string[]; MaxAttempts: number; BackoffRate: number; JitterStrategy: string }[];
      const retried = retriers.flatMap((retrier) => retrier.ErrorEquals);
      for (const retryable of errors.RETRYABLE_ERRORS.filter((e) => e !== 'AcmeRateLimited' || !failurePathState(name))) {
        expect(retried, `${name} retries ${retryable}`).toContain(retryable);
      }
      for (const final of errors.FINAL_ERRORS) expect(retried, `${name} must not retry ${final}`).not.toContain(final);
      for (const retrier of retriers) {
        expect(retrier.MaxAttempts).toBeLessThanOrEqual(5);
        expect(retrier.BackoffRate).toBeGreaterThan(1);
        expect(retrier.JitterStrategy).toBe('FULL');
      }
    }
  });
});

function failurePathState(name: string) {
  return ['CleanupAfterFailure', 'PublishFailed', 'CleanupChallenges', ...PRIVATE_CLEANUP].includes(name);
}

describe('error names are the Retry/Catch contract', () => {
  const classes = (Object.values(errors) as unknown[]).filter(
    (value): value is (new (message: string) => errors.CertflowError) & { name: string } =>
      typeof value === 'function' && value.prototype instanceof errors.CertflowError,
  );

  it.each(classes.map((cls) => [cls.name, cls] as const))('%s sets its name and is listed by retryability', (name, cls) => {
    const error = new cls('x');
    expect(error.name).toBe(name);
    const listed = error.retryable ? errors.RETRYABLE_ERRORS : errors.FINAL_ERRORS;
    expect(listed as readonly string[]).toContain(name);
  });

  it('lists every error class once', () => {
    expect([...errors.RETRYABLE_ERRORS, ...errors.FINAL_ERRORS].sort()).toEqual(classes.map((cls) => cls.name).sort());
  });
});
