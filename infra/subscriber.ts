/**
 * One subscriber group (a set of hosts serving the same certificates, e.g. a network of
 * brokers). Every host gets every event (ADR 0007): the group's rule sends "Certificate Renewed"
 * and "Certificate Rolled Back" for its certificates to the group's SNS topic, and each host's
 * agent subscribes a queue of its own (`<queuePrefix><host>`, made and removed by the agent, so
 * autoscaling needs no redeploy). Host queues dead-letter into the group's one DLQ, watched by
 * an alarm.
 *
 * Who may send: only this rule may publish to the topic, only the topic may send to host queues
 * (aws:SourceArn in the topic policy here, in each queue's policy by the agent). Each is an Allow
 * for the service plus a Deny for every other sender, IAM principals of this account included.
 *
 * Encryption: queues use SSE-SQS and the topic none: messages carry only public identifiers
 * (certificate id, serial, version id — never key material, by design), so a customer key would
 * protect nothing secret while adding key policies for events.amazonaws.com and per-request KMS
 * cost. The secrets stay under the store's KMS key, which hosts use only through Secrets Manager.
 */
import { ArnFormat, Duration, SecretValue, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CERTIFICATE_ID, GROUP_NAME, GROUP_NAME_RULE } from '../domain/contracts/ids';
import { DETAIL_TYPES, EVENT_SOURCE, HOST_DETAIL_TYPES } from '../domain/contracts/events';
import { restartTurnSecretName, turnDocument } from '../agent/fleet/restart-turns';
import { hostQueuePrefix } from '../agent/fleet/host-queue-plan';

export interface CertificateSubscriberProps {
  /** Names the group's host queues: `certflow-<groupName>-<host>`. */
  readonly groupName: string;
  /** The bus certflow publishes on. */
  readonly bus: events.IEventBus;
  /** The certificates this group installs. */
  readonly certificateIds: string[];
  /** Their secrets (full ARNs, or ARNs ending in `-??????`). */
  readonly secretArns: string[];
  /** The KMS key the secrets are encrypted with. */
  readonly key: kms.IKey;
  /** Where the dead-letter alarm notifies (the watchdog's topic). */
  readonly alarmTopic?: sns.ITopic;
  /** The pipeline's secret prefix (default `certflow/`): the group's restart turn is `<prefix>turns/<group>`. */
  readonly secretPrefix?: string;
}

/** The store changes a group's hosts act on: a new version, or an older one current again. */
const STORE_NOTICE_DETAIL_TYPES = [DETAIL_TYPES.renewed, DETAIL_TYPES.rolledBack];

/** What a group's rule matches: the store notices for its certificates. */
export function groupEventPattern(certificateIds: readonly string[]): events.EventPattern {
  return { source: [EVENT_SOURCE], detailType: [...STORE_NOTICE_DETAIL_TYPES], detail: { certificateId: [...certificateIds] } };
}

/** A rule target that grants nothing by itself: the resource's own policy (with aws:SourceArn) does. */
export const ungrantedTarget = (arn: string): events.IRuleTarget => ({ bind: () => ({ arn }) });

export class CertificateSubscriber extends Construct {
  readonly topic: sns.Topic;
  readonly deadLetterQueue: sqs.Queue;
  readonly deadLetterAlarm: cloudwatch.Alarm;
  readonly rule: events.Rule;
  readonly queuePrefix: string;
  /** Attach to the hosts' role (instance profile, ECS task role, IRSA role). */
  readonly hostPolicy: iam.ManagedPolicy;
  /**
   * The group's restart turn (agent --restart-turns, ADR 0014): hosts whose reload is a restart
   * take it in turns. Holds a host id and a time, no secret material: the AWS managed key.
   */
  readonly restartTurn: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: CertificateSubscriberProps) {
    super(scope, id);
    const { certificateIds, secretArns, groupName } = props;
    if (!GROUP_NAME.test(groupName)) throw new Error(`CertificateSubscriber: group name '${groupName.slice(0, 100)}' must be ${GROUP_NAME_RULE}`);
    if (certificateIds.length === 0) throw new Error('CertificateSubscriber: certificateIds is empty');
    const invalid = certificateIds.filter((certificateId) => !CERTIFICATE_ID.test(certificateId));
    if (invalid.length > 0) throw new Error(`CertificateSubscriber: invalid certificate ids ${invalid.join(', ')}`);
    if (secretArns.length === 0) throw new Error('CertificateSubscriber: secretArns is empty');
    const stack = Stack.of(this);
    this.queuePrefix = hostQueuePrefix(groupName);

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.deadLetterAlarm = new cloudwatch.Alarm(this, 'DeadLettersAlarm', {
      alarmDescription: `certflow: a host of group ${groupName} could not handle an event five times (see the agent's log and "Certificate Reload Failed").`,
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (props.alarmTopic) this.deadLetterAlarm.addAlarmAction(new actions.SnsAction(props.alarmTopic));
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This is the dead-letter queue: the host queues (made by the agents at run time) redrive into it, and an alarm watches its depth.',
    });

    this.topic = new sns.Topic(this, 'Topic', { displayName: `certflow ${groupName}`, enforceSSL: true });
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason: 'Messages carry public identifiers only (certificate id, serial, version id); the certificates stay in KMS-encrypted secrets.',
    });
    this.rule = new events.Rule(this, 'StoreNotices', {
      eventBus: props.bus,
      description: `certflow: ${STORE_NOTICE_DETAIL_TYPES.join(', ')} for ${certificateIds.join(', ')}`.slice(0, 512),
      eventPattern: groupEventPattern(certificateIds),
      targets: [ungrantedTarget(this.topic.topicArn)],
    });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'GroupRulePublishes',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: { ArnEquals: { 'aws:SourceArn': this.rule.ruleArn } },
      }),
    );
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'NoOtherPublisher',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: { ArnNotEquals: { 'aws:SourceArn': this.rule.ruleArn } },
      }),
    );

    this.restartTurn = new secretsmanager.Secret(this, 'RestartTurn', {
      secretName: restartTurnSecretName(props.secretPrefix ?? 'certflow/', groupName),
      description: `certflow: the restart turn of host group ${groupName} (agent --restart-turns): one host restarts at a time`,
      secretStringValue: SecretValue.unsafePlainText(JSON.stringify(turnDocument(groupName, undefined))),
    });
    Validations.of(this.restartTurn).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'Not a credential: it holds which host restarts and until when (the agents rewrite it at every restart); nothing to rotate.',
    });

    const hostQueues = stack.formatArn({ service: 'sqs', resource: `${this.queuePrefix}*`, arnFormat: ArnFormat.NO_RESOURCE_NAME });
    this.hostPolicy = new iam.ManagedPolicy(this, 'HostPolicy', {
      description: `certflow agent (group ${groupName}): a queue of its own on the group topic, read the certificates, report installs`,
      statements: [
        new iam.PolicyStatement({
          sid: 'OwnQueue',
          actions: [
            'sqs:CreateQueue',
            'sqs:GetQueueUrl',
            'sqs:GetQueueAttributes',
            'sqs:SetQueueAttributes',
            'sqs:TagQueue',
            'sqs:ListQueueTags',
            'sqs:ReceiveMessage',
            'sqs:DeleteMessage',
            'sqs:ChangeMessageVisibility',
            'sqs:DeleteQueue',
          ],
          resources: [hostQueues],
        }),
        // ListQueues takes no resource (SQS service authorization reference); it is filtered by --queue-prefix.
        new iam.PolicyStatement({ sid: 'FindPeers', actions: ['sqs:ListQueues'], resources: ['*'] }),
        new iam.PolicyStatement({
          sid: 'SubscribeOwnQueue',
          actions: ['sns:Subscribe'],
          resources: [this.topic.topicArn],
          conditions: { StringEquals: { 'sns:Protocol': 'sqs' }, StringLike: { 'sns:Endpoint': hostQueues } },
        }),
        new iam.PolicyStatement({ sid: 'LeaveAndSweep', actions: ['sns:Unsubscribe', 'sns:ListSubscriptionsByTopic'], resources: [this.topic.topicArn] }),
        new iam.PolicyStatement({ sid: 'RestartTurn', actions: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'], resources: [this.restartTurn.secretArn] }),
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
          sid: 'ReportToFleet',
          actions: ['events:PutEvents'],
          resources: [props.bus.eventBusArn],
          conditions: { StringEquals: { 'events:detail-type': [...HOST_DETAIL_TYPES], 'events:source': EVENT_SOURCE } },
        }),
        new iam.PolicyStatement({
          sid: 'DecryptCertificates',
          actions: ['kms:Decrypt'],
          resources: [props.key.keyArn],
          conditions: {
            StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.amazonaws.com` },
            // Secrets Manager passes the secret's ARN as encryption context: only these secrets, even on a shared key.
            StringLike: { 'kms:EncryptionContext:SecretARN': secretArns },
          },
        }),
      ],
    });
    // cdk-nag names the resource as synthesized: pseudo parameters where the stack has no fixed environment.
    const [region, account] = [stack.region, stack.account].map((value, index) => (Token.isUnresolved(value) ? ['<AWS::Region>', '<AWS::AccountId>'][index] : value));
    const acknowledged = [
      { id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sqs:${region}:${account}:${this.queuePrefix}*]`, reason: "Each host makes its own queue at start (autoscaling needs no redeploy); only this group's queue names." },
      { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'sqs:ListQueues accepts no resource scoping; the agent lists with its group prefix.' },
    ];
    for (const acknowledgement of acknowledged) Validations.of(this.hostPolicy).acknowledge(acknowledgement);
  }
}
