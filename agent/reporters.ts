/** Where "Certificate Reload Failed" goes besides the agent's own log line. */
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { putEvent } from '../domain/adapters/aws/eventbridge-events';
import { appendEvent } from '../domain/adapters/local/event-log';
import { RELOAD_FAILED_DETAIL_TYPE, type CertificateReloadFailedEvent, type ReloadFailureReporter } from './ports';

/** Locally: appended to events.jsonl, shaped like the pipeline's EventBridge envelopes. */
export class EventFileReporter implements ReloadFailureReporter {
  constructor(
    readonly file: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async reloadFailed(detail: CertificateReloadFailedEvent): Promise<void> {
    await appendEvent(this.file, RELOAD_FAILED_DETAIL_TYPE, detail, this.now());
  }
}

/**
 * On AWS: put on the pipeline's bus, next to "Certificate Renewed", so the same rules and
 * alarms see it. Minimal IAM (in the host policy): events:PutEvents on the bus, only this
 * detail-type and source (condition keys events:detail-type, events:source). A refused entry
 * is EventPublishFailed, as in the pipeline.
 */
export class EventBridgeReporter implements ReloadFailureReporter {
  constructor(
    private readonly client: Pick<EventBridgeClient, 'send'>,
    readonly busName: string,
  ) {}

  reloadFailed(detail: CertificateReloadFailedEvent): Promise<void> {
    return putEvent(this.client, { busName: this.busName, detailType: RELOAD_FAILED_DETAIL_TYPE, detail });
  }
}
