/** The agent's two loops: events as they arrive, and a periodic reconcile for events that never came. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../domain/ports';
import { isDone, type CertificateAgent } from './certificate-agent';
import { errorMessage } from './errors';
import type { EventSource } from './ports';

const quietly = (promise: Promise<unknown>) => promise.then(() => undefined, () => undefined);

export interface EventLoopOptions {
  readonly agent: CertificateAgent;
  readonly events: EventSource;
  readonly log: Logger;
  readonly signal: AbortSignal;
  /** Pause after a failed receive (network down, throttled). */
  readonly errorBackoffMs?: number;
}

export async function runEventLoop({ agent, events, log, signal, errorBackoffMs = 5_000 }: EventLoopOptions): Promise<void> {
  while (!signal.aborted) {
    let batch;
    try {
      batch = await events.receive(signal);
    } catch (error) {
      if (signal.aborted) break;
      log.error('receiving events failed', { error: errorMessage(error), retryInMs: errorBackoffMs });
      await quietly(sleep(errorBackoffMs, undefined, { signal }));
      continue;
    }
    for (const event of batch) {
      const outcome = signal.aborted ? undefined : await agent.handleEvent(event);
      try {
        if (outcome && isDone(outcome)) {
          await events.ack(event);
          log.info('event acknowledged', { eventId: event.id, outcome: outcome.status });
        } else {
          await events.release(event);
          log.warn('event left for retry', { eventId: event.id, receiveCount: event.receiveCount, reason: outcome?.status === 'failed' ? outcome.reason : 'stopping' });
        }
      } catch (error) {
        // A failed delete only means one more (duplicate) delivery, which is ignored.
        log.error('acknowledging the event failed', { eventId: event.id, error: errorMessage(error) });
      }
    }
  }
}

export interface ReconcileLoopOptions {
  readonly agent: CertificateAgent;
  readonly certificateIds: readonly string[];
  readonly intervalMs: number;
  readonly signal: AbortSignal;
}

export function runReconcileLoop({ agent, certificateIds, intervalMs, signal }: ReconcileLoopOptions): Promise<void> {
  return runPeriodically(intervalMs, signal, async () => {
    for (const certificateId of certificateIds) await agent.reconcile(certificateId);
  });
}

/** `task` every `intervalMs` until aborted (first run after one interval); `task` handles its own errors. */
export async function runPeriodically(intervalMs: number, signal: AbortSignal, task: () => Promise<void>): Promise<void> {
  for (;;) {
    await quietly(sleep(intervalMs, undefined, { signal }));
    if (signal.aborted) return;
    await task();
  }
}
