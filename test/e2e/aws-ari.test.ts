/**
 * ARI (RFC 9773) on the AWS path: the synthesized ScanCertificates state machine runs with the
 * Secrets Manager store (against the AWS API emulator) and Pebble 2.10 as the CA. The scan keeps
 * each certificate's renewalInfo answer in the `certflow:ari` tag of its secret until the CA's
 * Retry-After (6 h), asking nothing meanwhile; when the CA moves one window into the past (Pebble's
 * management `POST /set-renewal-info/`), the next check renews exactly that one, with `replaces`.
 * The steps' clock is moved past the Retry-After instead of waiting for it.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TAG } from '../../domain/adapters/aws/secrets-store';
import { fetchDirectoryOffer } from '../../lambdas/acme/directory';
import { startAwsPipeline, type AwsPipeline } from '../../local/aws-environment';
import { postToPebble } from '../../local/pebble';
import type { ExecutionResult } from '../../local/runner';
import { aws, awsClientConfig, uniqueSuffix } from '../support/aws';
import { countRenewalInfoRequests, type RenewalInfoRequests } from '../support/renewal-info-requests';

const HOUR_MS = 3_600_000;
const IDS = ['aws-ari-a', 'aws-ari-b', 'aws-ari-c'];
const INCIDENT = 'aws-ari-b';

describe.skipIf(!aws.endpoint)(`ARI on the AWS path against ${aws.endpoint || `(skipped: ${aws.skipReason})`}`, () => {
  let pipeline: AwsPipeline;
  let root: string;
  let requests: RenewalInfoRequests;
  let clockOffsetMs = 0;
  const now = () => new Date(Date.now() + clockOffsetMs);

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-aws-ari-'));
    pipeline = await startAwsPipeline({
      clientConfig: awsClientConfig(),
      suffix: uniqueSuffix(),
      root,
      subscriberCertificateIds: IDS,
      certificates: IDS.map((id) => ({ id, names: [`${id}.certflow.test`] })),
      scan: { intervalHours: 3, budget: { windowHours: 3, maxOrders: 20 }, expiringDays: 7 },
      now,
    });
    requests = countRenewalInfoRequests((await fetchDirectoryOffer(pipeline.pebble.directoryUrl, pipeline.pebble.tlsCaPem)).renewalInfo!);
  });
  afterAll(async () => {
    requests?.stop();
    await pipeline?.stop();
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  const renewed = (result: ExecutionResult) => (result.output as { outcomes: { certificateId: string; status: string }[] }).outcomes.map((o) => `${o.certificateId} ${o.status}`);
  const summary = (result: ExecutionResult) => (result.output as { summary: Record<string, unknown> }).summary;
  const replacements = () => pipeline.pebble.output().split('\n').filter((line) => /ARI: order .* is a replacement of/.test(line));
  const ariCertIds = async (...ids: string[]) => (await Promise.all(ids.map(async (id) => (await pipeline.store.current(id))!.metadata.ariCertId!))).sort();
  const asked = () => requests.take().sort();
  const ariTag = async (id: string) =>
    ((await pipeline.clients.secrets.send(new DescribeSecretCommand({ SecretId: pipeline.store.certificateSecret(id) }))).Tags ?? []).find((tag) => tag.Key === TAG.ari)?.Value;

  async function scan(): Promise<ExecutionResult> {
    const result = await pipeline.scanExecutor.run({});
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    return result;
  }

  it('issues the declared certificates, keeps each answer in its secret\'s tag, and asks nothing more within the Retry-After', async () => {
    expect(renewed(await scan()).sort()).toEqual(IDS.map((id) => `${id} SUCCEEDED`));
    expect(asked()).toEqual([]);

    expect(summary(await scan())).toMatchObject({ inventory: 3, due: 0, ari: 'used', ariRequests: 3, ariReused: 0 });
    expect(asked()).toEqual(await ariCertIds(...IDS));
    for (const id of IDS) {
      const [certId, start, end, checkedAt, nextCheckAt] = (await ariTag(id))!.split(' ');
      expect(certId).toBe((await ariCertIds(id))[0]);
      expect(Date.parse(end!)).toBeGreaterThan(Date.parse(start!));
      expect(Date.parse(nextCheckAt!) - Date.parse(checkedAt!)).toBe(6 * HOUR_MS); // Pebble's Retry-After
    }

    expect(summary(await scan())).toMatchObject({ due: 0, ariRequests: 0, ariReused: 3 });
    expect(asked()).toEqual([]);
  });

  it('the CA moves one window into the past: within the Retry-After nothing changes; at the next check exactly that one is renewed, with replaces', async () => {
    const issued = (await pipeline.store.issuedCertificate(INCIDENT))!;
    const past = (hours: number) => new Date(now().getTime() - hours * HOUR_MS).toISOString();
    const answer = await postToPebble(`${pipeline.pebble.managementUrl}/set-renewal-info/`, pipeline.pebble.tlsCaPem, {
      Certificate: issued.certificatePem,
      ARIResponse: JSON.stringify({ suggestedWindow: { start: past(2), end: past(1) } }),
    });
    expect(answer.status, answer.body).toBe(200);
    const versions = Object.fromEntries(await Promise.all(IDS.map(async (id) => [id, (await pipeline.store.current(id))!.version] as const)));

    expect(summary(await scan())).toMatchObject({ due: 0, selected: 0, ariRequests: 0 });
    expect(asked()).toEqual([]);

    clockOffsetMs += 6 * HOUR_MS;
    const before = replacements().length;
    const result = await scan();
    expect(asked()).toHaveLength(3);
    expect(renewed(result)).toEqual([`${INCIDENT} SUCCEEDED`]);
    expect(summary(result)).toMatchObject({ due: 1, selected: 1, ariRequests: 3 });
    // Pebble's log reaches us through a pipe: give its line a moment to arrive.
    await expect.poll(() => replacements().slice(before).length, { timeout: 5000 }).toBe(1);
    for (const id of IDS) expect((await pipeline.store.current(id))!.version === versions[id], id).toBe(id !== INCIDENT);

    // The renewed certificate is asked for at once; the others' answers are reused.
    expect(summary(await scan())).toMatchObject({ due: 0, ariRequests: 1, ariReused: 2 });
    expect(asked()).toEqual(await ariCertIds(INCIDENT));
  });
});
