/**
 * Events on the stack's custom EventBridge bus. Source `certflow`; detail-types
 * "Certificate Renewed", "Certificate Renewal Failed", "Certificate Expiring", "Certificate
 * Revoked" and "Certificate Revocation Failed" (schemas/ has their JSON Schemas).
 * No secret material: the details are built from public data only (see domain/ports.ts).
 *
 * Minimal IAM: events:PutEvents on the bus.
 *
 * `putEvent` is the one PutEvents call of the code base: the host agent's reporter uses it too.
 */
import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { errorMessage, EventPublishFailed } from '../../core/errors';
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

export interface PutEventInput {
  readonly busName: string;
  readonly detailType: string;
  readonly detail: object;
  /** ARNs the event is about; left out of the entry when not given. */
  readonly resources?: string[];
}

/** Put one event (source `certflow`) on a bus; a failed call or a refused entry is the retryable EventPublishFailed. */
export async function putEvent(client: Pick<EventBridgeClient, 'send'>, { busName, detailType, detail, resources }: PutEventInput): Promise<void> {
  const entry = { EventBusName: busName, Source: EVENT_SOURCE, DetailType: detailType, Detail: JSON.stringify(detail), ...(resources ? { Resources: resources } : {}) };
  let response;
  try {
    response = await client.send(new PutEventsCommand({ Entries: [entry] }));
  } catch (error) {
    throw new EventPublishFailed(`EventBridge PutEvents: ${errorMessage(error)}`, { cause: error });
  }
  if (response.FailedEntryCount) {
    const refused = response.Entries?.find((candidate) => candidate.ErrorCode);
    throw new EventPublishFailed(`EventBridge refused "${detailType}": ${refused?.ErrorCode ?? '?'} ${refused?.ErrorMessage ?? ''}`.trim());
  }
}

export class EventBridgePublisher implements EventPublisher, OperatorEvents {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  private put(detailType: string, detail: object, resources: string[]): Promise<void> {
    return putEvent(this.client, { busName: this.busName, detailType, detail, resources });
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

  rolledBack(event: CertificateRolledBackEvent): Promise<void> {
    return this.put(DETAIL_TYPES.rolledBack, event, []);
  }

  revoked(event: CertificateRevokedEvent): Promise<void> {
    return this.put(DETAIL_TYPES.revoked, event, []);
  }

  revocationFailed(event: CertificateRevocationFailedEvent): Promise<void> {
    return this.put(DETAIL_TYPES.revocationFailed, event, []);
  }
}

EventBridgePublisher satisfies new (client: EventBridgeClient, busName: string) => EventPublisher;
