/**
 * The private issuer on the AWS path, against the AWS API emulator's acm-pca (test/support/aws.ts):
 * the adapter's contract first (API reference: IssueCertificate
 * https://docs.aws.amazon.com/privateca/latest/APIReference/API_IssueCertificate.html, GetCertificate
 * https://docs.aws.amazon.com/privateca/latest/APIReference/API_GetCertificate.html, templates
 * https://docs.aws.amazon.com/privateca/latest/userguide/UsingTemplates.html, short-lived mode
 * https://docs.aws.amazon.com/privateca/latest/userguide/short-lived-certificates.html), then the
 * synthesized RenewCertificate definition on the private path with the Secrets Manager store and
 * EventBridge: stored, announced, and a CA that refuses leaves the previous version current.
 *
 * The emulator does not model (covered by test/unit/adapters/aws/private-ca.test.ts): GetCertificate's
 * RequestInProgressException, IdempotencyToken, the signing algorithm, IAM (test/infra/iam.test.ts).
 */
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { UpdateCertificateAuthorityCommand } from '@aws-sdk/client-acm-pca';
import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcmPcaIssuer } from '../../domain/adapters/aws/private-ca';
import { generatePrivateKey } from '../../domain/core/certificate';
import { PrivateCaRejected } from '../../domain/core/errors';
import { verifyChainToAnchors } from '../../domain/core/trust-anchors';
import { USAGE_OIDS } from '../../domain/core/usages';
import { csrFor } from '../../lambdas/issued/csr';
import { startAwsPipeline, type AwsPipeline } from '../../local/aws-environment';
import { aws, awsClientConfig, uniqueSuffix } from '../support/aws';
import { awsHarness } from '../support/fault-matrix';

const ID = 'broker-1';
const NAME = 'broker-1.mq.internal';
const DAY = 86_400_000;

describe.skipIf(!aws.endpoint)(`AWS Private CA against ${aws.endpoint || `(skipped: ${aws.skipReason})`}`, () => {
  let pipeline: AwsPipeline;
  let root: string;
  let issuer: AcmPcaIssuer;
  let ca: { arn: string; rootPem: string };
  const issue = async (usages: readonly ('serverAuth' | 'clientAuth')[], lifetimeDays: number) =>
    issuer.issue({ csrPem: await csrFor([NAME], await generatePrivateKey('ec-p256')), usages, lifetimeDays, idempotencyToken: uniqueSuffix() });

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-aws-pca-'));
    pipeline = await startAwsPipeline({ clientConfig: awsClientConfig(), suffix: uniqueSuffix(), root, subscriberCertificateIds: [ID], privateCaMode: 'SHORT_LIVED_CERTIFICATE' });
    ca = pipeline.privateCa!;
    issuer = new AcmPcaIssuer(pipeline.clients.acmPca, { certificateAuthorityArn: ca.arn });
  }, 120_000);
  afterAll(async () => {
    await pipeline?.stop();
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  it.each([
    [['clientAuth'], [USAGE_OIDS.clientAuth]],
    [['serverAuth'], [USAGE_OIDS.serverAuth]],
    [['serverAuth', 'clientAuth'], [USAGE_OIDS.serverAuth, USAGE_OIDS.clientAuth]],
  ] as const)('issues %j with its template\'s EKU, the requested validity, the SAN, under the CA\'s root', async (usages, ekus) => {
    const chain = (await issuer.fetch(await issue(usages, 3)))!.chain;
    const leaf = new X509Certificate(chain[0]!);
    expect([...(leaf.keyUsage ?? [])].sort()).toEqual([...ekus].sort());
    expect(Math.round((Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / DAY)).toBe(3);
    expect(leaf.subjectAltName).toBe(`DNS:${NAME}`);
    expect(verifyChainToAnchors(chain, [ca.rootPem], new Date()).anchor).toBe(ca.rootPem);
  });

  it('refuses more than 7 days from a SHORT_LIVED_CERTIFICATE CA (ValidationException → PrivateCaRejected)', async () => {
    await expect(issue(['clientAuth'], 8)).rejects.toThrow(PrivateCaRejected);
  });

  it('takes over the lease of a private execution stopped after IssuePrivate (DescribeExecution: over) and discards the key it left (ADR 0012)', async () => {
    const id = 'broker-stopped';
    const request = { certificateId: id, names: ['broker-stopped.mq.internal'], issuer: 'privateCa', usages: ['clientAuth', 'serverAuth'], lifetimeDays: 7 };
    const stop = new AbortController();
    const stopped = await pipeline.executor.run(request, {
      signal: stop.signal,
      aroundStep: async (state, invoke) => {
        const result = await invoke();
        if (state === 'IssuePrivate') stop.abort();
        return result;
      },
    });
    expect(stopped.status).toBe('ABORTED');
    const harness = awsHarness(pipeline);
    expect(await harness.pendingLeft(id)).toEqual([expect.stringMatching(/^pending key /), expect.stringMatching(/^lease held by /)]);
    const next = await pipeline.executor.run(request);
    expect(next.status, `${next.error}: ${next.cause}`).toBe('SUCCEEDED');
    expect(await harness.pendingLeft(id)).toEqual([]);
  }, 120_000);

  it('renews on the private path: stored in Secrets Manager with both EKUs, announced; a CA that refuses leaves that version current', async () => {
    const request = { certificateId: ID, names: [NAME], issuer: 'privateCa', usages: ['clientAuth', 'serverAuth'], lifetimeDays: 7 };
    const first = await pipeline.executor.run(request);
    expect(first.status, `${first.error}: ${first.cause}`).toBe('SUCCEEDED');
    const entered = first.history.filter((event) => event.type === 'StateEntered').map((event) => event.state!.name);
    expect(entered).toContain('CheckPrivateCertificate');
    expect(entered).not.toContain('CreateOrder');
    const current = (await pipeline.store.current(ID))!;
    const leaf = new X509Certificate((await pipeline.store.issuedCertificate(ID, current.version))!.certificatePem);
    expect(leaf.keyUsage).toEqual([USAGE_OIDS.serverAuth, USAGE_OIDS.clientAuth]);
    expect(Math.round((Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / DAY)).toBe(7);
    expect(current.formats).toEqual(['pem', 'pkcs12', 'jks']);

    // The CA is disabled: IssueCertificate refuses, the failure path runs, the first version stays current.
    await pipeline.clients.acmPca.send(new UpdateCertificateAuthorityCommand({ CertificateAuthorityArn: ca.arn, Status: 'DISABLED' }));
    const refused = await pipeline.executor.run(request);
    expect(refused).toMatchObject({ status: 'FAILED', error: 'PrivateCaRejected' });
    const names = refused.history.filter((event) => event.type === 'StateEntered').map((event) => event.state!.name);
    expect(names).toEqual(expect.arrayContaining(['IssuePrivate', 'CleanupPrivateAfterFailure', 'PublishFailed']));
    expect((await pipeline.store.current(ID))!.version).toBe(current.version);
    const { VersionIdsToStages = {} } = await pipeline.clients.secrets.send(new DescribeSecretCommand({ SecretId: `${pipeline.resources.secretPrefix}pending/${ID}` })).catch(() => ({ VersionIdsToStages: {} }));
    expect(Object.values(VersionIdsToStages).flat().filter((stage) => stage !== 'AWSPREVIOUS' && stage !== 'AWSCURRENT')).toEqual([]);

    const { Messages = [] } = await pipeline.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: pipeline.resources.observerQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2 }));
    const detailTypes = Messages.map((message) => (JSON.parse(message.Body!) as { 'detail-type': string })['detail-type']);
    expect(detailTypes).toEqual(expect.arrayContaining(['Certificate Renewed', 'Certificate Renewal Failed']));
  }, 120_000);
});
