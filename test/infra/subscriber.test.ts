/** CertificateSubscriber, synthesized on a small stack: rule pattern, queues, encryption, the hosts' exact policy, cdk-nag. */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
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
  const subscriber = new CertificateSubscriber(stack, 'Brokers', { bus, key, certificateIds: ['broker-eu1', 'broker-eu2'], secretArns: SECRETS });
  return { app, stack, bus, key, subscriber, template: Template.fromStack(stack) };
}

let built: ReturnType<typeof build>;
let template: Template;
const ref = (stack: Stack, construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as never);

beforeAll(() => {
  built = build();
  template = built.template;
});

describe('CertificateSubscriber', () => {
  it("routes only the group's \"Certificate Renewed\" events from the certflow bus to its queue", () => {
    const { stack, subscriber } = built;
    template.resourceCountIs('AWS::Events::Rule', 1);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: Match.stringLikeRegexp('^Bus') },
      EventPattern: { source: ['certflow'], 'detail-type': ['Certificate Renewed'], detail: { certificateId: ['broker-eu1', 'broker-eu2'] } },
      State: 'ENABLED',
      Targets: [{ Arn: { 'Fn::GetAtt': [ref(stack, subscriber.queue), 'Arn'] }, Id: Match.anyValue() }],
    });
    // EventBridge may send to the queue only for this rule.
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ref(stack, subscriber.rule), 'Arn'] } } },
          }),
        ]),
      },
    });
  });

  it('encrypts both queues (SSE-SQS), denies non-TLS access, and dead-letters after 5 receives', () => {
    const { stack, subscriber } = built;
    const queues = template.findResources('AWS::SQS::Queue');
    expect(Object.keys(queues).sort()).toEqual([ref(stack, subscriber.deadLetterQueue), ref(stack, subscriber.queue)].sort());
    for (const queue of Object.values(queues)) expect(queue.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
    expect(queues[ref(stack, subscriber.queue)]!.Properties).toMatchObject({
      VisibilityTimeout: 600,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [ref(stack, subscriber.deadLetterQueue), 'Arn'] }, maxReceiveCount: 5 },
    });
    const denials = Object.values(template.findResources('AWS::SQS::QueuePolicy')).flatMap((policy) =>
      (policy.Properties.PolicyDocument.Statement as { Effect: string; Condition?: unknown }[]).filter((statement) => statement.Effect === 'Deny'),
    );
    expect(denials).toHaveLength(2);
    for (const denial of denials) expect(denial.Condition).toEqual({ Bool: { 'aws:SecureTransport': 'false' } });
  });

  // IAM condition key secretsmanager:VersionStage: "the stage ... in the request" (Secrets Manager
  // service authorization reference); the emulator does not enforce policies, so the template is checked.
  it('gives hosts exactly: the queue, GetSecretValue on the secrets but never an AWSPENDING version, kms:Decrypt through Secrets Manager for those secrets', () => {
    const { stack, bus, key, subscriber } = built;
    template.resourceCountIs('AWS::IAM::ManagedPolicy', 1);
    const [policy] = Object.values(template.findResources('AWS::IAM::ManagedPolicy'));
    expect(policy!.Properties.PolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'ReceiveRenewals',
          Effect: 'Allow',
          Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
          Resource: { 'Fn::GetAtt': [ref(stack, subscriber.queue), 'Arn'] },
        },
        { Sid: 'ReadCertificates', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: SECRETS },
        {
          Sid: 'NeverPendingVersions',
          Effect: 'Deny',
          Action: 'secretsmanager:GetSecretValue',
          Resource: SECRETS,
          Condition: { StringEquals: { 'secretsmanager:VersionStage': 'AWSPENDING' } },
        },
        {
          Sid: 'ReportReloadFailures',
          Effect: 'Allow',
          Action: 'events:PutEvents',
          Resource: { 'Fn::GetAtt': [ref(stack, bus), 'Arn'] },
          Condition: { StringEquals: { 'events:detail-type': 'Certificate Reload Failed', 'events:source': 'certflow' } },
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
  });

  it('has zero cdk-nag AwsSolutions findings', () => {
    const report = new AwsSolutionsChecks(built.app).validateScope(built.stack);
    expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
  });

  it.each([
    ['no certificates', { certificateIds: [] }, /certificateIds is empty/],
    ['an invalid certificate id', { certificateIds: ['Broker EU'] }, /invalid certificate ids Broker EU/],
    ['no secrets', { secretArns: [] }, /secretArns is empty/],
  ])('refuses %s', (_case, props, message) => {
    const stack = new Stack(new App(), 'Bad');
    const base = { bus: new events.EventBus(stack, 'Bus'), key: new kms.Key(stack, 'Key'), certificateIds: ['a'], secretArns: SECRETS };
    expect(() => new CertificateSubscriber(stack, 'S', { ...base, ...props })).toThrow(message);
  });
});
