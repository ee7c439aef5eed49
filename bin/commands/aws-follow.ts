/**
 * Start a RenewCertificate execution and follow it live: GetExecutionHistory read again every
 * poll (events after the last one seen), each state printed as it is entered and exited, until
 * DescribeExecution says the execution is over. Only names, times and error names are printed:
 * the state carries identifiers, never secrets (ADR 0001), and the output is not printed unless
 * asked for as JSON.
 *
 * API reference: StartExecution https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html,
 * GetExecutionHistory https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html,
 * DescribeExecution https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html.
 */
import { randomBytes } from 'node:crypto';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, StartExecutionCommand, type HistoryEvent, type SFNClient } from '@aws-sdk/client-sfn';
import { PRIVATE_EXECUTION_PREFIX } from '../../domain/core/scan-selection';

/** Terminal statuses of an execution; RUNNING and PENDING_REDRIVE are not. */
const FINAL_STATUSES = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] as const;
type FinalStatus = (typeof FINAL_STATUSES)[number];
const isFinal = (status: string | undefined): status is FinalStatus => (FINAL_STATUSES as readonly string[]).includes(status ?? '');

/**
 * An execution name: the certificate id (so `history` finds CLI runs by name) and a unique suffix;
 * at most 80 characters. A request naming `issuer: privateCa` runs under the private prefix the
 * order ledger leaves out of the ACME budget (domain/core/scan-selection.ts).
 */
export function executionName(certificateId: string, now: Date, issuer?: unknown): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const prefix = issuer === 'privateCa' ? PRIVATE_EXECUTION_PREFIX : '';
  return `${prefix}${certificateId}-${stamp}-${randomBytes(2).toString('hex')}`.slice(0, 80);
}

interface StateStep {
  readonly name: string;
  readonly enteredAt: string;
  exitedAt?: string;
}

export interface FollowResult {
  readonly executionArn: string;
  readonly status: FinalStatus;
  readonly error?: string;
  readonly cause?: string;
  readonly output?: unknown;
  readonly states: StateStep[];
}

export interface FollowOptions {
  /** Between polls. Default 1 s. */
  readonly pollMs?: number;
  /** Progress lines (stderr with --json, else stdout). */
  readonly write?: (line: string) => void;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Stop following after this long (the execution goes on). Default: never. */
  readonly maxWaitMs?: number;
  readonly now?: () => number;
}

const seconds = (from: Date | undefined, to: Date | undefined) => (from && to ? `${((to.getTime() - from.getTime()) / 1000).toFixed(1)} s` : '');

/** Every event after `afterId`, oldest first, across pages. */
async function eventsAfter(sfn: SFNClient, executionArn: string, afterId: number): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, includeExecutionData: false, ...(nextToken ? { nextToken } : {}) }));
    events.push(...(page.events ?? []).filter((event) => (event.id ?? 0) > afterId));
    nextToken = page.nextToken;
  } while (nextToken);
  return events.sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
}

/** The error name of a failed, timed-out or aborted execution, from the history when DescribeExecution has none. */
function failureOf(events: readonly HistoryEvent[]): { error?: string; cause?: string } {
  for (const event of [...events].reverse()) {
    const details = event.executionFailedEventDetails ?? event.executionTimedOutEventDetails ?? event.executionAbortedEventDetails;
    if (details) return { ...(details.error ? { error: details.error } : {}), ...(details.cause ? { cause: details.cause } : {}) };
  }
  return {};
}

export async function followExecution(sfn: SFNClient, executionArn: string, options: FollowOptions = {}): Promise<FollowResult> {
  const pollMs = options.pollMs ?? 1000;
  const write = options.write ?? (() => {});
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? Date.now;
  const started = now();
  const states: StateStep[] = [];
  const open = new Map<string, { step: StateStep; at?: Date }>();
  const seen: HistoryEvent[] = [];
  let startedAt: Date | undefined;
  let lastId = 0;

  const print = (events: readonly HistoryEvent[]) => {
    for (const event of events) {
      lastId = Math.max(lastId, event.id ?? 0);
      seen.push(event);
      startedAt ??= event.timestamp;
      const at = seconds(startedAt, event.timestamp).padStart(8);
      if (event.stateEnteredEventDetails?.name) {
        const step: StateStep = { name: event.stateEnteredEventDetails.name, enteredAt: event.timestamp?.toISOString() ?? '' };
        states.push(step);
        open.set(step.name, { step, ...(event.timestamp ? { at: event.timestamp } : {}) });
        write(`${at}  #${String(states.length).padEnd(3)} ▶ ${step.name}`);
      } else if (event.stateExitedEventDetails?.name) {
        const entered = open.get(event.stateExitedEventDetails.name);
        if (entered) {
          entered.step.exitedAt = event.timestamp?.toISOString() ?? '';
          open.delete(event.stateExitedEventDetails.name);
        }
        write(`${at}       ✓ ${event.stateExitedEventDetails.name}${entered ? ` (${seconds(entered.at, event.timestamp)})` : ''}`);
      } else {
        const failed = event.taskFailedEventDetails ?? event.lambdaFunctionFailedEventDetails;
        if (failed?.error) write(`${at}       ✗ ${failed.error}`);
      }
    }
  };

  for (;;) {
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    print(await eventsAfter(sfn, executionArn, lastId));
    if (isFinal(described.status)) {
      const failure = described.status === 'SUCCEEDED' ? {} : { ...failureOf(seen), ...(described.error ? { error: described.error } : {}), ...(described.cause ? { cause: described.cause } : {}) };
      const error = described.status === 'SUCCEEDED' ? undefined : (failure.error ?? (described.status === 'TIMED_OUT' ? 'States.Timeout' : described.status));
      let output: unknown;
      if (described.output) {
        try {
          output = JSON.parse(described.output);
        } catch {
          output = described.output;
        }
      }
      return {
        executionArn,
        status: described.status,
        ...(error ? { error } : {}),
        ...(failure.cause ? { cause: failure.cause } : {}),
        ...(output !== undefined ? { output } : {}),
        states,
      };
    }
    if (options.maxWaitMs !== undefined && now() - started >= options.maxWaitMs) {
      throw new Error(`stopped following ${executionArn} after ${Math.round(options.maxWaitMs / 1000)} s: it is still ${described.status ?? 'RUNNING'} (certflow history shows it later)`);
    }
    await sleep(pollMs);
  }
}

/** StartExecution with the request as its input; returns the execution's ARN. */
export async function startRenewal(sfn: SFNClient, stateMachineArn: string, input: { readonly certificateId: string } & Record<string, unknown>, now = new Date()): Promise<string> {
  const { executionArn } = await sfn.send(
    new StartExecutionCommand({ stateMachineArn, name: executionName(input.certificateId, now, input.issuer), input: JSON.stringify(input) }),
  );
  if (!executionArn) throw new Error('StartExecution returned no executionArn');
  return executionArn;
}
