/**
 * ExecutionStatus on the local default: executions run inside the `certflow` process that started
 * them, so an execution is over when that process is (Ctrl-C, a kill) or, in this very process,
 * when it is no longer running here (an aborted run). The execution's name says which process runs
 * it: `p<pid>.<start>-<ms>-<n>`, where <start> is the process's start time in clock ticks since
 * boot (/proc/<pid>/stat field 22), so a reused pid is not mistaken for the holder. Without /proc
 * (not Linux) <start> is `x` and a live pid counts as the holder.
 */
import { readFileSync } from 'node:fs';
import type { ExecutionStatus } from '../../ports';

/** A process's start in clock ticks since boot; undefined without /proc (or once it is gone). */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may hold spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export interface LocalProcess {
  readonly pid: number;
  /** Undefined: unknown (no /proc). */
  readonly start?: string;
}

const THIS_PROCESS: LocalProcess = (() => {
  const start = processStart(process.pid);
  return { pid: process.pid, ...(start ? { start } : {}) };
})();

/** The name of an execution this process runs: it names the process (see above). */
export function localExecutionName(counter: number, now = Date.now()): string {
  return `p${THIS_PROCESS.pid}.${THIS_PROCESS.start ?? 'x'}-${now}-${counter}`;
}

/** The process named in a local execution's id (ARN or name); undefined for any other id. */
export function processOf(executionId: string): LocalProcess | undefined {
  const match = /(?:^|:)p(\d+)\.(\d+|x)-\d+-\d+$/.exec(executionId);
  if (!match) return undefined;
  return { pid: Number(match[1]), ...(match[2] !== 'x' ? { start: match[2] } : {}) };
}

/** Executions running in this process (the local runner adds and removes them). */
const running = new Set<string>();

/** Marks `executionId` running in this process until the returned function is called. */
export function runningHere(executionId: string): () => void {
  running.add(executionId);
  return () => running.delete(executionId);
}

function isAlive({ pid, start }: LocalProcess): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    // EPERM: it exists, under another user
  }
  if (start === undefined) return true;
  const now = processStart(pid);
  return now === undefined || now === start;
}

export class LocalExecutions implements ExecutionStatus {
  async isGone(executionId: string): Promise<boolean> {
    const owner = processOf(executionId);
    if (!owner) return false; // not a local execution id (or from before holders named their process): cannot tell
    if (owner.pid === THIS_PROCESS.pid && owner.start === THIS_PROCESS.start) return !running.has(executionId);
    return !isAlive(owner);
  }
}

LocalExecutions satisfies new () => ExecutionStatus;
