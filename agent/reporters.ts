/** Where "Certificate Reload Failed" goes besides the agent's own log line. */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EVENT_SOURCE } from '../lambdas/ports';
import { RELOAD_FAILED_DETAIL_TYPE, type CertificateReloadFailedEvent, type ReloadFailureReporter } from './ports';

/** Locally: appended to events.jsonl, shaped like the pipeline's EventBridge envelopes. */
export class EventFileReporter implements ReloadFailureReporter {
  constructor(
    readonly file: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async reloadFailed(detail: CertificateReloadFailedEvent): Promise<void> {
    const event = { time: this.now().toISOString(), source: EVENT_SOURCE, 'detail-type': RELOAD_FAILED_DETAIL_TYPE, detail };
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    await fs.appendFile(this.file, `${JSON.stringify(event)}\n`);
  }
}

/**
 * On AWS: put on the pipeline's bus, next to "Certificate Renewed", so the same rules and
 * alarms see it. Minimal IAM (in the host policy): events:PutEvents on the bus, only this
 * detail-type and source (condition keys events:detail-type, events:source).
 */
export class EventBridgeReporter implements ReloadFailureReporter {
  constructor(
    private readonly client: Pick<EventBridgeClient, 'send'>,
    readonly busName: string,
  ) {}

  async reloadFailed(detail: CertificateReloadFailedEvent): Promise<void> {
    const response = await this.client.send(
      new PutEventsCommand({
        Entries: [{ EventBusName: this.busName, Source: EVENT_SOURCE, DetailType: RELOAD_FAILED_DETAIL_TYPE, Detail: JSON.stringify(detail) }],
      }),
    );
    if (response.FailedEntryCount) throw new Error(`EventBridge refused "${RELOAD_FAILED_DETAIL_TYPE}": ${response.Entries?.[0]?.ErrorCode ?? '?'}`);
  }
}
