/**
 * One stack per region, several regions per account: no name that must be unique per account (or
 * per partition) appears in two regions' stacks. The stack is environment-agnostic (docs/how-to/deploy.md), so each region's names are the template's with the pseudo parameters CloudFormation
 * fills in.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, expect, it } from 'vitest';
import { buildApp, STACK_NAME } from '../../bin/certflow';
import { defineConfig } from '../../infra/config';

/**
 * Names that are unique per account (IAM, CloudWatch dashboards) or per partition (S3 buckets),
 * whatever the region, by resource type: the name properties of the types that have one.
 */
const ACCOUNT_GLOBAL_NAMES: Readonly<Record<string, readonly string[]>> = {
  'AWS::IAM::Role': ['RoleName'],
  'AWS::IAM::ManagedPolicy': ['ManagedPolicyName'],
  'AWS::IAM::User': ['UserName'],
  'AWS::IAM::Group': ['GroupName'],
  'AWS::IAM::InstanceProfile': ['InstanceProfileName'],
  'AWS::IAM::ServerCertificate': ['ServerCertificateName'],
  'AWS::IAM::SAMLProvider': ['Name'],
  'AWS::CloudWatch::Dashboard': ['DashboardName'],
  'AWS::S3::Bucket': ['BucketName'],
  'AWS::Budgets::Budget': ['Budget.BudgetName'],
};

/** Types whose names are per region (or that have none): a new type must be placed in one of the two lists. */
const REGIONAL = new Set([
  'AWS::CloudWatch::Alarm', // alarm names are per region
  'AWS::Events::EventBus',
  'AWS::Events::Rule',
  'AWS::IAM::Policy', // an inline policy's name is per role
  'AWS::KMS::Key',
  'AWS::Lambda::Function',
  'AWS::Logs::LogGroup',
  'AWS::Logs::MetricFilter', // a filter's name is per log group
  'AWS::Logs::ResourcePolicy',
  'AWS::SecretsManager::Secret', // a secret's name is per region (the groups' restart turns)
  'AWS::SNS::Topic',
  'AWS::SNS::TopicPolicy',
  'AWS::SQS::Queue',
  'AWS::SQS::QueuePolicy',
  'AWS::StepFunctions::StateMachine',
]);

const ACCOUNT = '111111111111';
const REGIONS = ['eu-west-1', 'us-east-1'] as const;

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;
let resources: Resources;

beforeAll(() => {
  const config = defineConfig({
    hostedZones: [{ name: 'example.com', id: 'Z1EXAMPLE' }],
    subscribers: [{ name: 'brokers-eu', certificateIds: ['broker-eu1'] }],
    certificates: [{ id: 'broker-eu1', names: ['mq.example.com'] }],
  });
  resources = (Template.fromStack(buildApp(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), config).stack).toJSON() as { Resources: Resources }).Resources;
});

/** A name as CloudFormation makes it in `region`; undefined when it is generated (not set). */
function resolve(value: unknown, region: string): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  const node = value as { Ref?: string; 'Fn::Join'?: [string, unknown[]] };
  const pseudo: Record<string, string> = { 'AWS::Region': region, 'AWS::AccountId': ACCOUNT, 'AWS::StackName': STACK_NAME, 'AWS::Partition': 'aws', 'AWS::URLSuffix': 'amazonaws.com' };
  if (node.Ref && pseudo[node.Ref]) return pseudo[node.Ref];
  if (node['Fn::Join']) return node['Fn::Join'][1].map((part) => resolve(part, region)).join(node['Fn::Join'][0]);
  // Anything else (a reference to another resource) is the same text in both regions: compare it as such.
  return JSON.stringify(value);
}

const at = (properties: Record<string, unknown> | undefined, path: string): unknown => path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], properties);

function accountGlobalNames(region: string): string[] {
  return Object.values(resources).flatMap(({ Type, Properties }) =>
    (ACCOUNT_GLOBAL_NAMES[Type] ?? []).flatMap((path) => {
      const name = resolve(at(Properties, path), region);
      return name === undefined ? [] : [`${Type} ${path}=${name}`];
    }),
  );
}

it('knows, for every resource type of the stack, whether its names are account-wide', () => {
  const unplaced = [...new Set(Object.values(resources).map((resource) => resource.Type))].filter((type) => !ACCOUNT_GLOBAL_NAMES[type] && !REGIONAL.has(type));
  expect(unplaced).toEqual([]);
});

it('names the dashboard after its region', () => {
  expect(REGIONS.map(accountGlobalNames)).toEqual([['AWS::CloudWatch::Dashboard DashboardName=certflow-eu-west-1'], ['AWS::CloudWatch::Dashboard DashboardName=certflow-us-east-1']]);
});

it('has no account-global name twice across two regions', () => {
  const names = REGIONS.flatMap(accountGlobalNames);
  expect(names.filter((name, index) => names.indexOf(name) !== index)).toEqual([]);
});
