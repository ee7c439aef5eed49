/** Where the agent's reports ("Certificate Installed", "Certificate Reload Failed") go besides its own log. */
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { putEvent } from '../domain/adapters/aws/eventbridge-events';
import { appendEvent } from '../domain/adapters/local/event-log';
import { DETAIL_TYPES, type CertificateInstalledEvent, type CertificateReloadFailedEvent } from '../domain/contracts/events';
import type { HostReporter } from './ports';

/** Locally: appended to events.jsonl, shaped like the pipeline's EventBridge envelopes. */
export class EventFileReporter implements HostReporter {
  constructor(
    readonly file: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async installed(detail: CertificateInstalledEvent): Promise<void> {
    await appendEvent(this.file, DETAIL_TYPES.installed, detail, this.now());
  }

  async failed(detail: CertificateReloadFailedEvent): Promise<void> {
    await appendEvent(this.file, DETAIL_TYPES.reloadFailed, detail, this.now());
  }
}

/**
 * On AWS: put on the pipeline's bus, where the inventory rule and the alarms see them. Minimal
 * IAM (the host policy, infra/subscriber.ts): events:PutEvents on the bus, only these two
 * detail-types and source certflow (condition keys events:detail-type, events:source). A refused
 * entry is EventPublishFailed, as in the pipeline.
 */
export class EventBridgeReporter implements HostReporter {
  constructor(
    private readonly client: Pick<EventBridgeClient, 'send'>,
    readonly busName: string,
  ) {}

  installed(detail: CertificateInstalledEvent): Promise<void> {
    return putEvent(this.client, { busName: this.busName, detailType: DETAIL_TYPES.installed, detail });
  }

  failed(detail: CertificateReloadFailedEvent): Promise<void> {
    return putEvent(this.client, { busName: this.busName, detailType: DETAIL_TYPES.reloadFailed, detail });
  }
}
