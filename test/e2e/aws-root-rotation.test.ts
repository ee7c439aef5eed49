/**
 * A private root's rotation on the AWS path (ADR 0013), against the AWS API emulator: two AWS
 * Private CAs (the old one configured, the new one the record names), the record in Secrets Manager,
 * the hosts' reports put on the bus by the agent's EventBridgeReporter and delivered by a rule to
 * the inventory log group (as infra/host-inventory.ts deploys it), and the synthesized
 * ScanCertificates (AdvanceRotation ▶ ScanInventory ▶ RenewCertificate per reissue) on these adapters.
 *
 * 0. `certflow ca rotate --aws` (startAwsRotation) writes the record; the next scan reissues every
 *    certificate for phase distribute.
 * 1. The gate holds while one member has no report in the log group (AdvanceRotation names it; the
 *    record stays in distribute; nothing is reissued), and moves once its report arrives.
 * 2. In issue-new the scan's reissues come from the new CA ARN (IssueCertificate on it, the chain
 *    leads to its root), the truststores still hold both roots.
 *
 * API reference: FilterLogEvents (startTime, nextToken)
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html;
 * IssueCertificate / GetCertificate (CertificateAuthorityArn of the issuing CA)
 * https://docs.aws.amazon.com/privateca/latest/APIReference/API_IssueCertificate.html;
 * PutSecretValue (ClientRequestToken, the record's compare-and-set)
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html.
 * IAM is not enforced by the emulator: test/infra/iam.test.ts holds the roles to the record's secret.
 */
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { CloudWatchLogsClient, CreateLogGroupCommand, DeleteLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBridgeReporter } from '../../agent/reporters';
import { EVENT_SOURCE, HOST_DETAIL_TYPES } from '../../domain/contracts/events';
import { certificateFingerprint, type RotationRecord } from '../../domain/core/root-rotation';
import { startAwsRotation, type AwsRotationContext } from '../../bin/commands/ca-rotate-aws';
import { verifyChainToAnchors } from '../../domain/core/trust-anchors';
import { createPrivateCa, startAwsPipeline, type AwsPipeline } from '../../local/aws-environment';
import type { RotationScan } from '../../lambdas/handlers/advance-rotation';
import { aws, awsClientConfig, uniqueSuffix } from '../support/aws';

const MEMBERS = [
  { certificateId: 'broker-a', host: 'mq-a' },
  { certificateId: 'broker-b', host: 'mq-b' },
] as const;
const request = (certificateId: string) => ({ certificateId, names: [`${certificateId}.mq.internal`], issuer: 'privateCa', usages: ['clientAuth', 'serverAuth'], lifetimeDays: 7 });

describe.skipIf(!aws.endpoint)(`a root rotation on the AWS path, against ${aws.endpoint || `(skipped: ${aws.skipReason})`}`, () => {
  const suffix = uniqueSuffix();
  const logGroupName = `certflow-${suffix}-host-inventory`;
  const logs = new CloudWatchLogsClient(awsClientConfig());
  let pipeline: AwsPipeline;
  let root: string;
  let reporter: EventBridgeReporter;
  let record: RotationRecord;
  let newCa: { arn: string; rootPem: string };
  const logLines: string[] = [];

  /** What the agent on `host` reports once it installed the current version (agent/install.ts copies the roots from its metadata). */
  async function reportInstalled(member: (typeof MEMBERS)[number]): Promise<void> {
    const current = (await pipeline.store.current(member.certificateId))!;
    const { serialNumber, notBefore, notAfter, trustAnchorsSha256, anchorSha256 } = current.metadata;
    await reporter.installed({
      ...member,
      version: current.version,
      serialNumber,
      notBefore,
      notAfter,
      reloaded: true,
      served: true,
      ...(trustAnchorsSha256 ? { trustAnchorsSha256: [...trustAnchorsSha256] } : {}),
      ...(anchorSha256 ? { anchorSha256 } : {}),
    });
  }

  async function scan(): Promise<{ rotation: RotationScan; outcomes: { certificateId: string; status: string }[] }> {
    const result = await pipeline.scanExecutor.run({});
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    return result.output as { rotation: RotationScan; outcomes: { certificateId: string; status: string }[] };
  }

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-aws-rotation-'));
    await logs.send(new CreateLogGroupCommand({ logGroupName }));
    pipeline = await startAwsPipeline({ clientConfig: awsClientConfig(), suffix, root, subscriberCertificateIds: MEMBERS.map((member) => member.certificateId), privateCaMode: 'SHORT_LIVED_CERTIFICATE', hostInventoryLogGroup: logGroupName, logSink: (line) => logLines.push(line) });
    newCa = await createPrivateCa(pipeline.clients.acmPca, `${suffix}n`, 'SHORT_LIVED_CERTIFICATE');
    // The stack's inventory rule: every host report on the bus to the log group (infra/host-inventory.ts HOST_REPORT_PATTERN).
    const { RuleArn } = await pipeline.clients.eventBridge.send(
      new PutRuleCommand({ Name: `certflow-${suffix}-inventory`, EventBusName: pipeline.resources.busName, EventPattern: JSON.stringify({ source: [EVENT_SOURCE], 'detail-type': [...HOST_DETAIL_TYPES] }) }),
    );
    const account = RuleArn!.split(':')[4]!;
    await pipeline.clients.eventBridge.send(
      new PutTargetsCommand({ Rule: `certflow-${suffix}-inventory`, EventBusName: pipeline.resources.busName, Targets: [{ Id: 'inventory', Arn: `arn:aws:logs:${aws.region}:${account}:log-group:${logGroupName}` }] }),
    );
    reporter = new EventBridgeReporter(pipeline.clients.eventBridge, pipeline.resources.busName);

    // Before: both brokers from the configured CA, installed and reported by their hosts.
    for (const member of MEMBERS) {
      const issued = await pipeline.executor.run(request(member.certificateId));
      expect(issued.status, `${issued.error}: ${issued.cause}`).toBe('SUCCEEDED');
      await reportInstalled(member);
    }
    const ca = pipeline.privateCa!;
    // `certflow ca rotate --aws --to <new CA>`: the configured CA's record, both CAs' roots, the members from the log group.
    const context: AwsRotationContext = {
      clients: { acmPca: pipeline.clients.acmPca, secrets: pipeline.clients.secrets, logs },
      secretPrefix: pipeline.resources.secretPrefix,
      kmsKeyId: pipeline.resources.kmsKeyId,
      hostInventoryLogGroup: logGroupName,
      privateCa: { certificateAuthorityArn: ca.arn, nextCertificateAuthorityArn: newCa.arn },
      declaredPrivate: [],
    };
    await expect(startAwsRotation({ ...context, privateCa: { certificateAuthorityArn: ca.arn } }, newCa.arn)).rejects.toThrow(/not privateCa.nextCertificateAuthorityArn/);
    record = await startAwsRotation(context, newCa.arn);
    expect(record).toMatchObject({ ca: ca.arn, phase: 'distribute', certificateIds: ['broker-a', 'broker-b'], members: MEMBERS.map((member) => ({ ...member })) });
    expect(record.oldRoot).toMatchObject({ authority: ca.arn, fingerprintSha256: certificateFingerprint(ca.rootPem) });
    expect(record.newRoot).toMatchObject({ authority: newCa.arn, fingerprintSha256: certificateFingerprint(newCa.rootPem) });
    await expect(startAwsRotation(context, newCa.arn)).rejects.toThrow(/in phase distribute/);
    // The first scan after the start: held (nobody reported since), and every certificate reissued for the phase.
    const first = await scan();
    expect(first.rotation).toMatchObject({ phase: 'distribute', advanced: false });
    expect(first.outcomes.map(({ certificateId, status }) => [certificateId, status])).toEqual([['broker-a', 'SUCCEEDED'], ['broker-b', 'SUCCEEDED']]);
  }, 180_000);

  afterAll(async () => {
    await pipeline?.stop();
    await logs.send(new DeleteLogGroupCommand({ logGroupName })).catch(() => undefined);
    logs.destroy();
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  it('holds phase distribute while a member has no report with both roots in the log group, naming it; moves on once it reports', async () => {
    for (const { certificateId } of MEMBERS) {
      const metadata = (await pipeline.store.current(certificateId))!.metadata;
      expect(metadata.anchorSha256).toBe(record.oldRoot.fingerprintSha256);
      expect([...metadata.trustAnchorsSha256!].sort()).toEqual([record.oldRoot.fingerprintSha256, record.newRoot.fingerprintSha256].sort());
    }
    // Only mq-a installed the distribute version; mq-b's last report is from before the rotation.
    await reportInstalled(MEMBERS[0]);
    const held = await scan();
    expect(held.rotation).toMatchObject({ active: true, from: 'distribute', phase: 'distribute', advanced: false, reissue: [] });
    expect(held.rotation.heldBy).toEqual([{ certificateId: 'broker-b', host: 'mq-b', reason: 'no report since the rotation started' }]);
    expect(held.outcomes).toEqual([]);
    expect((await pipeline.deps.rotations.rotation(record.ca))!.phase).toBe('distribute');

    await reportInstalled(MEMBERS[1]);
    const moved = await scan();
    expect(moved.rotation).toMatchObject({ active: true, from: 'distribute', phase: 'issue-new', advanced: true });
    expect(moved.rotation.reissue.map((entry) => entry.certificateId)).toEqual(['broker-a', 'broker-b']);
    expect(moved.outcomes.map(({ certificateId, status }) => ({ certificateId, status }))).toEqual([
      { certificateId: 'broker-a', status: 'SUCCEEDED' },
      { certificateId: 'broker-b', status: 'SUCCEEDED' },
    ]);
    expect((await pipeline.deps.rotations.rotation(record.ca))!.phase).toBe('issue-new');
  }, 180_000);

  it('issues the leaves of phase issue-new from the new CA ARN, truststores still holding both roots; the gate then waits for them to be served', async () => {
    for (const { certificateId } of MEMBERS) {
      const current = (await pipeline.store.current(certificateId))!;
      expect(current.metadata.anchorSha256).toBe(record.newRoot.fingerprintSha256);
      expect([...current.metadata.trustAnchorsSha256!].sort()).toEqual([record.oldRoot.fingerprintSha256, record.newRoot.fingerprintSha256].sort());
      const leafPem = (await pipeline.store.issuedCertificate(certificateId, current.version))!.certificatePem;
      const leaf = new X509Certificate(leafPem);
      expect(leaf.issuer).toBe(new X509Certificate(newCa.rootPem).subject);
      expect(verifyChainToAnchors([leafPem, newCa.rootPem], [newCa.rootPem], new Date()).anchor).toBe(newCa.rootPem);
      expect(() => verifyChainToAnchors([leafPem], [pipeline.privateCa!.rootPem], new Date())).toThrow();
    }
    // IssuePrivate asked (IssueCertificate on): the configured CA before the rotation, the old one named by the record
    // in distribute, the new one in issue-new.
    const requested = logLines.map((line) => JSON.parse(line) as { message?: string; authority?: string }).filter((line) => line.message === 'private certificate requested');
    const old = pipeline.privateCa!.arn;
    expect(requested.map((line) => line.authority)).toEqual([undefined, undefined, old, old, newCa.arn, newCa.arn]);

    // No host has served a new-root leaf yet: issue-new holds, every member named.
    const held = await scan();
    expect(held.rotation).toMatchObject({ phase: 'issue-new', advanced: false, reissue: [] });
    expect(held.rotation.heldBy!.map((holder) => [holder.host, holder.reason])).toEqual([
      ['mq-a', 'leaf not from the new root'],
      ['mq-b', 'leaf not from the new root'],
    ]);
  }, 180_000);
});
