/**
 * Local event publisher: EventBridge-shaped entries appended as JSON lines, plus in-process
 * subscribers. `appendEvent` is the one JSON-lines writer: the host agent's reporter uses it too.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { z } from 'zod';
import { EVENT_SCHEMAS } from '../../contracts/events';
import { parseContract } from '../../contracts/parse';
import { isErrno, StoreInconsistent } from '../../core/errors';
import {
  DETAIL_TYPES,
  EVENT_SOURCE,
  type CertificateExpiringEvent,
  type CertificateRenewalFailedEvent,
  type CertificateRenewedEvent,
  type CertificateRevocationFailedEvent,
  type CertificateRevokedEvent,
  type CertificateRolledBackEvent,
  type EventPublisher,
  type OperatorEvents,
} from '../../ports';

export interface LocalEvent<
  Detail =
    | CertificateRenewedEvent
    | CertificateRenewalFailedEvent
    | CertificateExpiringEvent
    | CertificateRolledBackEvent
    | CertificateRevokedEvent
    | CertificateRevocationFailedEvent,
> {
  readonly time: string;
  readonly source: string;
  readonly 'detail-type': string;
  readonly detail: Detail;
}

/** One line of the file: an EventBridge-shaped envelope. */
const LocalEventSchema = z.object({
  time: z.string().min(1),
  source: z.string().min(1),
  'detail-type': z.string().min(1),
  detail: z.record(z.string(), z.unknown()),
});

/** Append one event (source `certflow`) to a JSON-lines file, creating its folder; returns what was written. */
export async function appendEvent<Detail>(file: string, detailType: string, detail: Detail, time: Date): Promise<LocalEvent<Detail>> {
  const event: LocalEvent<Detail> = { time: time.toISOString(), source: EVENT_SOURCE, 'detail-type': detailType, detail };
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.appendFile(file, `${JSON.stringify(event)}\n`);
  return event;
}

export type Subscriber = (event: LocalEvent) => void | Promise<void>;

export class LocalEventLog implements EventPublisher, OperatorEvents {
  private readonly subscribers: Subscriber[] = [];

  constructor(
    readonly file: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  subscribe(subscriber: Subscriber): () => void {
    this.subscribers.push(subscriber);
    return () => this.subscribers.splice(this.subscribers.indexOf(subscriber), 1);
  }

  private async publish(detailType: string, detail: LocalEvent['detail']): Promise<void> {
    const event = await appendEvent(this.file, detailType, detail, this.now());
    for (const subscriber of this.subscribers) await subscriber(event);
  }

  renewed(event: CertificateRenewedEvent): Promise<void> {
    return this.publish(DETAIL_TYPES.renewed, event);
  }

  failed(event: CertificateRenewalFailedEvent): Promise<void> {
    return this.publish(DETAIL_TYPES.failed, event);
  }

  expiring(event: CertificateExpiringEvent): Promise<void> {
    return this.publish(DETAIL_TYPES.expiring, event);
  }

  rolledBack(event: CertificateRolledBackEvent): Promise<void> {
    return this.publish(DETAIL_TYPES.rolledBack, event);
  }

  revoked(event: CertificateRevokedEvent): Promise<void> {
    return this.publish(DETAIL_TYPES.revoked, event);
  }

  revocationFailed(event: CertificateRevocationFailedEvent): Promise<void> {
    return this.publish(DETAIL_TYPES.revocationFailed, event);
  }

  /**
   * Every event in the file, any detail-type (the agent and the CLI append theirs too), each
   * envelope checked; the detail of a known detail-type against its schema.
   */
  async read(): Promise<LocalEvent<Record<string, unknown>>[]> {
    try {
      const text = await fs.readFile(this.file, 'utf8');
      return text
        .split('\n')
        .filter(Boolean)
        .map((line, index) => {
          const fail = (message: string) => new StoreInconsistent(`${this.file} line ${index + 1}: ${message}`);
          let value: unknown;
          try {
            value = JSON.parse(line);
          } catch {
            throw fail('not JSON');
          }
          const event = parseContract(LocalEventSchema, value, fail);
          const schema = EVENT_SCHEMAS[event['detail-type'] as keyof typeof EVENT_SCHEMAS];
          if (schema) parseContract(schema, event.detail, fail, { root: 'detail' });
          return event;
        });
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return [];
      throw error;
    }
  }
}

LocalEventLog satisfies new (file: string) => EventPublisher;
