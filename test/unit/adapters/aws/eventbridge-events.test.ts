import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EventBridgePublisher } from '../../../../domain/adapters/aws/eventbridge-events';
import type { CertificateRenewalFailedEvent, CertificateRenewedEvent } from '../../../../domain/ports';
import { detailErrors } from '../../../support/schemas';

const eventBridge = mockClient(EventBridgeClient);
const publisher = new EventBridgePublisher(new EventBridgeClient({ region: 'eu-west-1' }), 'certflow');
const ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:certflow/certificates/broker-AbCdEf';

const renewed: CertificateRenewedEvent = {
  certificateId: 'broker',
  version: '6f1c1b2a-0000-4000-8000-000000000001',
  location: ARN,
  names: ['mq.example.com', '*.mq.example.com'],
  serialNumber: '04a1b2',
  notBefore: '2026-11-23T10:00:00.000Z',
  notAfter: '2027-02-21T10:00:00.000Z',
  fingerprintSha256: 'ab'.repeat(32),
  keyType: 'ec-p256',
  formats: ['pem', 'pkcs12', 'jks'],
  executionId: 'arn:aws:states:eu-west-1:111122223333:execution:certflow-RenewCertificate:manual-1',
};
const failed: CertificateRenewalFailedEvent = {
  certificateId: 'broker',
  step: 'CheckOrder',
  error: 'OrderInvalid',
  message: 'order invalid: mq.example.com: urn:ietf:params:acme:error:unauthorized: Correct value not found',
  executionId: 'arn:aws:states:eu-west-1:111122223333:execution:certflow-RenewCertificate:manual-2',
  currentVersion: '6f1c1b2a-0000-4000-8000-000000000001',
};

beforeEach(() => {
  eventBridge.reset();
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
});

describe('EventBridgePublisher', () => {
  it('puts "Certificate Renewed" on the bus with the secret as resource', async () => {
    await publisher.renewed(renewed);
    expect(eventBridge.commandCalls(PutEventsCommand)[0]!.args[0].input).toEqual({
      Entries: [{ EventBusName: 'certflow', Source: 'certflow', DetailType: 'Certificate Renewed', Detail: JSON.stringify(renewed), Resources: [ARN] }],
    });
  });

  it('puts "Certificate Renewal Failed"', async () => {
    await publisher.failed(failed);
    expect(eventBridge.commandCalls(PutEventsCommand)[0]!.args[0].input).toEqual({
      Entries: [{ EventBusName: 'certflow', Source: 'certflow', DetailType: 'Certificate Renewal Failed', Detail: JSON.stringify(failed), Resources: [] }],
    });
  });

  it('a refused entry is the retryable EventPublishFailed', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] });
    await expect(publisher.renewed(renewed)).rejects.toMatchObject({ name: 'EventPublishFailed', retryable: true, message: expect.stringMatching(/InternalFailure try again/) });
  });
});

describe('event detail schemas', () => {
  it('accept the details we publish', () => {
    expect(detailErrors('Certificate Renewed', renewed)).toEqual([]);
    expect(detailErrors('Certificate Renewal Failed', failed)).toEqual([]);
  });

  it.each([
    ['a private key field', { ...renewed, privateKeyPem: '-----BEGIN PRIVATE KEY-----' }, /must NOT have additional properties/],
    ['a missing serial', (({ serialNumber: _s, ...rest }) => rest)(renewed), /must have required property 'serialNumber'/],
    ['an unknown format', { ...renewed, formats: ['pfx'] }, /must be equal to one of the allowed values/],
    ['a bad date', { ...renewed, notAfter: 'tomorrow' }, /must match format "date-time"/],
  ])('reject %s', (_case, detail, message) => {
    expect(detailErrors('Certificate Renewed', detail).join('; ')).toMatch(message);
  });
});
