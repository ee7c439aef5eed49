/**
 * `certflow issue|renew --aws` follows its execution live (bin/commands/aws-follow.ts) with
 * aws-sdk-client-mock, where the emulator cannot (it runs no Lambda task). The responses follow
 * the API reference: GetExecutionHistory pages with nextToken and events with increasing ids
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html),
 * DescribeExecution status RUNNING | SUCCEEDED | FAILED | TIMED_OUT | ABORTED with error and cause
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html).
 */
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { awsRevoke, awsRun, type AwsContext } from '../../../bin/commands/aws';
import { executionName, followExecution } from '../../../bin/commands/aws-follow';

const sfn = mockClient(SFNClient);
const MACHINE = 'arn:aws:states:eu-west-1:111122223333:stateMachine:certflow-RenewCertificate';
const EXECUTION = `${MACHINE.replace(':stateMachine:', ':execution:')}:broker-eu1-x`;
const T0 = Date.parse('2026-12-01T10:00:00Z');

let nextId = 1;
const at = (seconds: number) => new Date(T0 + seconds * 1000);
const entered = (name: string, s: number): HistoryEvent => ({ id: nextId++, timestamp: at(s), type: 'TaskStateEntered', stateEnteredEventDetails: { name } });
const exited = (name: string, s: number): HistoryEvent => ({ id: nextId++, timestamp: at(s), type: 'TaskStateExited', stateExitedEventDetails: { name } });
const started = (): HistoryEvent => ({ id: nextId++, timestamp: at(0), type: 'ExecutionStarted' });

beforeEach(() => {
  sfn.reset();
  nextId = 1;
});

function follow(lines: string[]) {
  const sleeps: number[] = [];
  return {
    sleeps,
    run: () => followExecution(new SFNClient({ region: 'eu-west-1' }), EXECUTION, { pollMs: 250, write: (line) => lines.push(line), sleep: async (ms) => void sleeps.push(ms) }),
  };
}

describe('following an execution', () => {
  it('prints each state once as it enters and exits, across history pages and polls, until SUCCEEDED', async () => {
    const first = [started(), entered('ValidateRequest', 0.1), exited('ValidateRequest', 0.4)];
    const second = [entered('CreateOrder', 0.5)];
    const third = [exited('CreateOrder', 2.5), entered('Renewed', 2.6), { id: nextId++, timestamp: at(2.7), type: 'ExecutionSucceeded' as const }];
    sfn.on(DescribeExecutionCommand)
      .resolvesOnce({ status: 'RUNNING' })
      .resolvesOnce({ status: 'RUNNING' })
      .resolves({ status: 'SUCCEEDED', output: '{"stored":{"version":"v2"}}' });
    sfn.on(GetExecutionHistoryCommand)
      // Poll 1: two pages. Poll 2: the whole history again, one new event. Poll 3: three more.
      .resolvesOnce({ events: first.slice(0, 2), nextToken: 'p2' })
      .resolvesOnce({ events: first.slice(2) })
      .resolvesOnce({ events: [...first, ...second] })
      .resolvesOnce({ events: [...first, ...second, ...third] });
    const lines: string[] = [];
    const { run, sleeps } = follow(lines);
    const result = await run();

    expect(result).toMatchObject({ executionArn: EXECUTION, status: 'SUCCEEDED', output: { stored: { version: 'v2' } } });
    expect(result.error).toBeUndefined();
    expect(result.states.map((s) => [s.name, s.exitedAt !== undefined])).toEqual([['ValidateRequest', true], ['CreateOrder', true], ['Renewed', false]]);
    expect(lines.map((line) => line.trim())).toEqual([
      '0.1 s  #1   ▶ ValidateRequest',
      '0.4 s       ✓ ValidateRequest (0.3 s)',
      '0.5 s  #2   ▶ CreateOrder',
      '2.5 s       ✓ CreateOrder (2.0 s)',
      '2.6 s  #3   ▶ Renewed',
    ]);
    expect(sleeps).toEqual([250, 250]);
    const historyCalls = sfn.commandCalls(GetExecutionHistoryCommand).map((call) => call.args[0].input);
    expect(historyCalls[0]).toEqual({ executionArn: EXECUTION, maxResults: 1000, includeExecutionData: false });
    expect(historyCalls[1]).toEqual({ executionArn: EXECUTION, maxResults: 1000, includeExecutionData: false, nextToken: 'p2' });
  });

  it('returns FAILED with the error name and cause DescribeExecution gives, printing the failed task', async () => {
    const events: HistoryEvent[] = [
      started(),
      entered('ValidateRequest', 0.1),
      { id: nextId++, timestamp: at(0.2), type: 'LambdaFunctionFailed', lambdaFunctionFailedEventDetails: { error: 'InvalidCertificateRequest', cause: '{"errorMessage":"names: required"}' } },
      { id: nextId++, timestamp: at(0.9), type: 'ExecutionFailed', executionFailedEventDetails: { error: 'InvalidCertificateRequest', cause: 'names: required' } },
    ];
    sfn.on(DescribeExecutionCommand).resolves({ status: 'FAILED', error: 'InvalidCertificateRequest', cause: "names: required, as 'x' is not a declared certificate" });
    sfn.on(GetExecutionHistoryCommand).resolves({ events });
    const lines: string[] = [];
    const result = await follow(lines).run();
    expect(result).toMatchObject({ status: 'FAILED', error: 'InvalidCertificateRequest', cause: "names: required, as 'x' is not a declared certificate" });
    expect(lines.at(-1)?.trim()).toBe('0.2 s       ✗ InvalidCertificateRequest');
  });

  it('names a timeout States.Timeout, from the history when DescribeExecution gives no error', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ status: 'TIMED_OUT' });
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [started(), entered('CheckDnsSync', 1), { id: nextId++, timestamp: at(3600), type: 'ExecutionTimedOut', executionTimedOutEventDetails: { error: 'States.Timeout', cause: 'execution timed out' } }],
    });
    expect(await follow([]).run()).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout', cause: 'execution timed out' });
  });

  it('still names a timeout with an empty history', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ status: 'TIMED_OUT' });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
    expect(await follow([]).run()).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
  });

  it('names an abort ABORTED', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ status: 'ABORTED' });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [started()] });
    expect(await follow([]).run()).toMatchObject({ status: 'ABORTED', error: 'ABORTED' });
  });

  it('gives up following after maxWaitMs, saying the execution goes on', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
    let clock = 0;
    const following = followExecution(new SFNClient({ region: 'eu-west-1' }), EXECUTION, {
      maxWaitMs: 5000,
      now: () => clock,
      sleep: async (ms) => void (clock += ms),
    });
    await expect(following).rejects.toThrow(/stopped following .* after 5 s: it is still RUNNING/);
  });
});

describe('certflow issue|renew --aws (awsRun)', () => {
  const context = (json: boolean, out: string[], err: string[]): AwsContext => ({
    clients: { sfn: new SFNClient({ region: 'eu-west-1' }) } as AwsContext['clients'],
    names: { stateMachineArn: MACHINE, secretPrefix: 'certflow/', eventBus: 'certflow' },
    json,
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    follow: { pollMs: 1, sleep: async () => {} },
    now: () => new Date(T0),
  });

  it('starts {certificateId} alone for renew and exits 0 on SUCCEEDED; --json prints one document on stdout', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: at(0) });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED', output: '{}' });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [started(), entered('ValidateRequest', 0.1), exited('ValidateRequest', 0.2)] });
    const out: string[] = [];
    const err: string[] = [];
    expect(await awsRun(context(true, out, err), { certificateId: 'broker-eu1' })).toBe(0);
    const start = sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input;
    expect(start).toEqual({ stateMachineArn: MACHINE, name: expect.stringMatching(/^broker-eu1-20261201T100000Z-[0-9a-f]{4}$/), input: '{"certificateId":"broker-eu1"}' });
    expect(JSON.parse(out.join('\n'))).toMatchObject({ certificateId: 'broker-eu1', executionArn: EXECUTION, status: 'SUCCEEDED', states: [{ name: 'ValidateRequest' }] });
    expect(err.join('\n')).toContain('▶ ValidateRequest');
  });

  it('exits 1 with the error name on FAILED', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: at(0) });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'FAILED', error: 'DnsSyncTimeout', cause: 'not in sync after 30 checks' });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [started()] });
    const out: string[] = [];
    const err: string[] = [];
    expect(await awsRun(context(false, out, err), { certificateId: 'broker-eu1', names: ['mq.example.com'] })).toBe(1);
    expect(err.join('\n')).toContain('FAILED: DnsSyncTimeout: not in sync after 30 checks');
  });

  it('exits 2 without a state machine ARN, starting nothing', async () => {
    const err: string[] = [];
    const ctx = { ...context(false, [], err), names: { secretPrefix: 'certflow/', eventBus: 'certflow' } };
    expect(await awsRun(ctx, { certificateId: 'broker-eu1' })).toBe(2);
    expect(err.join('\n')).toMatch(/--state-machine-arn or set CERTFLOW_STATE_MACHINE_ARN/);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('names executions within Step Functions\' 80 characters', () => {
    expect(executionName('a'.repeat(64), new Date(T0)).length).toBeLessThanOrEqual(80);
    expect(executionName('a'.repeat(64), new Date(T0), 'privateCa').length).toBeLessThanOrEqual(80);
  });

  it('names a run that asks for the private CA as private (the order ledger leaves it out of the ACME budget); others by the certificate id', () => {
    expect(executionName('broker-eu1', new Date(T0), 'privateCa')).toMatch(/^privateCa-broker-eu1-\d{8}T\d{6}Z-[0-9a-f]{4}$/);
    expect(executionName('broker-eu1', new Date(T0), 'acme')).toMatch(/^broker-eu1-\d{8}T\d{6}Z-[0-9a-f]{4}$/);
    expect(executionName('broker-eu1', new Date(T0))).toMatch(/^broker-eu1-/);
  });
});

describe('certflow revoke --aws (awsRevoke)', () => {
  const REVOKE = 'arn:aws:states:eu-west-1:111122223333:stateMachine:certflow-RevokeCertificate';
  const context = (names: AwsContext['names'], err: string[]): AwsContext => ({
    clients: { sfn: new SFNClient({ region: 'eu-west-1' }) } as AwsContext['clients'],
    names,
    json: false,
    out: () => {},
    err: (line) => err.push(line),
    follow: { pollMs: 1, sleep: async () => {} },
    now: () => new Date(T0),
  });
  const input = { certificateId: 'broker-eu1', reason: 'keyCompromise', reissue: true };

  it('starts certflow-RevokeCertificate beside the RenewCertificate machine with the revocation input, and follows it', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${REVOKE.replace(':stateMachine:', ':execution:')}:x`, startDate: at(0) });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED', output: '{}' });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [started(), entered('RevokeAtCa', 0.1), exited('RevokeAtCa', 0.3)] });
    expect(await awsRevoke(context({ stateMachineArn: MACHINE, secretPrefix: 'certflow/', eventBus: 'certflow' }, []), input)).toBe(0);
    const start = sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input;
    expect(start.stateMachineArn).toBe(REVOKE);
    expect(JSON.parse(start.input!)).toEqual(input);
  });

  it('exits 1 with the error name when the revocation fails, and 2 when the revoke machine cannot be told', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:own-revoke:x', startDate: at(0) });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'FAILED', error: 'NothingToRevoke', cause: 'no current version' });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [started()] });
    const err: string[] = [];
    const named = { stateMachineArn: 'arn:aws:states:eu-west-1:111122223333:stateMachine:renewals', revokeStateMachineArn: 'arn:aws:states:eu-west-1:111122223333:stateMachine:own-revoke', secretPrefix: 'certflow/', eventBus: 'certflow' };
    expect(await awsRevoke(context(named, err), input)).toBe(1);
    expect(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input.stateMachineArn).toBe(named.revokeStateMachineArn);
    expect(err.join('\n')).toContain('FAILED: NothingToRevoke');
    const { revokeStateMachineArn: _unused, ...unnamed } = named;
    expect(await awsRevoke(context(unnamed, err), input)).toBe(2);
    expect(err.join('\n')).toMatch(/--revoke-state-machine-arn/);
  });
});
