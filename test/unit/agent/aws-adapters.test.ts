/** SQS and Secrets Manager adapters: exact request shapes (Prepare / Act / Assess), and the SQS loop end to end with mocks. */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import * as fs from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SecretsManagerCertificateSource } from '../../../agent/adapters/aws/secrets-manager-source';
import { SqsEventSource } from '../../../agent/adapters/aws/sqs-event-source';
import { CertificateAgent } from '../../../agent/certificate-agent';
import { BundleRejected, VersionNotFound } from '../../../agent/errors';
import { runEventLoop } from '../../../agent/event-loop';
import { InstallDir } from '../../../agent/install/install-dir';
import { issueBundle, recordingLog, RecordingReload, renewedEnvelope, tempDir } from './fixtures';

const sqs = mockClient(SQSClient);
const sm = mockClient(SecretsManagerClient);
const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/111122223333/certflow-brokers';
const ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:certflow/certificates/broker-AbCdEf';
const VERSION_1 = '11111111-1111-4111-8111-111111111111';
const VERSION_2 = '22222222-2222-4222-8222-222222222222';

beforeEach(() => {
  sqs.reset();
  sm.reset();
});

describe('SqsEventSource', () => {
  const source = new SqsEventSource(new SQSClient({ region: 'eu-west-1' }), QUEUE_URL);

  it('long-polls up to 10 messages for 20 s and parses the EventBridge envelope in the body', async () => {
    const envelope = { source: 'certflow', 'detail-type': 'Certificate Renewed', detail: { certificateId: 'broker' } };
    sqs.on(ReceiveMessageCommand).resolves({
      Messages: [
        { MessageId: 'm-1', ReceiptHandle: 'rh-1', Body: JSON.stringify(envelope), Attributes: { ApproximateReceiveCount: '3' } },
        { MessageId: 'm-2', ReceiptHandle: 'rh-2', Body: 'not json' },
      ],
    });

    const received = await source.receive();

    expect(sqs.commandCalls(ReceiveMessageCommand).map((call) => call.args[0].input)).toEqual([
      { QueueUrl: QUEUE_URL, MaxNumberOfMessages: 10, WaitTimeSeconds: 20, MessageSystemAttributeNames: ['ApproximateReceiveCount'] },
    ]);
    expect(received).toEqual([
      { id: 'm-1', receipt: 'rh-1', envelope, receiveCount: 3 },
      { id: 'm-2', receipt: 'rh-2', envelope: 'not json', receiveCount: 1 },
    ]);
  });

  it('deletes with the receipt handle on ack, and sends nothing on release', async () => {
    sqs.on(DeleteMessageCommand).resolves({});
    const event = { id: 'm-1', receipt: 'rh-1', envelope: {}, receiveCount: 1 };
    await source.release(event);
    expect(sqs.calls()).toHaveLength(0);
    await source.ack(event);
    expect(sqs.commandCalls(DeleteMessageCommand).map((call) => call.args[0].input)).toEqual([{ QueueUrl: QUEUE_URL, ReceiptHandle: 'rh-1' }]);
  });

  it('reads the visibility timeout and the redrive limit', async () => {
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { VisibilityTimeout: '600', RedrivePolicy: '{"deadLetterTargetArn":"arn:aws:sqs:eu-west-1:111122223333:dlq","maxReceiveCount":5}' } });
    expect(await source.settings()).toEqual({ visibilityTimeoutSeconds: 600, maxReceiveCount: 5 });
    expect(sqs.commandCalls(GetQueueAttributesCommand)[0]!.args[0].input).toEqual({ QueueUrl: QUEUE_URL, AttributeNames: ['VisibilityTimeout', 'RedrivePolicy'] });
  });
});

describe('the SQS loop', () => {
  let root: string;
  beforeEach(async () => {
    root = await tempDir('sqs-loop');
  });
  afterEach(async () => fs.rm(root, { recursive: true, force: true }));

  it('deletes a message once its version is installed and reloaded, and leaves a failed one in the queue', async () => {
    const v1 = await issueBundle('broker', VERSION_1, { notBefore: new Date(Date.now() - 7_200_000) });
    const v2 = await issueBundle('broker', VERSION_2);
    const versions = { [VERSION_1]: v1, [VERSION_2]: v2 };
    sm.on(GetSecretValueCommand).callsFake(async (input: { VersionId: keyof typeof versions }) => ({
      ARN, VersionId: input.VersionId, SecretString: JSON.stringify(versions[input.VersionId]),
    }));
    const controller = new AbortController();
    sqs.on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [
          { MessageId: 'm-1', ReceiptHandle: 'rh-1', Body: JSON.stringify(renewedEnvelope(v1, { location: ARN })) },
          { MessageId: 'm-2', ReceiptHandle: 'rh-2', Body: JSON.stringify(renewedEnvelope(v2, { location: ARN })) },
        ],
      })
      .callsFake(async () => {
        controller.abort();
        return {};
      });
    sqs.on(DeleteMessageCommand).resolves({});
    const reload = new RecordingReload();
    reload.failFor.add(VERSION_2);
    const agent = new CertificateAgent({
      certificateIds: ['broker'],
      source: new SecretsManagerCertificateSource(new SecretsManagerClient({ region: 'eu-west-1' })),
      installDir: new InstallDir(root),
      reload,
      log: recordingLog(),
      now: () => new Date(),
      keepVersions: 5,
    });

    await runEventLoop({ agent, events: new SqsEventSource(new SQSClient({ region: 'eu-west-1' }), QUEUE_URL), log: recordingLog(), signal: controller.signal });

    // The events name ARN as their location; the agent reads its own configured secret regardless.
    expect(sm.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input)).toEqual([
      { SecretId: 'certflow/certificates/broker', VersionId: VERSION_1 },
      { SecretId: 'certflow/certificates/broker', VersionId: VERSION_2 },
    ]);
    expect(sqs.commandCalls(DeleteMessageCommand).map((call) => call.args[0].input)).toEqual([{ QueueUrl: QUEUE_URL, ReceiptHandle: 'rh-1' }]);
    expect(reload.versions()).toEqual([VERSION_1, VERSION_2, VERSION_1]);
  });
});

describe('SecretsManagerCertificateSource', () => {
  const client = new SecretsManagerClient({ region: 'eu-west-1' });

  it("reads an event's version by VersionId from the certificate's configured secret, never from one an event names", async () => {
    const bundle = await issueBundle('broker', VERSION_2);
    sm.on(GetSecretValueCommand).resolves({ ARN, VersionId: VERSION_2, SecretString: JSON.stringify(bundle) });
    expect(await new SecretsManagerCertificateSource(client).version('broker', VERSION_2)).toEqual(bundle);
    expect(await new SecretsManagerCertificateSource(client, { secretIds: { broker: ARN } }).version('broker', VERSION_2)).toEqual(bundle);
    expect(sm.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input)).toEqual([
      { SecretId: 'certflow/certificates/broker', VersionId: VERSION_2 },
      { SecretId: ARN, VersionId: VERSION_2 },
    ]);
  });

  it("asks a version's own stages whether it is current (GetSecretValue returns VersionStages)", async () => {
    sm.on(GetSecretValueCommand, { VersionId: VERSION_1 }).resolves({ ARN, VersionId: VERSION_1, VersionStages: ['AWSPREVIOUS'], SecretString: '{}' });
    sm.on(GetSecretValueCommand, { VersionId: VERSION_2 }).resolves({ ARN, VersionId: VERSION_2, VersionStages: ['AWSCURRENT'], SecretString: '{}' });
    const source = new SecretsManagerCertificateSource(client);
    expect([await source.isCurrent('broker', VERSION_1), await source.isCurrent('broker', VERSION_2)]).toEqual([false, true]);
  });

  it("reads the current version from the pipeline's secret name, or the one configured", async () => {
    const bundle = await issueBundle('broker', VERSION_1);
    sm.on(GetSecretValueCommand).resolves({ ARN, VersionId: VERSION_1, SecretString: JSON.stringify(bundle) });
    await new SecretsManagerCertificateSource(client).current('broker');
    await new SecretsManagerCertificateSource(client, { secretPrefix: 'prod/certflow/' }).current('broker');
    await new SecretsManagerCertificateSource(client, { secretIds: { broker: ARN } }).current('broker');
    expect(sm.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input)).toEqual([
      { SecretId: 'certflow/certificates/broker' },
      { SecretId: 'prod/certflow/certificates/broker' },
      { SecretId: ARN },
    ]);
  });

  it('maps a missing secret or version to "nothing there"', async () => {
    sm.on(GetSecretValueCommand).rejects(Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' }));
    const source = new SecretsManagerCertificateSource(client);
    expect(await source.current('broker')).toBeUndefined();
    await expect(source.version('broker', VERSION_1)).rejects.toThrow(VersionNotFound);
  });

  it('a current version that is a key-only document (left by certflow before issue #9) means no certificate yet; by VersionId it is rejected', async () => {
    sm.on(GetSecretValueCommand).resolves({ ARN, VersionId: VERSION_1, SecretString: JSON.stringify({ kind: 'pending-key', certificateId: 'broker', privateKeyPem: 'K' }) });
    const source = new SecretsManagerCertificateSource(client);
    expect(await source.current('broker')).toBeUndefined();
    await expect(source.version('broker', VERSION_1)).rejects.toThrow(BundleRejected);
  });

  it.each([
    ['no SecretString (a binary secret)', async () => ({ ARN, VersionId: VERSION_1 }), /holds no SecretString/],
    ['not JSON', async () => ({ ARN, VersionId: VERSION_1, SecretString: 'PEM?' }), /is not JSON/],
    ['a pending-key document', async () => ({ ARN, VersionId: VERSION_1, SecretString: '{"kind":"pending-key"}' }), /schema/],
    ['another certificate', async () => ({ ARN, VersionId: VERSION_1, SecretString: JSON.stringify(await issueBundle('other', VERSION_1)) }), /holds certificate 'other'/],
    ['a bundle naming another version', async () => ({ ARN, VersionId: VERSION_1, SecretString: JSON.stringify(await issueBundle('broker', VERSION_2)) }), /names itself version/],
  ])('rejects %s', async (_case, response, message) => {
    sm.on(GetSecretValueCommand).resolves(await response());
    const read = new SecretsManagerCertificateSource(client).version('broker', VERSION_1);
    await expect(read).rejects.toThrow(BundleRejected);
    await expect(new SecretsManagerCertificateSource(client).version('broker', VERSION_1)).rejects.toThrow(message);
  });
});

describe('EventBridgeReporter', () => {
  it('puts "Certificate Reload Failed" and "Certificate Installed" on the pipeline bus', async () => {
    const { EventBridgeClient, PutEventsCommand } = await import('@aws-sdk/client-eventbridge');
    const { EventBridgeReporter } = await import('../../../agent/reporters');
    const eventBridge = mockClient(EventBridgeClient);
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
    const detail = { certificateId: 'broker-eu1', host: 'mq-1', stage: 'reload', version: 'v2', serialNumber: '0a', error: 'reload command exited 1', rolledBackTo: 'v1', rollbackReloaded: true } as const;
    const installed = { certificateId: 'broker-eu1', host: 'mq-1', version: 'v2', serialNumber: '0a', notBefore: '2026-01-01T00:00:00.000Z', notAfter: '2026-04-01T00:00:00.000Z', reloaded: true };
    const reporter = new EventBridgeReporter(new EventBridgeClient({ region: 'eu-west-1' }), 'certflow');
    await reporter.failed(detail);
    await reporter.installed(installed);
    expect(eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input)).toEqual([
      { Entries: [{ EventBusName: 'certflow', Source: 'certflow', DetailType: 'Certificate Reload Failed', Detail: JSON.stringify(detail) }] },
      { Entries: [{ EventBusName: 'certflow', Source: 'certflow', DetailType: 'Certificate Installed', Detail: JSON.stringify(installed) }] },
    ]);
  });
});
