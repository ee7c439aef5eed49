/**
 * One subscriber group (a set of hosts serving the same certificates, e.g. a network of
 * brokers): "Certificate Renewed" events for its certificates → its own SQS queue (+ DLQ), and
 * the managed policy its hosts attach to run the agent (agent/, docs/agent.md).
 *
 * Queue encryption is SQS-managed (SSE-SQS), not KMS: messages carry only public identifiers
 * (certificate id, serial, secret ARN, version id — never key material, by design), so a
 * customer key would protect nothing secret while adding a key policy for
 * events.amazonaws.com, kms:Decrypt for every host on every receive, and per-request KMS cost.
 * The secrets themselves stay under the store's KMS key, which hosts may use only through
 * Secrets Manager (kms:ViaService).
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CERTIFICATE_ID } from '../domain/contracts/ids';
import { DETAIL_TYPES, EVENT_SOURCE } from '../domain/ports';

export interface CertificateSubscriberProps {
  /** The bus certflow publishes "Certificate Renewed" on. */
  readonly bus: events.IEventBus;
  /** The certificates this group installs. */
  readonly certificateIds: string[];
  /** Their secrets (full ARNs, or ARNs ending in `-??????`). */
  readonly secretArns: string[];
  /** The KMS key the secrets are encrypted with. */
  readonly key: kms.IKey;
  /** Longer than a reload plus its rollback (the agent's default reload timeout is 2 min). Default 10 minutes. */
  readonly visibilityTimeout?: Duration;
  /** Deliveries before a message moves to the dead-letter queue. Default 5. */
  readonly maxReceiveCount?: number;
}

/** What a group's rule matches: "Certificate Renewed" for its certificates. */
export function renewedEventPattern(certificateIds: readonly string[]): events.EventPattern {
  return { source: [EVENT_SOURCE], detailType: [DETAIL_TYPES.renewed], detail: { certificateId: [...certificateIds] } };
}

export class CertificateSubscriber extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly rule: events.Rule;
  /** Attach to the hosts' role (instance profile, ECS task role, IRSA role). */
  readonly hostPolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: CertificateSubscriberProps) {
    super(scope, id);
    const { certificateIds, secretArns } = props;
    if (certificateIds.length === 0) throw new Error('CertificateSubscriber: certificateIds is empty');
    const invalid = certificateIds.filter((certificateId) => !CERTIFICATE_ID.test(certificateId));
    if (invalid.length > 0) throw new Error(`CertificateSubscriber: invalid certificate ids ${invalid.join(', ')}`);
    if (secretArns.length === 0) throw new Error('CertificateSubscriber: secretArns is empty');

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: props.visibilityTimeout ?? Duration.minutes(10),
      retentionPeriod: Duration.days(14),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? 5 },
    });

    this.rule = new events.Rule(this, 'Renewed', {
      eventBus: props.bus,
      description: `certflow: Certificate Renewed for ${certificateIds.join(', ')}`.slice(0, 512),
      eventPattern: renewedEventPattern(certificateIds),
      targets: [new targets.SqsQueue(this.queue)],
    });

    const region = Stack.of(this).region;
    this.hostPolicy = new iam.ManagedPolicy(this, 'HostPolicy', {
      description: 'certflow agent: receive renewal events, read the certificates, decrypt them through Secrets Manager',
      statements: [
        new iam.PolicyStatement({
          sid: 'ReceiveRenewals',
          actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
          resources: [this.queue.queueArn],
        }),
        new iam.PolicyStatement({ sid: 'ReadCertificates', actions: ['secretsmanager:GetSecretValue'], resources: secretArns }),
        // Certificate secrets hold complete bundles only, but a host has no business with a pending
        // version should one ever be labelled there (secretsmanager:VersionStage is the stage asked for).
        new iam.PolicyStatement({
          sid: 'NeverPendingVersions',
          effect: iam.Effect.DENY,
          actions: ['secretsmanager:GetSecretValue'],
          resources: secretArns,
          conditions: { StringEquals: { 'secretsmanager:VersionStage': 'AWSPENDING' } },
        }),
        new iam.PolicyStatement({
          sid: 'ReportReloadFailures',
          actions: ['events:PutEvents'],
          resources: [props.bus.eventBusArn],
          conditions: { StringEquals: { 'events:detail-type': 'Certificate Reload Failed', 'events:source': 'certflow' } },
        }),
        new iam.PolicyStatement({
          sid: 'DecryptCertificates',
          actions: ['kms:Decrypt'],
          resources: [props.key.keyArn],
          conditions: {
            StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` },
            // Secrets Manager passes the secret's ARN as encryption context: only these secrets, even on a shared key.
            StringLike: { 'kms:EncryptionContext:SecretARN': secretArns },
          },
        }),
      ],
    });
  }
}
