/**
 * Local event source: tails the pipeline's events.jsonl (works across processes), and wakes at
 * once when given the in-process LocalEventLog. Behaves like the SQS queue it stands in for:
 * a released event comes back after `retryDelayMs` (the visibility timeout), and after
 * `maxReceives` deliveries it is dead-lettered (logged and dropped).
 */
import { statSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import type { LocalEventLog } from '../../../domain/adapters/local/event-log';
import type { Logger } from '../../../domain/ports';
import type { EventSource, ReceivedEvent } from '../../ports';
import { isStoreNoticeEnvelope } from '../../store-notice';

export interface EventFileSourceOptions {
  readonly file: string;
  /** How often the file is checked while waiting. */
  readonly pollMs?: number;
  /** Longest a receive waits for something to arrive. */
  readonly waitMs?: number;
  readonly retryDelayMs?: number;
  readonly maxReceives?: number;
  /** The in-process event log: a publish wakes a waiting receive immediately. */
  readonly wake?: Pick<LocalEventLog, 'subscribe'>;
  readonly log?: Logger;
}

interface Redelivery {
  readonly event: ReceivedEvent;
  readonly due: number;
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

export class EventFileSource implements EventSource {
  private offset: number;
  private readonly redeliveries: Redelivery[] = [];
  private wakeUp: (() => void) | undefined;
  private readonly unsubscribe: (() => void) | undefined;

  constructor(private readonly options: EventFileSourceOptions) {
    // Only what is appended from now on; taken before the agent's start-up catch-up, so nothing falls in between.
    this.offset = sizeOf(options.file);
    this.unsubscribe = options.wake?.subscribe(() => this.wakeUp?.());
  }

  async receive(signal?: AbortSignal): Promise<ReceivedEvent[]> {
    const { pollMs = 250, waitMs = 20_000 } = this.options;
    const deadline = Date.now() + waitMs;
    for (;;) {
      const ready = [...this.dueRedeliveries(), ...(await this.readAppended())];
      if (ready.length > 0 || signal?.aborted || Date.now() >= deadline) return ready;
      const nextRedelivery = Math.min(...this.redeliveries.map((entry) => entry.due));
      await this.pause(Math.max(0, Math.min(pollMs, deadline - Date.now(), nextRedelivery - Date.now())), signal);
    }
  }

  /** Nothing to do: only released events are kept (for redelivery). */
  async ack(_event: ReceivedEvent): Promise<void> {}

  async release(event: ReceivedEvent): Promise<void> {
    const { retryDelayMs = 30_000, maxReceives = 5 } = this.options;
    if (event.receiveCount >= maxReceives) {
      this.options.log?.error('event dead-lettered after too many deliveries', { eventId: event.id, receiveCount: event.receiveCount });
      return;
    }
    const again = { ...event, receipt: `${event.id}#${event.receiveCount + 1}`, receiveCount: event.receiveCount + 1 };
    this.redeliveries.push({ event: again, due: Date.now() + retryDelayMs });
  }

  close(): void {
    this.unsubscribe?.();
    this.wakeUp?.();
  }

  private dueRedeliveries(): ReceivedEvent[] {
    const now = Date.now();
    const due = this.redeliveries.filter((entry) => entry.due <= now);
    for (const entry of due) this.redeliveries.splice(this.redeliveries.indexOf(entry), 1);
    return due.map((entry) => entry.event);
  }

  /** Complete lines appended since the last read; a line still being written waits for the next read. */
  private async readAppended(): Promise<ReceivedEvent[]> {
    const size = sizeOf(this.options.file);
    if (size < this.offset) this.offset = 0; // truncated or replaced: start over
    if (size === this.offset) return [];
    const handle = await fs.open(this.options.file, 'r');
    let chunk: Buffer;
    try {
      chunk = Buffer.alloc(size - this.offset);
      await handle.read(chunk, 0, chunk.length, this.offset);
    } finally {
      await handle.close();
    }
    const complete = chunk.lastIndexOf(0x0a) + 1;
    const events: ReceivedEvent[] = [];
    let lineStart = this.offset;
    for (const line of chunk.subarray(0, complete).toString('utf8').split('\n').slice(0, -1)) {
      const id = `${this.options.file}:${lineStart}`;
      lineStart += Buffer.byteLength(line) + 1;
      let envelope: unknown;
      try {
        envelope = JSON.parse(line);
      } catch {
        this.options.log?.warn('skipped a line of the event log that is not JSON', { eventId: id });
        continue;
      }
      if (isStoreNoticeEnvelope(envelope)) events.push({ id, receipt: `${id}#1`, envelope, receiveCount: 1 });
    }
    this.offset += complete;
    return events;
  }

  private pause(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.wakeUp = done;
    });
  }
}
