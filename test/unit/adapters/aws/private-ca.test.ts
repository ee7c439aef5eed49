/**
 * The AWS Private CA adapter's exact requests, and what the emulator cannot show: GetCertificate
 * answering RequestInProgressException while AWS is still issuing. AWS documents that a certificate
 * may not be retrievable right after IssueCertificate
 * (https://docs.aws.amazon.com/privateca/latest/APIReference/API_GetCertificate.html: "Your request is
 * already in progress" = RequestInProgressException; https://docs.aws.amazon.com/privateca/latest/APIReference/API_IssueCertificate.html:
 * CertificateArn returned at once, the certificate fetched with GetCertificate). The emulator always
 * answers at once, so the state machine's Wait + Choice loop on it is proven here: the synthesized
 * RenewCertificate definition runs in-process with the adapter on a mocked client whose certificates
 * a local CA signs from the CSR it was sent.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { X509Certificate } from 'node:crypto';
import {
  ACMPCAClient,
  GetCertificateCommand,
  IssueCertificateCommand,
  InvalidStateException,
  RequestInProgressException,
} from '@aws-sdk/client-acm-pca';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AcmPcaIssuer } from '../../../../domain/adapters/aws/private-ca';
import { LocalEventLog } from '../../../../domain/adapters/local/event-log';
import { FileCertificateStore } from '../../../../domain/adapters/local/file-store';
import { LocalPrivateCa } from '../../../../domain/adapters/local/local-private-ca';
import { PrivateCaRejected, PrivateCaUnavailable } from '../../../../domain/core/errors';
import { jsonLogger } from '../../../../domain/logging/logger';
import type { StepDeps } from '../../../../lambdas/deps';
import { cachedDefinitions } from '../../../../local/definition-cache';
import { LocalExecutor } from '../../../../local/runner';
import { keyNeedles, scanForSecrets } from '../../../support/secret-scan';

const CA = 'arn:aws:acm-pca:eu-west-1:111111111111:certificate-authority/11111111-2222-3333-4444-555555555555';
const CERTIFICATE = `${CA}/certificate/0123456789abcdef0123456789abcdef`;
const inProgress = () => new RequestInProgressException({ message: 'Your request is already in progress.', $metadata: {} });

// @aws-sdk/client-acm-pca 3.523 (the newest the registry has) is built on an older @smithy/types than
// aws-sdk-client-mock's: its classes are typed for the mock here; the calls are the real SDK's.
/** What every SDK output carries (@smithy/types' MetadataBearer, which only the SDK depends on). */
type MetadataBearer = { $metadata: object };
type Stub = AwsStub<object, MetadataBearer, unknown>;
const pca = mockClient(ACMPCAClient as unknown as Parameters<typeof mockClient>[0]) as unknown as Stub;
const cmd = (command: unknown) => command as Parameters<Stub['on']>[0];
const inputsOf = <T>(command: unknown) => pca.commandCalls(cmd(command)).map((call) => (call.args[0] as unknown as { input: T }).input);
let root: string;
let signer: LocalPrivateCa;
/** What the mocked CA issued, by the CSR IssueCertificate carried. */
let issuedPem: string | undefined;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-pca-unit-'));
  signer = await LocalPrivateCa.open(path.join(root, 'signer'), { mode: 'SHORT_LIVED_CERTIFICATE' });
});
afterAll(async () => {
  pca.restore();
  await fs.rm(root, { recursive: true, force: true });
});
beforeEach(() => {
  pca.reset();
  issuedPem = undefined;
  pca.on(cmd(IssueCertificateCommand)).callsFake(async (input: { Csr: Uint8Array; TemplateArn: string; Validity: { Value: number } }) => {
    const usages = input.TemplateArn.endsWith('EndEntityCertificate/V1') ? (['serverAuth', 'clientAuth'] as const) : input.TemplateArn.includes('Client') ? (['clientAuth'] as const) : (['serverAuth'] as const);
    const ref = await signer.issue({ csrPem: new TextDecoder().decode(input.Csr), usages, lifetimeDays: input.Validity.Value, idempotencyToken: Math.random().toString(16).slice(2) });
    issuedPem = (await signer.fetch(ref))!.chain[0];
    return { CertificateArn: CERTIFICATE, $metadata: {} };
  });
});

describe('AcmPcaIssuer requests (Prepare / Act / Assess)', () => {
  it.each([
    [['clientAuth'], 'EndEntityClientAuthCertificate/V1'],
    [['serverAuth'], 'EndEntityServerAuthCertificate/V1'],
    [['serverAuth', 'clientAuth'], 'EndEntityCertificate/V1'],
  ] as const)('IssueCertificate for %j names template %s, DAYS validity, the token and the CSR', async (usages, template) => {
    const issuer = new AcmPcaIssuer(new ACMPCAClient({ region: 'eu-west-1' }), { certificateAuthorityArn: CA, signingAlgorithm: 'SHA256WITHECDSA' });
    const csrPem = await testCsr();
    const ref = await issuer.issue({ csrPem, usages, lifetimeDays: 3, idempotencyToken: 'abc123' });
    expect(ref).toBe(CERTIFICATE);
    const [input] = inputsOf<{ Csr: Uint8Array }>(IssueCertificateCommand);
    expect({ ...input, Csr: new TextDecoder().decode(input!.Csr) }).toEqual({
      CertificateAuthorityArn: CA,
      Csr: csrPem,
      SigningAlgorithm: 'SHA256WITHECDSA',
      TemplateArn: `arn:aws:acm-pca:::template/${template}`,
      Validity: { Type: 'DAYS', Value: 3 },
      IdempotencyToken: 'abc123',
    });
  });

  it('reads RequestInProgressException as "not yet", and the chain (leaf, then CertificateChain) once issued', async () => {
    pca.on(cmd(GetCertificateCommand)).rejectsOnce(inProgress()).resolves({ Certificate: signer.rootPem, CertificateChain: signer.rootPem, $metadata: {} } as MetadataBearer);
    const issuer = new AcmPcaIssuer(new ACMPCAClient({ region: 'eu-west-1' }), { certificateAuthorityArn: CA });
    expect(await issuer.fetch(CERTIFICATE)).toBeUndefined();
    expect((await issuer.fetch(CERTIFICATE))!.chain).toHaveLength(2);
    expect(inputsOf(GetCertificateCommand)).toEqual([
      { CertificateAuthorityArn: CA, CertificateArn: CERTIFICATE },
      { CertificateAuthorityArn: CA, CertificateArn: CERTIFICATE },
    ]);
  });

  it('issues from the CA a root rotation\'s phase names, and reads a certificate back from the CA its ARN is under (ADR 0013)', async () => {
    const NEXT = CA.replace('555555555555', '666666666666');
    const issuer = new AcmPcaIssuer(new ACMPCAClient({ region: 'eu-west-1' }), { certificateAuthorityArn: CA });
    await issuer.issue({ csrPem: await testCsr(), usages: ['clientAuth'], lifetimeDays: 3, idempotencyToken: 'abc123', certificateAuthority: NEXT });
    expect(inputsOf<{ CertificateAuthorityArn: string }>(IssueCertificateCommand).map((input) => input.CertificateAuthorityArn)).toEqual([NEXT]);
    pca.on(cmd(GetCertificateCommand)).resolves({ Certificate: signer.rootPem, $metadata: {} } as MetadataBearer);
    await issuer.fetch(`${NEXT}/certificate/0123456789abcdef0123456789abcdef`);
    await issuer.fetch('a reference not under any CA ARN');
    expect(inputsOf<{ CertificateAuthorityArn: string }>(GetCertificateCommand).map((input) => input.CertificateAuthorityArn)).toEqual([NEXT, CA]);
  });

  // ACM PCA models no throttling exception class: the service's ThrottlingException arrives by name.
  it('maps throttling to the retryable PrivateCaUnavailable, and a refusal (CA not ACTIVE) to the final PrivateCaRejected', async () => {
    const issuer = new AcmPcaIssuer(new ACMPCAClient({ region: 'eu-west-1', maxAttempts: 1 }), { certificateAuthorityArn: CA });
    pca.on(cmd(GetCertificateCommand)).rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));
    await expect(issuer.fetch(CERTIFICATE)).rejects.toBeInstanceOf(PrivateCaUnavailable);
    pca.on(cmd(IssueCertificateCommand)).rejects(new InvalidStateException({ message: 'CA is DISABLED', $metadata: { httpStatusCode: 400 } }));
    await expect(issuer.issue({ csrPem: await testCsr(), usages: ['clientAuth'], lifetimeDays: 1, idempotencyToken: 't' })).rejects.toBeInstanceOf(PrivateCaRejected);
  });
});

describe('the state machine waits for AWS Private CA (Wait + Choice on RequestInProgressException)', () => {
  it('polls GetCertificate until issued, then stores the certificate; no sleep in a Lambda, no secret in state', async () => {
    pca.on(cmd(GetCertificateCommand))
      .rejectsOnce(inProgress())
      .rejectsOnce(inProgress())
      .callsFake(async () => ({ Certificate: issuedPem, CertificateChain: signer.rootPem, $metadata: {} }) as MetadataBearer);
    const logs: string[] = [];
    const store = new FileCertificateStore(path.join(root, 'store'));
    const deps: StepDeps = {
      settings: {
        zones: [],
        defaultDirectoryUrl: 'https://acme.invalid/directory',
        defaultContact: [],
        secretPrefix: 'certflow/',
        trustAnchors: { [CA]: [signer.rootPem] },
        privateCa: { certificateAuthorityArn: CA, mode: 'SHORT_LIVED_CERTIFICATE', defaultLifetimeDays: 7 },
      },
      store,
      dns: unused('dns'),
      events: new LocalEventLog(path.join(root, 'events.jsonl')),
      orders: { ordersSince: async () => 0 },
      executions: unused('executions'),
      // No rotation: the configured CA issues, its anchors hold.
      rotations: { rotation: async () => undefined, saveRotation: () => Promise.reject(new Error('the private path must not write the rotation')) },
      hosts: unused('hosts'),
      queues: unused('queues'),
      issuer: new AcmPcaIssuer(new ACMPCAClient({ region: 'eu-west-1' }), { certificateAuthorityArn: CA }),
      log: jsonLogger((line) => logs.push(line)),
      now: () => new Date(),
    };
    const executor = new LocalExecutor((await cachedDefinitions()).renew, deps);

    const result = await executor.run({ certificateId: 'broker-1', names: ['broker-1.mq.internal'], issuer: 'privateCa', usages: ['clientAuth', 'serverAuth'], lifetimeDays: 5 });

    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    const entered = result.history.filter((event) => event.type === 'StateEntered').map((event) => event.state!.name);
    expect(entered.filter((name) => name === 'CheckPrivateCertificate')).toHaveLength(3);
    expect(entered.filter((name) => name === 'Wait PrivateCertificateIssued')).toHaveLength(3);
    expect(entered).not.toContain('CreateOrder');
    expect(inputsOf(IssueCertificateCommand)).toHaveLength(1);
    // Three polls, then PackageAndStorePrivate reads it once more.
    expect(inputsOf(GetCertificateCommand)).toHaveLength(4);
    const current = (await store.current('broker-1'))!;
    const leaf = new X509Certificate(await fs.readFile(path.join(current.location, 'cert.pem'), 'utf8'));
    expect(leaf.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    expect((Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / 86_400_000).toBeCloseTo(5, 1);
    const key = await fs.readFile(path.join(current.location, 'privkey.pem'), 'utf8');
    expect(scanForSecrets({ history: JSON.stringify(result.history), logs: logs.join('\n'), output: JSON.stringify(result.output) }, keyNeedles('leaf key', key))).toEqual([]);
  }, 120_000);
});

function unused(port: string): never {
  return new Proxy({}, { get: () => () => Promise.reject(new Error(`the private path must not use ${port}`)) }) as never;
}

async function testCsr(): Promise<string> {
  const { csrFor } = await import('../../../../lambdas/issued/csr');
  const { generatePrivateKey } = await import('../../../../domain/core/certificate');
  return csrFor(['broker-1.mq.internal'], await generatePrivateKey('ec-p256'));
}
