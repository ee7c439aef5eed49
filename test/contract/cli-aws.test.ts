/**
 * The AWS side of `certflow issue|renew|list|status|history|rollback` (bin/commands/aws.ts) against
 * the AWS API emulator (test/support/aws.ts). Lambda tasks do not run there: executions are
 * checked for what StartExecution stored (name, input) and how the CLI reports their end; the live
 * loop's behaviour is in test/unit/cli/aws-follow.test.ts with aws-sdk-client-mock. Certificates
 * are written by the real store adapter, as PackageAndStore writes them.
 *
 * API reference relied on:
 * - CreateStateMachine / StartExecution / DescribeExecution / ListExecutions:
 *   https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
 *   (the input is stored as given, DescribeExecution returns it; ListExecutions lists newest first)
 * - ListSecretVersionIds: https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ListSecretVersionIds.html
 *   (each version with its VersionStages)
 * - UpdateSecretVersionStage: https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UpdateSecretVersionStage.html
 *   (moving AWSCURRENT puts AWSPREVIOUS on the version it left)
 * - PutEvents: https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
 *   (a rule on the bus delivers the envelope to its SQS target)
 * - PutLogEvents / FilterLogEvents: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html
 *   (the host inventory log group: one envelope a line, as the inventory rule's target writes them;
 *   events before startTime are not returned)
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, DeleteLogGroupCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateStateMachineCommand, DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { Ajv2020 } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsHistory, awsList, awsRevoke, awsRollback, awsRun, awsStatus, type AwsContext } from '../../bin/commands/aws';
import { SecretsManagerCertificateStore } from '../../domain/adapters/aws/secrets-store';
import type { CertificateMetadata } from '../../domain/core/certificate';
import { awsClients, createAwsResources, type AwsClients, type AwsResources } from '../../local/aws-environment';
import { cachedDefinitions } from '../../local/definition-cache';
import { aws, awsClientConfig, stopExecution, uniqueSuffix } from '../support/aws';

const suffix = uniqueSuffix();
const run = promisify(execFile);

/** What the SDK's chain reads for this endpoint: AWS_ENDPOINT_URL, the region, test credentials for the emulator. */
function awsEnvironment(): Record<string, string> {
  const config = awsClientConfig();
  return {
    AWS_ENDPOINT_URL: config.endpoint!,
    AWS_REGION: config.region,
    ...(config.credentials ? { AWS_ACCESS_KEY_ID: config.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: config.credentials.secretAccessKey } : {}),
  };
}
const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats.default(ajv);
const rolledBackSchema = ajv.compile(JSON.parse(readFileSync(new URL('../../schemas/certificate-rolled-back.schema.json', import.meta.url), 'utf8')) as object);

const metadata = (serialNumber: string, names: string[]): CertificateMetadata => ({
  names,
  serialNumber,
  notBefore: '2026-11-01T00:00:00.000Z',
  notAfter: '2027-01-30T00:00:00.000Z',
  fingerprintSha256: serialNumber.padEnd(64, '0'),
  keyType: 'ec-p256',
  issuer: 'CN=Contract CA',
});

describe.skipIf(!aws.endpoint)(`certflow --aws against ${aws.endpoint || `(skipped: ${aws.skipReason})`}`, () => {
  let clients: AwsClients;
  let sfn: SFNClient;
  let resources: AwsResources;
  let store: SecretsManagerCertificateStore;
  let stateMachineArn = '';
  let revokeStateMachineArn = '';
  const logs = new CloudWatchLogsClient(awsClientConfig());
  const hostInventoryLogGroup = `certflow-cli-inventory-${suffix}`;

  const ctx = (out: string[], err: string[] = [], json = true, hostInventory = true): AwsContext => ({
    clients: { sfn, secrets: clients.secrets, events: clients.eventBridge, logs },
    names: { stateMachineArn, secretPrefix: resources.secretPrefix, eventBus: resources.busName, ...(hostInventory ? { hostInventoryLogGroup } : {}) },
    json,
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    follow: { pollMs: 200, maxWaitMs: 30_000 },
  });

  /** PackageAndStore's calls: a pending key for the order, then the certificate promoted over it. */
  async function issue(id: string, serial: string, names: string[]) {
    const pending = await store.pendingKey(id, `https://ca.test/${id}/order/${serial}`, async () => `KEY-${serial}`);
    const privateKeyPem = await store.readPendingKey(pending.pending);
    return store.promote(pending.pending, {
      certificatePem: `CERT-${serial}\n`,
      chainPem: 'ISSUER\n',
      privateKeyPem,
      metadata: metadata(serial, names),
      files: { 'keystore.pass': Buffer.from(`Password${serial}\n`) },
    });
  }

  async function drain(queueUrl: string): Promise<{ 'detail-type': string; source: string; detail: Record<string, unknown> }[]> {
    const envelopes = [];
    for (let empty = 0; empty < 3; ) {
      const { Messages = [] } = await clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      if (Messages.length === 0) empty += 1;
      for (const message of Messages) {
        envelopes.push(JSON.parse(message.Body!));
        await clients.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle! }));
      }
    }
    return envelopes;
  }

  beforeAll(async () => {
    clients = awsClients(awsClientConfig());
    sfn = new SFNClient(awsClientConfig());
    resources = await createAwsResources(clients, suffix, ['cli.example'], ['cli-a', 'cli-b']);
    store = new SecretsManagerCertificateStore(clients.secrets, { prefix: resources.secretPrefix, kmsKeyId: resources.kmsKeyId });
    // The synthesized RenewCertificate definition, as the stack deploys it (its Lambda ARNs do not run here).
    const { renew, revoke } = await cachedDefinitions();
    const create = async (machine: string, definition: object) =>
      (await sfn.send(new CreateStateMachineCommand({ name: `certflow-${suffix}-${machine}`, definition: JSON.stringify(definition), roleArn: 'arn:aws:iam::123456789012:role/certflow' }))).stateMachineArn!;
    stateMachineArn = await create('RenewCertificate', renew.definition);
    revokeStateMachineArn = await create('RevokeCertificate', revoke.definition);
    await issue('cli-a', '0a01', ['a.cli.example']);
    await issue('cli-a', '0a02', ['a.cli.example']);
    await issue('cli-b', '0b01', ['b.cli.example', '*.b.cli.example']);
    await logs.send(new CreateLogGroupCommand({ logGroupName: hostInventoryLogGroup }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: hostInventoryLogGroup, logStreamName: 'inventory' }));
  }, 180_000);
  afterAll(async () => {
    await logs.send(new DeleteLogGroupCommand({ logGroupName: hostInventoryLogGroup })).catch(() => undefined);
    logs.destroy();
    sfn?.destroy();
  });

  /** Lines in the inventory log group, each the envelope EventBridge delivers, timestamped when it was made. */
  async function report(lines: { at: Date; detailType: string; detail: Record<string, unknown> }[]) {
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: hostInventoryLogGroup,
        logStreamName: 'inventory',
        logEvents: lines.map(({ at, detailType, detail }) => ({
          timestamp: at.getTime(),
          message: JSON.stringify({ version: '0', id: `${detailType}-${at.getTime()}`, 'detail-type': detailType, source: 'certflow', account: '123456789012', time: at.toISOString(), region: aws.region, resources: [], detail }),
        })),
      }),
    );
  }

  it('renew --aws starts the RenewCertificate state machine with {certificateId} alone, and exits 1 with the error name the execution ends with', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await awsRun(ctx(out, err), { certificateId: 'cli-a' });
    const result = JSON.parse(out.join('\n')) as { executionArn: string; status: string; error?: string };
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn: result.executionArn }));
    expect(execution.stateMachineArn).toBe(stateMachineArn);
    expect(JSON.parse(execution.input!)).toEqual({ certificateId: 'cli-a' });
    expect(execution.name).toMatch(/^cli-a-\d{8}T\d{6}Z-[0-9a-f]{4}$/);
    // No Lambda runs on the emulator: the first task fails, and the CLI says so with its name.
    expect(result.status).not.toBe('SUCCEEDED');
    expect(code).toBe(1);
    expect(result.error).toMatch(/\S/);
    expect(err.join('\n')).toContain(`${result.status}: ${result.error}`);
  }, 60_000);

  it('revoke --aws starts certflow-RevokeCertificate, found beside RenewCertificate, with the revocation input', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const input = { certificateId: 'cli-a', reason: 'keyCompromise', reissue: true };
    const code = await awsRevoke(ctx(out, err), input);
    const { executionArn, status } = JSON.parse(out.join('\n')) as { executionArn: string; status: string };
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(execution.stateMachineArn).toBe(revokeStateMachineArn);
    expect(JSON.parse(execution.input!)).toEqual(input);
    // No Lambda runs on the emulator: the first task fails, and the CLI exits 1 with its name.
    expect(status).not.toBe('SUCCEEDED');
    expect(code).toBe(1);
  }, 60_000);

  it('issue --aws sends the request as the input schema has it', async () => {
    const out: string[] = [];
    const input = { certificateId: 'cli-b', names: ['b.cli.example', '*.b.cli.example'], keyType: 'ec-p256', keystore: { profile: 'modern' } };
    await awsRun(ctx(out), input);
    const { executionArn } = JSON.parse(out.join('\n')) as { executionArn: string };
    expect(JSON.parse((await sfn.send(new DescribeExecutionCommand({ executionArn }))).input!)).toEqual(input);
  }, 60_000);

  it('list --aws shows the inventory from the store\'s tags', async () => {
    const out: string[] = [];
    expect(await awsList(ctx(out))).toBe(0);
    const { certificates } = JSON.parse(out.join('\n')) as { certificates: Record<string, unknown>[] };
    expect(certificates.map((row) => [row.certificateId, row.names, row.keyType, row.notAfter])).toEqual([
      ['cli-a', ['a.cli.example'], 'ec-p256', '2027-01-30T00:00:00.000Z'],
      ['cli-b', ['b.cli.example', '*.b.cli.example'], 'ec-p256', '2027-01-30T00:00:00.000Z'],
    ]);
    const table: string[] = [];
    expect(await awsList(ctx(table, [], false))).toBe(0);
    expect(table.join('\n')).toMatch(/^cli-b\s+b\.cli\.example,\*\.b\.cli\.example\s+ec-p256\s+- \(90 d\)\s+\S+\s+2027-01-30T00:00:00\.000Z/m);
  });

  it('list --aws plans the next renewal as ScanCertificates would: the lifetime rule, and due now when the declaration changed', async () => {
    const out: string[] = [];
    // cli-b declared with other names (a name removed): the scan reissues it now. cli-a is not declared: its stored names rule.
    const declared = async () => [{ id: 'cli-b', names: ['b.cli.example'], keyType: 'ec-p256' as const }];
    expect(await awsList({ ...ctx(out), now: () => new Date('2026-12-01T00:00:00Z'), declared })).toBe(0);
    const rows = new Map((JSON.parse(out.join('\n')) as { certificates: { certificateId: string; nextRenewal: { at: string | null; due: boolean; reason: string } }[] }).certificates.map((row) => [row.certificateId, row.nextRenewal]));
    // 90 days from 2026-11-01: renewed between ½ and ⅔ of the lifetime (docs/renewal-policy.md), not yet due.
    const a = rows.get('cli-a')!;
    expect(a.due).toBe(false);
    expect(Date.parse(a.at!)).toBeGreaterThanOrEqual(Date.parse('2026-12-16T00:00:00Z'));
    expect(Date.parse(a.at!)).toBeLessThanOrEqual(Date.parse('2026-12-31T00:00:00Z'));
    expect(rows.get('cli-b')).toEqual({ at: null, due: true, reason: 'names changed: -*.b.cli.example' });
    const table: string[] = [];
    await awsList({ ...ctx(table, [], false), now: () => new Date('2026-12-01T00:00:00Z'), declared });
    expect(table.join('\n')).toMatch(/^cli-b\s.*\sdue now\s/m);
    expect(table[0]).toContain('NEXT RENEWAL');
  });

  it('status --aws lists the secret\'s versions with their stages; an unknown id exits 2', async () => {
    const out: string[] = [];
    expect(await awsStatus(ctx(out), 'cli-a')).toBe(0);
    const status = JSON.parse(out.join('\n')) as { currentVersion: string; versions: { version: string; stages: string[] }[] };
    const current = status.versions.find((version) => version.stages.includes('AWSCURRENT'));
    expect(current?.version).toBe(status.currentVersion);
    expect(status.versions.some((version) => version.stages.includes('AWSPREVIOUS'))).toBe(true);
    expect(JSON.stringify(status)).not.toContain('KEY-0a0');
    const err: string[] = [];
    expect(await awsStatus(ctx([], err), 'nowhere'), err.join('\n')).toBe(2);
    expect(err.join('\n')).toMatch(/no certificate 'nowhere'/);
  });

  it('status --aws shows a held lease and its holder: running, or stopped (StopExecution) and taken over at the next renewal', async () => {
    // The holder runs a one-hour Wait, so it stays RUNNING until stopped (an execution of the renewal
    // machine would soon fail here: the emulator runs no Lambda tasks).
    const definition = JSON.stringify({ StartAt: 'Wait', States: { Wait: { Type: 'Wait', Seconds: 3600, End: true } } });
    const waiting = await sfn.send(new CreateStateMachineCommand({ name: `certflow-holder-${suffix}`, definition, roleArn: 'arn:aws:iam::123456789012:role/certflow-test' }));
    const holder = (await sfn.send(new StartExecutionCommand({ stateMachineArn: waiting.stateMachineArn, name: `lease-holder-${suffix}`, input: '{}' }))).executionArn!;
    const shown = async (json: boolean) => {
      const out: string[] = [];
      expect(await awsStatus(ctx(out, [], json), 'cli-b')).toBe(0);
      return out.join('\n');
    };
    await store.acquireLease({ certificateId: 'cli-b', holder, expiresAt: new Date(Date.now() + 3_600_000) }, new Date());
    try {
      expect(await shown(false)).toMatch(new RegExp(`lease +held by ${holder} until .*running: certflow issue/renew of it fails with RenewalInProgress`));
      await stopExecution(sfn, holder);
      expect(await shown(false)).toMatch(new RegExp(`lease +held by ${holder} until .*over \\(stopped, or its process gone\\): the next renewal takes the lease over at once`));
      expect(JSON.parse(await shown(true))).toMatchObject({ lease: { holder, holderState: 'over', leftovers: 0 } });
    } finally {
      await store.releaseLease('cli-b', holder);
    }
    expect(JSON.parse(await shown(true))).toMatchObject({ lease: null });
  });

  describe('hosts from the host inventory log group', () => {
    // cli-b: renewed an hour ago (older than the 10-minute grace); mq-1 installed it and its endpoint
    // served it, mq-2 last reported the version before and has been silent since.
    const renewedAt = new Date(Date.now() - 3_600_000);
    let current = '';
    beforeAll(async () => {
      current = (await store.current('cli-b'))!.version;
      const common = { certificateId: 'cli-b', notBefore: '2026-11-01T00:00:00.000Z', notAfter: '2027-01-30T00:00:00.000Z' };
      await report([
        { at: new Date(renewedAt.getTime() - 3_600_000), detailType: 'Certificate Installed', detail: { ...common, host: 'mq-2', version: 'before-0b01', serialNumber: '0b00', reloaded: true, served: 'unknown' } },
        {
          at: renewedAt,
          detailType: 'Certificate Renewed',
          detail: { ...common, version: current, location: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:x', names: ['b.cli.example'], serialNumber: '0b01', fingerprintSha256: '0b01'.padEnd(64, '0'), keyType: 'ec-p256', formats: ['pem'], executionId: 'e1' },
        },
        {
          at: new Date(renewedAt.getTime() + 60_000),
          detailType: 'Certificate Installed',
          detail: { ...common, host: 'mq-1', version: current, serialNumber: '0b01', reloaded: true, served: true, endpoints: [{ endpoint: 'mq-1:8883', serialNumber: '0b01' }] },
        },
      ]);
    });

    it('status --aws shows each host\'s installed version, served and since when, and names the silent one renewed but not served', async () => {
      const out: string[] = [];
      expect(await awsStatus(ctx(out), 'cli-b')).toBe(0);
      const status = JSON.parse(out.join('\n')) as { hosts: Record<string, unknown>[]; notServed: unknown[] };
      expect(status.hosts).toEqual([
        expect.objectContaining({ host: 'mq-1', verdict: 'current', version: current, serialNumber: '0b01', installedAt: new Date(renewedAt.getTime() + 60_000).toISOString(), served: true }),
        expect.objectContaining({ host: 'mq-2', verdict: 'other', version: 'before-0b01', serialNumber: '0b00', installedAt: new Date(renewedAt.getTime() - 3_600_000).toISOString(), served: 'unknown' }),
      ]);
      expect(status.notServed).toEqual([{ host: 'mq-2', reason: 'not installed' }]);

      const text: string[] = [];
      expect(await awsStatus(ctx(text, [], false), 'cli-b')).toBe(0);
      const shown = text.join('\n');
      expect(shown).toMatch(/^HOST\s+VERSION\s+SERIAL\s+INSTALLED AT\s+STATE\s+SERVED$/m);
      expect(shown).toMatch(new RegExp(`^mq-1\\s+${current}\\s+0b01\\s+\\S+\\s+current\\s+mq-1:8883 0b01$`, 'm'));
      expect(shown).toMatch(/^mq-2\s+before-0b01\s+0b00\s+\S+\s+not current\s+unknown$/m);
      expect(shown).toMatch(/^renewed but not served: mq-2 \(not installed\)$/m);
    });

    it('status --aws counts the grace from the current version\'s announcement, not its notBefore', async () => {
      const out: string[] = [];
      // Five minutes after the renewal (notBefore is a month earlier): within the grace, nobody is named yet.
      expect(await awsStatus({ ...ctx(out), now: () => new Date(renewedAt.getTime() + 5 * 60_000) }, 'cli-b')).toBe(0);
      const status = JSON.parse(out.join('\n')) as { hosts: unknown[]; notServed: unknown[] };
      expect(status.hosts).toHaveLength(2);
      expect(status.notServed).toEqual([]);
    });

    it('list --aws adds the hosts of each certificate', async () => {
      const out: string[] = [];
      expect(await awsList(ctx(out))).toBe(0);
      const { certificates } = JSON.parse(out.join('\n')) as { certificates: { certificateId: string; hosts: { host: string; version: string }[] }[] };
      expect(certificates.map((row) => [row.certificateId, row.hosts.map(({ host, version }) => [host, version])])).toEqual([
        ['cli-a', []],
        ['cli-b', [['mq-1', current], ['mq-2', 'before-0b01']]],
      ]);
      const text: string[] = [];
      expect(await awsList(ctx(text, [], false))).toBe(0);
      expect(text.join('\n')).toMatch(/^ID\s+HOST\s+VERSION\s+SERIAL\s+INSTALLED AT\s+STATE\s+SERVED$/m);
      expect(text.join('\n')).toMatch(/^cli-b\s+mq-2\s+before-0b01\s+0b00\s/m);
    });

    it('without --host-inventory-log-group, list and status --aws still work and say once how to get host rows', async () => {
      const hint = /^hosts: give --host-inventory-log-group <name> \(or set CERTFLOW_HOST_INVENTORY_LOG_GROUP\)/m;
      for (const run of [(c: AwsContext) => awsStatus(c, 'cli-b'), awsList]) {
        const text: string[] = [];
        expect(await run(ctx(text, [], false, false))).toBe(0);
        expect(text.filter((line) => hint.test(line))).toHaveLength(1);
        expect(text.join('\n')).not.toContain('mq-1');
        const out: string[] = [];
        const err: string[] = [];
        expect(await run(ctx(out, err, true, false))).toBe(0);
        expect(JSON.stringify(JSON.parse(out.join('\n')))).toMatch(/"hosts":null/);
        expect(err.filter((line) => hint.test(line))).toHaveLength(1);
      }
    });
  });

  it('history --aws lists the certificate\'s executions and no other\'s', async () => {
    const out: string[] = [];
    expect(await awsHistory(ctx(out), 'cli-a')).toBe(0);
    const history = JSON.parse(out.join('\n')) as { executions: { name: string; status: string }[]; versions: unknown[] };
    expect(history.executions.length).toBeGreaterThanOrEqual(1);
    expect(history.executions.every((execution) => execution.name.startsWith('cli-a-'))).toBe(true);
    expect(history.versions.length).toBeGreaterThanOrEqual(2);
  });

  it('rollback --aws moves AWSCURRENT back and announces "Certificate Rolled Back" on the bus, valid against its schema', async () => {
    const secretId = `${resources.secretPrefix}certificates/cli-a`;
    const before = (await clients.secrets.send(new DescribeSecretCommand({ SecretId: secretId }))).VersionIdsToStages!;
    const holder = (stages: Record<string, string[]>, label: string) => Object.keys(stages).find((version) => stages[version]!.includes(label));
    const [from, to] = [holder(before, 'AWSCURRENT')!, holder(before, 'AWSPREVIOUS')!];
    await drain(resources.observerQueueUrl);

    const refused: string[] = [];
    expect(await awsRollback(ctx([], refused), 'cli-a', { to: from })).toBe(1);
    expect(refused.join('\n')).toMatch(/makes the previous version \(AWSPREVIOUS = .*\) current again/);

    const out: string[] = [];
    expect(await awsRollback(ctx(out), 'cli-a', { to })).toBe(0);
    const after = (await clients.secrets.send(new DescribeSecretCommand({ SecretId: secretId }))).VersionIdsToStages!;
    expect(holder(after, 'AWSCURRENT')).toBe(to);
    expect(holder(after, 'AWSPREVIOUS')).toBe(from);
    expect(JSON.parse(out.join('\n'))).toMatchObject({ certificateId: 'cli-a', from, to });

    const events = (await drain(resources.observerQueueUrl)).filter((event) => event['detail-type'] === 'Certificate Rolled Back');
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event!.source).toBe('certflow');
    expect(event!.detail).toEqual({
      certificateId: 'cli-a',
      version: to,
      previousVersion: from,
      serialNumber: '0a01',
      notBefore: '2026-11-01T00:00:00.000Z',
      notAfter: '2027-01-30T00:00:00.000Z',
      fingerprintSha256: '0a01'.padEnd(64, '0'),
    });
    expect(rolledBackSchema(event!.detail), JSON.stringify(rolledBackSchema.errors)).toBe(true);
    // The inventory follows: list shows the rolled-back-to version as current.
    const list: string[] = [];
    await awsList(ctx(list));
    expect((JSON.parse(list.join('\n')) as { certificates: { certificateId: string; currentVersion: string }[] }).certificates.find((row) => row.certificateId === 'cli-a')?.currentVersion).toBe(to);
  }, 60_000);

  it('as an operator runs it (node bin/cli.js): the SDK chain finds the endpoint, region and credentials in the environment', async () => {
    const env: Record<string, string | undefined> = { ...process.env, ...awsEnvironment(), CERTFLOW_SECRET_PREFIX: resources.secretPrefix };
    delete env.CERTFLOW_STATE_MACHINE_ARN;
    const listed = await run(process.execPath, ['bin/cli.js', 'list', '--aws', '--json'], { env, timeout: 60_000 });
    const { store: where, certificates } = JSON.parse(listed.stdout) as { store: string; certificates: { certificateId: string }[] };
    expect(where).toBe(`secretsmanager:${resources.secretPrefix}certificates/`);
    expect(certificates.map((row) => row.certificateId)).toEqual(['cli-a', 'cli-b']);
    // CERTFLOW_STATE_MACHINE_ARN set: AWS without --aws.
    const status = await run(process.execPath, ['bin/cli.js', 'status', 'cli-b', '--host-inventory-log-group', hostInventoryLogGroup], { env: { ...env, CERTFLOW_STATE_MACHINE_ARN: stateMachineArn }, timeout: 60_000 });
    expect(status.stdout).toMatch(/^cli-b\n {2}current {3}version \S+ \(AWSCURRENT\)/);
    // The hosts, read from the log group the flag names (written by the tests above).
    expect(status.stdout).toMatch(/^mq-2\s+before-0b01\s/m);
  }, 120_000);

  it('rollback --aws with no previous version exits 1 and announces nothing', async () => {
    await drain(resources.observerQueueUrl);
    const err: string[] = [];
    expect(await awsRollback(ctx([], err), 'cli-b')).toBe(1);
    expect(err.join('\n')).toMatch(/nothing to roll back to \(no previous version\)/);
    expect(await drain(resources.observerQueueUrl)).toEqual([]);
  }, 30_000);
});

