/**
 * Runs the synthesized state machine in-process with aws-local-stepfunctions, each Lambda task
 * mapped to its step in the catalogue (given only its ports, as its role allows on AWS), and reports
 * progress per state as it goes.
 */
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { countsAgainstOrderBudget } from '../domain/core/scan-selection';
import { STEPS } from '../lambdas/catalogue';
import type { StepDeps } from '../lambdas/deps';
import { localExecutionName, runningHere } from '../domain/adapters/local/local-executions';
import type { LocalDefinition } from './definition';
import { validationPlan } from './validated-definitions';

// aws-local-stepfunctions calls Promise.withResolvers (Node ≥ 22); on Node 20 every Task
// would throw a TypeError that a States.ALL catch swallows. Provide it.
if (!('withResolvers' in Promise)) {
  Object.defineProperty(Promise, 'withResolvers', {
    value<T>() {
      let resolve!: (value: T) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

export interface HistoryEvent {
  readonly type: string;
  readonly timestamp: number;
  readonly state?: { name: string; type: string; input: unknown; output?: unknown };
  readonly Error?: string;
  readonly Cause?: unknown;
  readonly [key: string]: unknown;
}

export interface ExecutionResult {
  readonly executionId: string;
  /** ABORTED: stopped by `RunOptions.signal`, as StopExecution stops one on AWS (no Catch runs). */
  readonly status: 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  readonly history: HistoryEvent[];
  /** States entered (what AWS bills as state transitions for Standard workflows). */
  readonly transitions: number;
  readonly lambdaInvocations: number;
}

/** The first waits of a loop are free; then 10 ms doubling to 250 ms (a 60-check loop then lasts ≥ 13 s). */
const FREE_WAITS = 3;
const FIRST_WAIT_MS = 10;
const MAX_WAIT_MS = 250;

export function localWaitMs(visit: number): number {
  return visit <= FREE_WAITS ? 0 : Math.min(MAX_WAIT_MS, FIRST_WAIT_MS * 2 ** (visit - FREE_WAITS - 1));
}

/**
 * The Wait overrides of one execution: `fixedMs` for every Wait state, else each state's own
 * backoff. aws-local-stepfunctions reads the override each time a Wait state is entered, so a
 * getter counts the visits. (Locally the poll loops' real waits — seconds on AWS — would make
 * every command slow; none at all let 60 checks pass in about a second, which a CA starved of
 * CPU on a busy 2-core machine outlasted.)
 */
function localWaits(waitStates: readonly string[], fixedMs: number | undefined): Record<string, number> {
  const waits: Record<string, number> = {};
  for (const name of waitStates) {
    let visits = 0;
    Object.defineProperty(waits, name, { enumerable: true, get: () => fixedMs ?? localWaitMs((visits += 1)) });
  }
  return waits;
}

export interface RunOptions {
  readonly executionName?: string;
  /**
   * Milliseconds for every Wait state. Unset: a backoff per Wait state (see localWaits), so a poll
   * loop's bounded attempts outlast a slow CA on a busy machine without slowing the usual case.
   */
  readonly waitMs?: number;
  /** Milliseconds for every Retry interval. */
  readonly retryMs?: number;
  readonly onEvent?: (event: HistoryEvent) => void;
  /**
   * Wraps each Lambda invocation (fault injection): `invoke` runs the step's handler. What it
   * throws is reported the way Lambda reports it, so the definition's Retry and Catch apply.
   */
  readonly aroundStep?: (stateName: string, invoke: () => Promise<unknown>) => Promise<unknown>;
  /** Stops the execution where it is, as StopExecution does on AWS: no Catch, no cleanup (the fault matrix's abort). */
  readonly signal?: AbortSignal;
}

/** Lambda reports a thrown error as Error = its name, Cause = JSON {errorType, errorMessage, trace}. */
function asLambdaError(error: unknown): Error {
  const original = error instanceof Error ? error : new Error(String(error));
  const failure = new Error(JSON.stringify({ errorType: original.name, errorMessage: original.message, trace: [] }));
  failure.name = original.name;
  return failure;
}

export class LocalExecutor {
  private readonly machine: StateMachine;
  private counter = 0;
  private readonly starts: { readonly at: number; readonly budgeted: boolean }[] = [];

  constructor(
    private readonly local: LocalDefinition,
    private readonly deps: StepDeps,
    /** Handlers for Task states that are not Lambda steps (e.g. startExecution.sync), by state name. */
    private readonly otherTasks: Record<string, (input: unknown) => Promise<unknown>> = {},
    /** Adds what the environment knows to a step's error (e.g. that the local CA process exited). */
    private readonly explainStepError: (error: unknown) => unknown = (error) => error,
    /** The machine's name, in execution and state machine ARNs. */
    private readonly machineName: string = 'RenewCertificate',
  ) {
    const validation = validationPlan(local.definition); // validated once per definition, not per process
    this.machine = new StateMachine(local.definition as unknown as StateMachineDefinition, { validationOptions: validation.options });
    validation.passed();
  }

  /** Every state, Map item processors included. */
  private static allStates(states: Record<string, Record<string, unknown>>): [string, Record<string, unknown>][] {
    return Object.entries(states).flatMap(([name, state]) => {
      const processor = (state.ItemProcessor ?? state.Iterator) as { States: Record<string, Record<string, unknown>> } | undefined;
      return [[name, state] as [string, Record<string, unknown>], ...(processor ? LocalExecutor.allStates(processor.States) : [])];
    });
  }

  private taskHandlers(count: () => void, aroundStep: RunOptions['aroundStep'] = (_state, invoke) => invoke()) {
    const handlers: Record<string, (input: unknown) => Promise<never>> = {};
    for (const [name, state] of LocalExecutor.allStates(this.local.definition.States)) {
      if (state.Type !== 'Task') continue;
      const other = this.otherTasks[name];
      if (other) {
        handlers[name] = async (input) => (await other(input)) as never;
        continue;
      }
      const step = this.local.stepsByArn.get(String(state.Resource));
      if (!step) throw new Error(`task ${name} has no local step for ${String(state.Resource)}`);
      const { invoke } = STEPS[step];
      handlers[name] = async (input) => {
        try {
          return (await aroundStep(name, () => {
            count();
            return invoke(input, this.deps);
          })) as never;
        } catch (error) {
          throw asLambdaError(this.explainStepError(error));
        }
      };
    }
    return handlers;
  }

  /** Executions started at or after `since` that count against the ACME order budget (the local order ledger): not private issuances. */
  startedSince(since: Date): number {
    return this.starts.filter((start) => start.budgeted && start.at >= since.getTime()).length;
  }

  async run(input: unknown, options: RunOptions = {}): Promise<ExecutionResult> {
    const issuer = (input as { issuer?: unknown } | undefined)?.issuer;
    this.starts.push({ at: Date.now(), budgeted: countsAgainstOrderBudget(issuer === 'privateCa' ? issuer : undefined) });
    // The name says which process runs it: a lease it holds is taken over once that process is gone.
    const name = options.executionName ?? localExecutionName(++this.counter);
    const executionId = `arn:aws:states:eu-west-1:000000000000:execution:${this.machineName}:${name}`;
    let lambdaInvocations = 0;
    const stateNames = LocalExecutor.allStates(this.local.definition.States).map(([name]) => name);
    const execution = this.machine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: this.taskHandlers(() => (lambdaInvocations += 1), options.aroundStep),
        waitTimeOverrides: localWaits(
          LocalExecutor.allStates(this.local.definition.States)
            .filter(([, state]) => state.Type === 'Wait')
            .map(([name]) => name),
          options.waitMs,
        ),
        retryIntervalOverrides: Object.fromEntries(stateNames.map((s) => [s, options.retryMs ?? 0])),
      },
      context: {
        Execution: { Id: executionId, Name: name, Input: input as never, StartTime: new Date().toISOString() },
        StateMachine: { Id: `arn:aws:states:eu-west-1:000000000000:stateMachine:${this.machineName}`, Name: this.machineName },
      },
    });
    const history: HistoryEvent[] = [];
    const collecting = (async () => {
      for await (const event of execution.eventLogs) {
        history.push(event as unknown as HistoryEvent);
        options.onEvent?.(event as unknown as HistoryEvent);
      }
    })();
    let result: Pick<ExecutionResult, 'status' | 'output' | 'error' | 'cause'>;
    const done = runningHere(executionId);
    const abort = () => execution.abort();
    options.signal?.addEventListener('abort', abort, { once: true });
    try {
      result = { status: 'SUCCEEDED', output: await execution.result };
    } catch (error) {
      const failed = error as { name?: string; cause?: { name?: string; message?: string }; message: string };
      result = options.signal?.aborted
        ? { status: 'ABORTED', error: 'ExecutionAborted', cause: 'stopped by its signal' }
        : { status: 'FAILED', error: failed.cause?.name ?? 'ExecutionError', cause: failed.cause?.message ?? failed.message };
    } finally {
      options.signal?.removeEventListener('abort', abort);
      done();
    }
    await collecting;
    const transitions = history.filter((event) => event.type === 'StateEntered').length;
    return { executionId, ...result, history, transitions, lambdaInvocations };
  }
}
