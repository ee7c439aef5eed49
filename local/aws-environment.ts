/**
 * The AWS path, run locally: the synthesized RenewCertificate definition executed in-process
 * with the AWS adapters (Route 53, Secrets Manager, EventBridge) pointed at an AWS endpoint
 * (the API emulator in tests), Pebble as the CA, and a DNS server that answers Pebble from
 * Route 53 itself. The resources a deploy would create (zones, key, bus, a subscriber group's
 * topic, dead-letter queue and rule) are created here with the SDK, under names of their own.
 */
import { LocalExecutions } from '../domain/adapters/local/local-executions';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import {
  ACMPCAClient,
  CreateCertificateAuthorityCommand,
  GetCertificateAuthorityCsrCommand,
  GetCertificateCommand,
  ImportCertificateAuthorityCertificateCommand,
  IssueCertificateCommand,
} from '@aws-sdk/client-acm-pca';
import { CreateEventBusCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateHostedZoneCommand, Route53Client } from '@aws-sdk/client-route-53';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, SetTopicAttributesCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SqsGroupQueues } from '../domain/adapters/aws/group-queues';
import { groupEventPattern } from '../infra/subscriber';
import { hostQueuePrefix } from '../agent/fleet/host-queue-plan';
import { EventBridgePublisher } from '../domain/adapters/aws/eventbridge-events';
import { AcmPcaIssuer, NO_PRIVATE_CA } from '../domain/adapters/aws/private-ca';
import type { PrivateCaMode, PrivateCaSettings } from '../domain/contracts/settings';
import { Route53DnsProvider } from '../domain/adapters/aws/route53-dns';
import { SecretsManagerCertificateStore } from '../domain/adapters/aws/secrets-store';
import { SecretsManagerRootRotations } from '../domain/adapters/aws/secrets-rotations';
import { CloudWatchHostReports } from '../domain/adapters/aws/host-reports';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { LocalDnsServer, queryTxt } from '../domain/adapters/local/dns-server';
import type { HostedZone } from '../domain/core/dns-names';
import type { StepDeps } from '../lambdas/deps';
import { EVENT_SOURCE, type DnsChallengeProvider, type Logger } from '../domain/ports';
import { settingsFromEnvironment, ENV } from '../lambdas/runtime/aws-deps';
import { jsonLogger } from '../domain/logging/logger';
import type { LocalDefinitions } from './definition';
import { cachedDefinitions } from './definition-cache';
import { LOCAL_ZONES, scanExecutorFor } from './environment';
import type { ManagedCertificate, ScanSettings } from '../domain/core/scan-plan';
import { PEBBLE_DEFAULT_PROFILE, startPebbleWithDns, type PebbleOptions, type RunningPebble } from './pebble';
import { Route53ZoneSource } from './route53-zone-source';
import { revocationExecutor } from './revocation';
import { LocalExecutor } from './runner';

/** What every SDK client gets: the endpoint, the region and (for an emulator) test credentials. */
export interface AwsClientConfig {
  readonly endpoint?: string;
  readonly region: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export interface AwsPipelineOptions {
  readonly clientConfig: AwsClientConfig;
  /** Makes every resource name unique (suites share one endpoint). */
  readonly suffix: string;
  /** Where the ACME CA file goes. */
  readonly root: string;
  /** Certificates the subscriber group installs (its rule's pattern, as infra/subscriber.ts builds it). */
  readonly subscriberCertificateIds: readonly string[];
  readonly zoneNames?: readonly string[];
  readonly pebble?: Omit<PebbleOptions, 'dnsPort'>;
  readonly logSink?: (line: string) => void;
  readonly wrapDns?: (provider: DnsChallengeProvider) => DnsChallengeProvider;
  readonly definitions?: LocalDefinitions;
  /** The declared inventory and scan limits the scan function is built with (config `certificates`, `schedule`). */
  readonly certificates?: readonly ManagedCertificate[];
  readonly scan?: ScanSettings;
  /** Create an ACTIVE AWS Private CA in this mode (the private issuer); none by default. */
  readonly privateCaMode?: PrivateCaMode;
  /** The log group the hosts' reports reach (the stack's HostInventory); a rotation's gates read it. None: no gate can pass. */
  readonly hostInventoryLogGroup?: string;
  /** The steps' clock (default: the system's); tests move it past a Retry-After instead of waiting. */
  readonly now?: () => Date;
}

export interface AwsResources {
  readonly zones: readonly (HostedZone & { readonly id: string })[];
  readonly kmsKeyId: string;
  readonly secretPrefix: string;
  readonly busName: string;
  /** The subscriber group, as the stack outputs it: what `certflow agent --topic-arn … --dead-letter-queue-arn … --queue-prefix …` takes. */
  readonly group: { readonly topicArn: string; readonly deadLetterQueueArn: string; readonly deadLetterQueueUrl: string; readonly queuePrefix: string; readonly ruleArn: string };
  /** Every certflow event on the bus, for assertions. */
  readonly observerQueueUrl: string;
}

export interface AwsClients {
  readonly route53: Route53Client;
  readonly secrets: SecretsManagerClient;
  readonly eventBridge: EventBridgeClient;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly kms: KMSClient;
  readonly acmPca: ACMPCAClient;
}

export interface AwsPipeline {
  readonly pebble: RunningPebble;
  readonly dnsServer: LocalDnsServer<Route53ZoneSource>;
  readonly resources: AwsResources;
  readonly clients: AwsClients;
  readonly store: SecretsManagerCertificateStore;
  readonly deps: StepDeps;
  readonly executor: LocalExecutor;
  /** ScanCertificates with the same adapters; its Map runs RenewCertificate on `executor`. */
  readonly scanExecutor: LocalExecutor;
  /** RevokeCertificate with the same adapters; a reissue runs on `executor`. */
  readonly revokeExecutor: LocalExecutor;
  /** The private CA made for this pipeline (privateCaMode), its root PEM. */
  readonly privateCa?: { readonly arn: string; readonly rootPem: string };
  readonly log: Logger;
  stop(): Promise<void>;
}

export function awsClients(config: AwsClientConfig): AwsClients {
  return {
    route53: new Route53Client(config),
    secrets: new SecretsManagerClient(config),
    eventBridge: new EventBridgeClient(config),
    sqs: new SQSClient(config),
    sns: new SNSClient(config),
    kms: new KMSClient(config),
    acmPca: new ACMPCAClient(config),
  };
}

/** An AWS Private CA (a root), made ACTIVE as an operator would: its CSR self-issued with the RootCACertificate template and imported. */
export async function createPrivateCa(client: ACMPCAClient, suffix: string, mode: PrivateCaMode): Promise<{ readonly arn: string; readonly rootPem: string }> {
  const { CertificateAuthorityArn: arn } = await client.send(
    new CreateCertificateAuthorityCommand({
      CertificateAuthorityType: 'ROOT',
      UsageMode: mode,
      CertificateAuthorityConfiguration: { KeyAlgorithm: 'RSA_2048', SigningAlgorithm: 'SHA256WITHRSA', Subject: { CommonName: `certflow private CA ${suffix}`, Organization: 'certflow' } },
      IdempotencyToken: suffix,
    }),
  );
  const { Csr } = await client.send(new GetCertificateAuthorityCsrCommand({ CertificateAuthorityArn: arn }));
  const { CertificateArn } = await client.send(
    new IssueCertificateCommand({
      CertificateAuthorityArn: arn,
      Csr: new TextEncoder().encode(Csr),
      SigningAlgorithm: 'SHA256WITHRSA',
      TemplateArn: 'arn:aws:acm-pca:::template/RootCACertificate/V1',
      Validity: { Type: 'YEARS', Value: 10 },
    }),
  );
  const { Certificate } = await client.send(new GetCertificateCommand({ CertificateAuthorityArn: arn, CertificateArn }));
  await client.send(new ImportCertificateAuthorityCertificateCommand({ CertificateAuthorityArn: arn, Certificate: new TextEncoder().encode(Certificate) }));
  return { arn: arn!, rootPem: Certificate! };
}

/** Create what the stack would deploy: zones, key, bus, a subscriber group (topic, DLQ, rule; infra/subscriber.ts), an observer queue. */
export async function createAwsResources(clients: AwsClients, suffix: string, zoneNames: readonly string[], certificateIds: readonly string[]): Promise<AwsResources> {
  const zones = [];
  for (const name of zoneNames) {
    const { HostedZone: zone } = await clients.route53.send(new CreateHostedZoneCommand({ Name: name, CallerReference: `certflow-${suffix}-${name}` }));
    zones.push({ name, id: zone!.Id!.replace('/hostedzone/', '') });
  }
  const { KeyMetadata } = await clients.kms.send(new CreateKeyCommand({ Description: `certflow ${suffix}` }));
  const busName = `certflow-${suffix}`;
  await clients.eventBridge.send(new CreateEventBusCommand({ Name: busName }));

  const queue = async (name: string, attributes: Record<string, string> = {}) => {
    const { QueueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    const { Attributes } = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    return { url: QueueUrl!, arn: Attributes!.QueueArn! };
  };
  const groupName = `g${suffix}`.slice(0, 40);
  const deadLetters = await queue(`certflow-${suffix}-dlq`);
  const observer = await queue(`certflow-${suffix}-observer`);
  const { TopicArn: topicArn } = await clients.sns.send(new CreateTopicCommand({ Name: `certflow-${suffix}-hosts` }));

  const rule = async (name: string, pattern: object, arn: string) => {
    const { RuleArn } = await clients.eventBridge.send(new PutRuleCommand({ Name: `certflow-${suffix}-${name}`, EventBusName: busName, EventPattern: JSON.stringify(pattern) }));
    await clients.eventBridge.send(new PutTargetsCommand({ Rule: `certflow-${suffix}-${name}`, EventBusName: busName, Targets: [{ Id: name, Arn: arn }] }));
    return RuleArn!;
  };
  const { source, detailType, detail } = groupEventPattern(certificateIds);
  const ruleArn = await rule('hosts', { source, 'detail-type': detailType, detail }, topicArn!);
  await rule('observer', { source: [EVENT_SOURCE] }, observer.arn);
  // The topic policy the stack writes (stored, not enforced, by the emulator).
  const policy = {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'GroupRulePublishes', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sns:Publish', Resource: topicArn, Condition: { ArnEquals: { 'aws:SourceArn': ruleArn } } },
      { Sid: 'NoOtherPublisher', Effect: 'Deny', Principal: { AWS: '*' }, Action: 'sns:Publish', Resource: topicArn, Condition: { ArnNotEquals: { 'aws:SourceArn': ruleArn } } },
    ],
  };
  await clients.sns.send(new SetTopicAttributesCommand({ TopicArn: topicArn, AttributeName: 'Policy', AttributeValue: JSON.stringify(policy) }));
  return {
    zones,
    kmsKeyId: KeyMetadata!.KeyId!,
    secretPrefix: `certflow-${suffix}/`,
    busName,
    group: { topicArn: topicArn!, deadLetterQueueArn: deadLetters.arn, deadLetterQueueUrl: deadLetters.url, queuePrefix: hostQueuePrefix(groupName), ruleArn },
    observerQueueUrl: observer.url,
  };
}

export async function startAwsPipeline(options: AwsPipelineOptions): Promise<AwsPipeline> {
  const clients = awsClients(options.clientConfig);
  const zoneNames = options.zoneNames ?? LOCAL_ZONES.map((zone) => zone.name);
  const resources = await createAwsResources(clients, options.suffix, zoneNames, options.subscriberCertificateIds);
  // Route 53's name servers, not the pipeline: a client of their own, outside the pipeline's calls.
  const nameServerClient = new Route53Client(options.clientConfig);
  const dnsServer = new LocalDnsServer(new Route53ZoneSource(nameServerClient, resources.zones));
  const { dnsPort, pebble } = await startPebbleWithDns(dnsServer, options.pebble);
  const caFile = path.join(options.root, 'acme-ca.pem');
  await fs.writeFile(caFile, pebble.tlsCaPem);

  const ca = options.privateCaMode ? await createPrivateCa(clients.acmPca, options.suffix, options.privateCaMode) : undefined;
  const privateCa: PrivateCaSettings | undefined = ca && { certificateAuthorityArn: ca.arn, mode: options.privateCaMode!, defaultLifetimeDays: 7 };
  // The environment the stack gives every step function (infra/renewal-functions.ts).
  const settings = settingsFromEnvironment({
    [ENV.zones]: JSON.stringify(resources.zones),
    [ENV.directoryUrl]: pebble.directoryUrl,
    [ENV.directories]: JSON.stringify([pebble.directoryUrl]),
    // On AWS these are compiled into PackageAndStore's bundle; here the variable carries them.
    [ENV.trustAnchors]: JSON.stringify({ [pebble.directoryUrl]: [await pebble.rootPem()], ...(ca ? { [ca.arn]: [ca.rootPem] } : {}) }),
    ...(privateCa ? { [ENV.privateCa]: JSON.stringify(privateCa) } : {}),
    [ENV.contact]: '[]',
    [ENV.defaultProfile]: PEBBLE_DEFAULT_PROFILE,
    [ENV.acmeCaFile]: caFile,
    [ENV.secretPrefix]: resources.secretPrefix,
    [ENV.kmsKeyId]: resources.kmsKeyId,
    [ENV.eventBus]: resources.busName,
    // The scan function's: its inventory compiled in, its limits in the environment (lambdas/catalogue.ts).
    ...(options.certificates ? { [ENV.inventory]: JSON.stringify(options.certificates) } : {}),
    ...(options.scan ? { [ENV.scan]: JSON.stringify(options.scan) } : {}),
  });
  const store = new SecretsManagerCertificateStore(clients.secrets, { prefix: resources.secretPrefix, kmsKeyId: resources.kmsKeyId });
  const dns = new Route53DnsProvider(clients.route53, {
    zones: resources.zones,
    // The zone's "authoritative server" here is the DNS server Pebble asks, serving Route 53's data.
    authoritativeCheck: async (_nameServers, records) => {
      for (const record of records) if (!(await queryTxt({ host: '127.0.0.1', port: dnsPort }, record.name)).includes(record.value)) return false;
      return true;
    },
  });
  const log = jsonLogger(options.logSink ?? (() => {}));
  const deps: StepDeps = {
    settings,
    dns: options.wrapDns ? options.wrapDns(dns) : dns,
    store,
    events: new EventBridgePublisher(clients.eventBridge, resources.busName),
    orders: { ordersSince: async (since) => executor.startedSince(since) },
    issuer: privateCa ? new AcmPcaIssuer(clients.acmPca, { certificateAuthorityArn: privateCa.certificateAuthorityArn }) : NO_PRIVATE_CA,
    // The definitions run in this process, under local execution ids (as on the local default).
    executions: new LocalExecutions(),
    rotations: new SecretsManagerRootRotations(clients.secrets, { prefix: resources.secretPrefix, kmsKeyId: resources.kmsKeyId }),
    hosts: options.hostInventoryLogGroup
      ? new CloudWatchHostReports(new CloudWatchLogsClient(options.clientConfig), options.hostInventoryLogGroup)
      : { hostStates: async () => [], reports: async () => [] },
    queues: new SqsGroupQueues(clients.sqs),
    log,
    now: options.now ?? (() => new Date()),
  };
  const definitions = options.definitions ?? (await cachedDefinitions());
  const executor = new LocalExecutor(definitions.renew, deps);
  const revokeExecutor = revocationExecutor(definitions.revoke, deps, executor);
  const scanExecutor = scanExecutorFor(definitions, deps, executor);
  return {
    pebble,
    dnsServer,
    resources,
    clients,
    store,
    deps,
    executor,
    scanExecutor,
    revokeExecutor,
    ...(ca ? { privateCa: ca } : {}),
    log,
    async stop() {
      await pebble.stop();
      await dnsServer.stop();
      for (const client of [...Object.values(clients), nameServerClient]) client.destroy();
    },
  };
}
