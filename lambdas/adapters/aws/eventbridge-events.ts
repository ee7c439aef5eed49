/**
 * Events on the stack's custom EventBridge bus. Source `certflow`; detail-types
 * "Certificate Renewed", "Certificate Renewal Failed" and "Certificate Expiring" (schemas/ has
 * their JSON Schemas).
 * No secret material: the details are built from public data only (see lambdas/ports.ts).
 *
 * Minimal IAM: events:PutEvents on the bus.
 */
import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventPublishFailed } from '../../core/errors';
import {
  DETAIL_TYPES,
  EVENT_SOURCE,
  type CertificateExpiringEvent,
  type CertificateRenewalFailedEvent,
  type CertificateRenewedEvent,
  type EventPublisher,
} from '../../ports';

export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  private async put(detailType: string, detail: object, resources: string[]): Promise<void> {
    let response;
    try {
      response = await this.client.send(
        new PutEventsCommand({
          Entries: [{ EventBusName: this.busName, Source: EVENT_SOURCE, DetailType: detailType, Detail: JSON.stringify(detail), Resources: resources }],
        }),
      );
    } catch (error) {
      throw new EventPublishFailed(`EventBridge PutEvents: ${(error as Error).message}`, { cause: error });
    }
    if (response.FailedEntryCount) {
      const entry = response.Entries?.find((candidate) => candidate.ErrorCode);
      throw new EventPublishFailed(`EventBridge refused "${detailType}": ${entry?.ErrorCode ?? '?'} ${entry?.ErrorMessage ?? ''}`.trim());
    }
  }

  renewed(event: CertificateRenewedEvent): Promise<void> {
    return this.put(DETAIL_TYPES.renewed, event, event.location.startsWith('arn:') ? [event.location] : []);
  }

  failed(event: CertificateRenewalFailedEvent): Promise<void> {
    return this.put(DETAIL_TYPES.failed, event, []);
  }

  expiring(event: CertificateExpiringEvent): Promise<void> {
    return this.put(DETAIL_TYPES.expiring, event, []);
  }
}

EventBridgePublisher satisfies new (client: EventBridgeClient, busName: string) => EventPublisher;
