/** CertificateSubscriber, synthesized on a small stack: rule pattern, topic and who may publish, DLQ and its alarm, the hosts' exact policy, cdk-nag. */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseTurnDocument } from '../../agent/fleet/restart-turns';
import { CertificateSubscriber } from '../../infra/subscriber';

const SECRETS = [
  'arn:aws:secretsmanager:eu-west-1:111122223333:secret:certflow/certificates/broker-eu1-AbCdEf',
  'arn:aws:secretsmanager:eu-west-1:111122223333:secret:certflow/certificates/broker-eu2-??????',
];

function build() {
  const app = new App();
  const stack = new Stack(app, 'Subscribers', { env: { account: '111122223333', region: 'eu-west-1' } });
  const bus = new events.EventBus(stack, 'Bus', { eventBusName: 'certflow' });
  const key = new kms.Key(stack, 'SecretsKey', { enableKeyRotation: true });
  const alarms = new sns.Topic(stack, 'Alarms', { enforceSSL: true, masterKey: key });
  const subscriber = new CertificateSubscriber(stack, 'Brokers', { groupName: 'brokers', bus, key, certificateIds: ['broker-eu1', 'broker-eu2'], secretArns: SECRETS, alarmTopic: alarms });
  return { app, stack, bus, key, alarms, subscriber, template: Template.fromStack(stack) };
}

let built: ReturnType<typeof build>;
let template: Template;
const ref = (stack: Stack, construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as never);

beforeAll(() => {
  built = build();
  template = built.template;
});

describe('CertificateSubscriber', () => {
  it("routes the group's \"Certificate Renewed\" and \"Certificate Rolled Back\" events to its topic, which only that rule may publish to", () => {
    const { stack, subscriber } = built;
    template.resourceCountIs('AWS::Events::Rule', 1);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: Match.stringLikeRegexp('^Bus') },
      EventPattern: { source: ['certflow'], 'detail-type': ['Certificate Renewed', 'Certificate Rolled Back'], detail: { certificateId: ['broker-eu1', 'broker-eu2'] } },
      State: 'ENABLED',
      Targets: [{ Arn: { Ref: ref(stack, subscriber.topic) }, Id: Match.anyValue() }],
    });
    // "aws:SourceArn ... to prevent the confused deputy problem" (SNS Developer Guide, "Amazon SNS access
    // policy: EventBridge"); the Deny shuts out every other sender, IAM principals of this account included.
    const topicPolicies = Object.values(template.findResources('AWS::SNS::TopicPolicy'));
    const [policy, ...more] = topicPolicies.filter((candidate) => JSON.stringify(candidate.Properties.Topics) === JSON.stringify([{ Ref: ref(stack, subscriber.topic) }]));
    expect(more).toEqual([]);
    const ruleArn = { 'Fn::GetAtt': [ref(stack, subscriber.rule), 'Arn'] };
    expect(policy!.Properties.PolicyDocument.Statement).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Sid: 'GroupRulePublishes', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sns:Publish', Condition: { ArnEquals: { 'aws:SourceArn': ruleArn } } }),
        expect.objectContaining({ Sid: 'NoOtherPublisher', Effect: 'Deny', Principal: { AWS: '*' }, Action: 'sns:Publish', Condition: { ArnNotEquals: { 'aws:SourceArn': ruleArn } } }),
      ]),
    );
    const allows = (policy!.Properties.PolicyDocument.Statement as { Effect: string; Condition?: unknown }[]).filter((statement) => statement.Effect === 'Allow');
    expect(allows.every((statement) => JSON.stringify(statement.Condition).includes('aws:SourceArn'))).toBe(true);
  });

  it('keeps one encrypted dead-letter queue for all host queues, and alarms on its depth', () => {
    const { stack, subscriber, alarms } = built;
    const queues = template.findResources('AWS::SQS::Queue');
    expect(Object.keys(queues)).toEqual([ref(stack, subscriber.deadLetterQueue)]);
    expect(queues[ref(stack, subscriber.deadLetterQueue)]!.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ref(stack, subscriber.deadLetterQueue), 'QueueName'] } }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: ref(stack, alarms) }],
    });
  });

  // IAM condition key secretsmanager:VersionStage: "the stage ... in the request" (Secrets Manager
  // service authorization reference); sns:Protocol / sns:Endpoint: the subscription asked for (SNS
  // service authorization reference). The emulator does not enforce policies, so the template is checked.
  it('gives hosts exactly: queues of the group prefix, subscribing them to the topic, the secrets but never AWSPENDING, their own two detail-types', () => {
    const { stack, bus, key, subscriber } = built;
    template.resourceCountIs('AWS::IAM::ManagedPolicy', 1);
    const [policy] = Object.values(template.findResources('AWS::IAM::ManagedPolicy'));
    const hostQueues = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sqs:eu-west-1:111122223333:certflow-brokers-*']] };
    const topic = { Ref: ref(stack, subscriber.topic) };
    expect(policy!.Properties.PolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'OwnQueue',
          Effect: 'Allow',
          Action: [
            'sqs:CreateQueue', 'sqs:GetQueueUrl', 'sqs:GetQueueAttributes', 'sqs:SetQueueAttributes', 'sqs:TagQueue',
            'sqs:ListQueueTags', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:DeleteQueue',
          ],
          Resource: hostQueues,
        },
        { Sid: 'FindPeers', Effect: 'Allow', Action: 'sqs:ListQueues', Resource: '*' },
        { Sid: 'SubscribeOwnQueue', Effect: 'Allow', Action: 'sns:Subscribe', Resource: topic, Condition: { StringEquals: { 'sns:Protocol': 'sqs' }, StringLike: { 'sns:Endpoint': hostQueues } } },
        { Sid: 'LeaveAndSweep', Effect: 'Allow', Action: ['sns:Unsubscribe', 'sns:ListSubscriptionsByTopic'], Resource: topic },
        { Sid: 'RestartTurn', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'], Resource: { Ref: ref(stack, subscriber.restartTurn) } },
        { Sid: 'ReadCertificates', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: SECRETS },
        {
          Sid: 'NeverPendingVersions',
          Effect: 'Deny',
          Action: 'secretsmanager:GetSecretValue',
          Resource: SECRETS,
          Condition: { StringEquals: { 'secretsmanager:VersionStage': 'AWSPENDING' } },
        },
        {
          Sid: 'ReportToFleet',
          Effect: 'Allow',
          Action: 'events:PutEvents',
          Resource: { 'Fn::GetAtt': [ref(stack, bus), 'Arn'] },
          Condition: { StringEquals: { 'events:detail-type': ['Certificate Installed', 'Certificate Reload Failed'], 'events:source': 'certflow' } },
        },
        {
          Sid: 'DecryptCertificates',
          Effect: 'Allow',
          Action: 'kms:Decrypt',
          Resource: { 'Fn::GetAtt': [ref(stack, key), 'Arn'] },
          Condition: {
            StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' },
            StringLike: { 'kms:EncryptionContext:SecretARN': SECRETS },
          },
        },
      ],
    });
    // Hosts never send: no sqs:SendMessage and no sns:Publish anywhere in their policy.
    expect(JSON.stringify(policy)).not.toMatch(/sqs:SendMessage|sns:Publish/);
  });

  it('makes the group\'s restart turn (agent --restart-turns): certflow/turns/<group>, given back, as the agent reads it', () => {
    const [secret] = Object.values(template.findResources('AWS::SecretsManager::Secret'));
    expect(secret!.Properties.Name).toBe('certflow/turns/brokers');
    const { turn } = parseTurnDocument(secret!.Properties.SecretString as string, 'the template');
    expect(turn).toBeUndefined();
    expect(secret!.Properties.KmsKeyId).toBeUndefined(); // the AWS managed key: no secret material, no grant on the certificates' key
  });

  it('has zero cdk-nag AwsSolutions findings', () => {
    const report = new AwsSolutionsChecks(built.app).validateScope(built.stack);
    expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
  });

  it.each([
    ['no certificates', { certificateIds: [] }, /certificateIds is empty/],
    ['an invalid certificate id', { certificateIds: ['Broker EU'] }, /invalid certificate ids Broker EU/],
    ['no secrets', { secretArns: [] }, /secretArns is empty/],
    ['a group name a queue name cannot hold', { groupName: 'brokers eu' }, /group name 'brokers eu'/],
  ])('refuses %s', (_case, props, message) => {
    const stack = new Stack(new App(), 'Bad');
    const base = { groupName: 'g', bus: new events.EventBus(stack, 'Bus'), key: new kms.Key(stack, 'Key'), certificateIds: ['a'], secretArns: SECRETS };
    expect(() => new CertificateSubscriber(stack, 'S', { ...base, ...props })).toThrow(message);
  });
});
