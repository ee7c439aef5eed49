/**
 * Every condition key in every policy of the synthesized stack is one its actions carry (Service
 * Authorization Reference, as data: test/support/condition-keys.ts). A key a request never carries
 * makes the statement dead: IAM accepts it, AWS refuses the call on the first real deployment.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../bin/certflow';
import { defineConfig } from '../../infra/config';
import { policiesOf, templateViolations, violationsOf } from '../support/condition-keys';

const config = defineConfig({
  hostedZones: [{ name: 'example.com', id: 'Z1EXAMPLE' }, { name: 'partner.example', id: 'Z9PARTNER', roleArn: 'arn:aws:iam::222222222222:role/certflow-dns' }],
  delegations: [{ match: 'example.com', targetZone: 'partner.example' }],
  acme: { externalAccountBindingSecret: 'certflow/eab/zerossl' },
  subscribers: [{ name: 'brokers-eu', certificateIds: ['broker-eu1'] }],
});

let template: { Resources: Record<string, { Type: string; Properties?: unknown }> };
beforeAll(() => {
  template = Template.fromStack(buildApp(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), config).stack).toJSON() as typeof template;
});

describe('condition keys in the synthesized stack', () => {
  it('finds the policies of every kind the stack holds', () => {
    const kinds = new Set(policiesOf(template).map((policy) => policy.resourceType));
    for (const kind of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::Role', 'AWS::KMS::Key', 'AWS::SNS::TopicPolicy', 'AWS::SQS::QueuePolicy', 'AWS::Logs::ResourcePolicy']) {
      expect(kinds, kind).toContain(kind);
    }
  });

  it('names no condition key that one of its actions never carries', async () => {
    expect(await templateViolations(template)).toEqual([]);
  });
});

describe('the checker', () => {
  const where = 'test';
  // The statement create-order, cleanup-* and finalize-order had before issue #22.
  const oldCreateWithTags = {
    Sid: 'CreateAccount',
    Effect: 'Allow',
    Action: ['secretsmanager:CreateSecret', 'secretsmanager:TagResource'],
    Condition: { StringLike: { 'secretsmanager:Name': 'certflow/accounts/*' } },
  };

  it('finds secretsmanager:Name on TagResource (the statement before #22), and only there', async () => {
    expect(await violationsOf(where, oldCreateWithTags)).toEqual([
      { where, action: 'secretsmanager:TagResource', operator: 'StringLike', key: 'secretsmanager:Name', why: 'secretsmanager:Name is not a condition key of secretsmanager:TagResource (nor of its resource types)' },
    ]);
  });

  it.each([
    ['a key of the action', { Action: 'secretsmanager:TagResource', Condition: { StringEquals: { 'aws:RequestTag/managed-by': 'certflow' } } }],
    ['a key of its resource type', { Action: 'secretsmanager:GetSecretValue', Condition: { StringEquals: { 'secretsmanager:ResourceTag/team': 'pki' } } }],
    ['a pattern of keys (kms:EncryptionContext:${EncryptionContextKey})', { Action: 'kms:Decrypt', Condition: { StringEquals: { 'kms:EncryptionContext:SecretARN': 'x' } } }],
    ['an …IfExists operator', { Action: 'secretsmanager:TagResource', Condition: { StringLikeIfExists: { 'secretsmanager:Name': 'x' } } }],
    ['Null', { Action: 'secretsmanager:TagResource', Condition: { Null: { 'secretsmanager:Name': 'true' } } }],
    ['a request-wide global key', { Action: 'sqs:SendMessage', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }],
    ['aws:SourceArn for a service principal', { Principal: { Service: 'events.amazonaws.com' }, Action: 'logs:PutLogEvents', Condition: { ArnEquals: { 'aws:SourceArn': 'arn' } } }],
    ['aws:SourceArn for any principal', { Principal: { AWS: '*' }, Action: 'sns:Publish', Condition: { ArnNotEquals: { 'aws:SourceArn': 'arn' } } }],
  ])('accepts %s', async (_name, statement) => {
    expect(await violationsOf(where, { Effect: 'Allow', ...statement })).toEqual([]);
  });

  it.each([
    ['aws:TagKeys on an action without tags', { Action: 'route53:GetChange', Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['a'] } } }, 'aws:TagKeys is not a condition key'],
    ['a key of another service', { Action: 'kms:Decrypt', Condition: { StringLike: { 'secretsmanager:Name': 'x' } } }, 'secretsmanager:Name is not a condition key of kms:Decrypt'],
    ['aws:SourceArn in an identity policy', { Action: 'logs:PutLogEvents', Condition: { ArnEquals: { 'aws:SourceArn': 'arn' } } }, "principal is not one"],
    ['aws:SourceAccount for an account principal', { Principal: { AWS: 'arn:aws:iam::111111111111:root' }, Action: 'sns:Publish', Condition: { StringEquals: { 'aws:SourceAccount': '1' } } }, 'principal is not one'],
    ['an action AWS does not have', { Action: 'secretsmanager:CreateSecrets', Condition: { StringLike: { 'secretsmanager:Name': 'x' } } }, 'is not an action'],
  ])('reports %s', async (_name, statement, why) => {
    const found = await violationsOf(where, { Effect: 'Deny', ...statement });
    expect(found).toHaveLength(1);
    expect(found[0]!.why).toContain(why);
  });

  it('expands wildcard actions: kms:GenerateDataKey* carries no secretsmanager:Name in any of its four actions', async () => {
    const found = await violationsOf(where, { Effect: 'Allow', Action: 'kms:GenerateDataKey*', Condition: { StringLike: { 'secretsmanager:Name': 'x' } } });
    expect(found.map((violation) => violation.action).sort()).toEqual(['kms:GenerateDataKey', 'kms:GenerateDataKeyPair', 'kms:GenerateDataKeyPairWithoutPlaintext', 'kms:GenerateDataKeyWithoutPlaintext']);
  });

  it('reads policies written as JSON text (an Fn::Join with references, as AWS::Logs::ResourcePolicy)', async () => {
    const text = { 'Fn::Join': ['', ['{"Statement":[{"Effect":"Allow","Action":"logs:PutLogEvents","Resource":"', { 'Fn::GetAtt': ['Group', 'Arn'] }, '","Condition":{"StringEquals":{"aws:SourceArn":"x"}}}]}']] };
    const found = await templateViolations({ Resources: { P: { Type: 'AWS::Logs::ResourcePolicy', Properties: { PolicyDocument: text } } } });
    expect(found.map((violation) => [violation.where, violation.key])).toEqual([['P.PolicyDocument #0', 'aws:SourceArn']]);
  });
});
