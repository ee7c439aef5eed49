/**
 * The AWS side of `certflow issue|renew|list|status|history|rollback` (bin/cli.ts dispatches here
 * when bin/commands/aws-mode.ts says AWS). Each function returns the exit code: 0 ok, 1 failed,
 * 2 usage. Secret values are never printed: list/status/history read tags and version stages
 * (ListSecrets, DescribeSecret, ListSecretVersionIds); rollback reads the bundle the store makes
 * current again for its public metadata only (the announcement's serial, dates and fingerprint).
 *
 * Minimal IAM of the operator running them:
 * - issue/renew: states:StartExecution on the RenewCertificate state machine,
 *   states:DescribeExecution and states:GetExecutionHistory on its executions;
 * - revoke: the same on the RevokeCertificate state machine;
 * - list/status: secretsmanager:ListSecrets, secretsmanager:DescribeSecret and
 *   secretsmanager:ListSecretVersionIds on `<prefix>certificates/*`; status also shows the renewal
 *   lease: secretsmanager:GetSecretValue on `<prefix>leases/*` (no private material; kms:Decrypt) and
 *   states:DescribeExecution on its holder (without them it says the lease could not be read);
 *   with --host-inventory-log-group, the hosts: logs:FilterLogEvents on that log group;
 * - history: the same plus states:ListExecutions on the state machine and states:DescribeExecution;
 * - rollback: secretsmanager:DescribeSecret, GetSecretValue, UpdateSecretVersionStage, TagResource
 *   on `<prefix>certificates/<id>`, kms:Decrypt on the stack's key, events:PutEvents on the bus.
 */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DescribeSecretCommand, ListSecretVersionIdsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient, type ExecutionListItem, type ListExecutionsCommandOutput } from '@aws-sdk/client-sfn';
import { EventBridgePublisher } from '../../domain/adapters/aws/eventbridge-events';
import { CloudWatchHostReports } from '../../domain/adapters/aws/host-reports';
import { SecretsManagerCertificateStore } from '../../domain/adapters/aws/secrets-store';
import { DETAIL_TYPES } from '../../domain/contracts/events';
import { HOST_REPORTS_LOOKBACK_DAYS, hostInventory, hostsOf, type ReportEnvelope } from '../../domain/core/host-inventory';
import { DAY_MS } from '../../domain/core/durations';
import type { StoredCertificateState } from '../../domain/ports';
import type { Verdict } from '../../domain/core/renewal-policy';
import { plannedRenewals, type ManagedCertificate } from '../../domain/core/scan-plan';
import {
  hostRow,
  hostsTable,
  inventoryTable,
  leaseLine,
  leaseView,
  nextRenewal,
  nextRenewalCell,
  notServedLine,
  profileCell,
  revokedNote,
  table,
  unservedHosts,
  usagesCell,
  type LeaseView,
} from './inventory-view';
import { StepFunctionsExecutions } from '../../domain/adapters/aws/sfn-executions';
import { lifetimeDays } from '../../domain/core/certificate';
import { followExecution, startRenewal, type FollowOptions, type FollowResult } from './aws-follow';
import { ModeError, stackNames, type AwsFlags, type StackNames } from './aws-mode';

import { EXIT } from './exit';
import { messageOf } from './cause';

export { EXIT };

export interface AwsClients {
  readonly sfn: SFNClient;
  readonly secrets: SecretsManagerClient;
  readonly events: EventBridgeClient;
  /** The hosts' reports (list/status with a host inventory log group). */
  readonly logs: Pick<CloudWatchLogsClient, 'send'>;
}

/** What every AWS subcommand gets; tests pass their own clients and writers. */
export interface AwsContext {
  readonly clients: AwsClients;
  readonly names: StackNames;
  readonly json: boolean;
  /** Result lines (stdout). */
  readonly out: (line: string) => void;
  /** Progress and errors (stderr). */
  readonly err: (line: string) => void;
  readonly follow?: Omit<FollowOptions, 'write'>;
  readonly now?: () => Date;
  /** The declared inventory `list` plans with (default: certflow.config.ts, as compiled into the stack). */
  readonly declared?: () => Promise<readonly ManagedCertificate[]>;
}

/** As ScanCertificates plans it: the declared inventory (compiled into the stack from certflow.config.ts) and the store. */
async function planned(ctx: AwsContext, inventory: readonly StoredCertificateState[], now: Date): Promise<ReadonlyMap<string, Verdict>> {
  return plannedRenewals({ declared: await (ctx.declared ?? declaredInventory)(), stored: inventory, now });
}

/** certflow.config.ts's certificates; none when it does not load (list then plans from the store alone, as for manual executions). */
async function declaredInventory(): Promise<readonly ManagedCertificate[]> {
  try {
    return (await import('../../certflow.config')).default.certificates;
  } catch {
    return [];
  }
}

/** Clients from the SDK's chain (region, credentials, AWS_ENDPOINT_URL). */
export function defaultClients(): AwsClients {
  return { sfn: new SFNClient({}), secrets: new SecretsManagerClient({}), events: new EventBridgeClient({}), logs: new CloudWatchLogsClient({}) };
}

/** The context for a command line's flags, or the usage error as exit code 2. */
export function contextFor(flags: AwsFlags, clients: AwsClients = defaultClients()): AwsContext {
  return {
    clients,
    names: stackNames(flags),
    json: flags.json ?? false,
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  };
}

/** Runs `body`, mapping usage errors to 2 and any other to 1, with the message on stderr. */
export async function guarded(ctx: Pick<AwsContext, 'err'>, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    const message = error instanceof Error ? `${error.name && error.name !== 'Error' ? `${error.name}: ` : ''}${error.message}` : String(error);
    ctx.err(`certflow: ${message}`);
    return error instanceof ModeError ? EXIT.usage : EXIT.failed;
  }
}

const printJson = (ctx: AwsContext, value: unknown) => ctx.out(JSON.stringify(value, null, 2));

function storeOf(ctx: AwsContext): SecretsManagerCertificateStore {
  // The key id is used only when a secret is created, which none of these commands does.
  return new SecretsManagerCertificateStore(ctx.clients.secrets, { prefix: ctx.names.secretPrefix, kmsKeyId: 'unused-by-the-cli' });
}

function needArn(ctx: AwsContext): string {
  if (!ctx.names.stateMachineArn) throw new ModeError('no state machine: give --state-machine-arn or set CERTFLOW_STATE_MACHINE_ARN (arn:aws:states:<region>:<account>:stateMachine:certflow-RenewCertificate)');
  return ctx.names.stateMachineArn;
}

// ---- issue / renew --------------------------------------------------------------------------

/**
 * StartExecution with `input` (a full request for issue; `{certificateId}` alone for renew: the
 * state machine completes it from the declaration), then follow it live. 0 on SUCCEEDED, else 1
 * with the error name.
 */
export function awsRun(ctx: AwsContext, input: { readonly certificateId: string } & Record<string, unknown>): Promise<number> {
  return guarded(ctx, () => startAndFollow(ctx, { machineArn: needArn(ctx), machine: 'RenewCertificate', done: 'renewed', input }));
}

/**
 * RevokeCertificate on the deployed stack: revoke at the CA, mark the version, announce it; with
 * `reissue` a new certificate with a new key. The machine is certflow-RevokeCertificate beside
 * the RenewCertificate one (the stack names both), unless named with --revoke-state-machine-arn.
 */
export function awsRevoke(ctx: AwsContext, input: { readonly certificateId: string; readonly reason: string; readonly version?: string; readonly reissue: boolean }): Promise<number> {
  return guarded(ctx, () => startAndFollow(ctx, { machineArn: revokeArnOf(ctx), machine: 'RevokeCertificate', done: input.reissue ? 'revoked and reissued' : 'revoked', input }));
}

function revokeArnOf(ctx: AwsContext): string {
  if (ctx.names.revokeStateMachineArn) return ctx.names.revokeStateMachineArn;
  const renew = needArn(ctx);
  const beside = renew.replace(/:stateMachine:(.*)RenewCertificate$/, ':stateMachine:$1RevokeCertificate');
  if (beside === renew) throw new ModeError(`cannot tell the RevokeCertificate state machine from ${renew}: give --revoke-state-machine-arn or set CERTFLOW_REVOKE_STATE_MACHINE_ARN`);
  return beside;
}

/** StartExecution, then follow it live: 0 on SUCCEEDED, else 1 with the error name. */
async function startAndFollow(
  ctx: AwsContext,
  { machineArn, machine, done, input }: { machineArn: string; machine: string; done: string; input: { readonly certificateId: string } & Record<string, unknown> },
): Promise<number> {
  const write = ctx.json ? ctx.err : ctx.out;
  const executionArn = await startRenewal(ctx.clients.sfn, machineArn, input, ctx.now?.() ?? new Date());
  write(`${machine} for '${input.certificateId}': ${executionArn}`);
  const result: FollowResult = await followExecution(ctx.clients.sfn, executionArn, { ...ctx.follow, write });
  if (ctx.json) printJson(ctx, { certificateId: input.certificateId, input, ...result });
  if (result.status !== 'SUCCEEDED') {
    // For a person: the message of a Lambda's Cause document, not the document (--json keeps it whole).
    ctx.err(`\n${result.status}: ${result.error}${result.cause ? `: ${messageOf(result.cause)}` : ''}`);
    return EXIT.failed;
  }
  if (!ctx.json) write(`\nSUCCEEDED: '${input.certificateId}' ${done} (${result.states.length} states)`);
  return EXIT.ok;
}

// ---- list / status / history ----------------------------------------------------------------

function daysLeft(notAfter: string, now: Date): number {
  return Math.floor((Date.parse(notAfter) - now.getTime()) / 86_400_000);
}


function inventoryRow(state: StoredCertificateState, now: Date, planned: ReadonlyMap<string, Verdict>) {
  const metadata = state.current?.metadata;
  return {
    certificateId: state.certificateId,
    names: metadata?.names ?? [],
    keyType: metadata?.keyType ?? null,
    profile: metadata?.profile ?? null,
    lifetimeDays: metadata ? lifetimeDays(metadata) : null,
    usages: metadata?.usages ?? null,
    notAfter: metadata?.notAfter ?? null,
    daysLeft: metadata ? daysLeft(metadata.notAfter, now) : null,
    currentVersion: state.current?.version ?? null,
    ...(state.currentRevoked ? { currentRevoked: state.currentRevoked } : {}),
    // The current version's notBefore: the store keeps no other renewal time (history lists executions).
    lastRenewal: metadata?.notBefore ?? null,
    nextRenewal: nextRenewal(planned.get(state.certificateId)),
    ...(state.namesSha256 && metadata?.names.length === 0 ? { namesSha256: state.namesSha256 } : {}),
    lastFailure: state.lastFailure ?? null,
    ...(state.unreadable ? { unreadable: state.unreadable } : {}),
  };
}
type InventoryRow = ReturnType<typeof inventoryRow>;

const NO_HOST_REPORTS = `hosts: give --host-inventory-log-group <name> (or set CERTFLOW_HOST_INVENTORY_LOG_GROUP), the stack output HostInventoryLogGroupName, to show which host serves which version`;

/** The reports of the last HOST_REPORTS_LOOKBACK_DAYS, in report order; undefined without a log group (said once, on stderr with --json). */
async function hostReports(ctx: AwsContext, now: Date): Promise<ReportEnvelope[] | undefined> {
  if (!ctx.names.hostInventoryLogGroup) {
    if (ctx.json) ctx.err(NO_HOST_REPORTS);
    return undefined;
  }
  return new CloudWatchHostReports(ctx.clients.logs, ctx.names.hostInventoryLogGroup).reports(new Date(now.getTime() - HOST_REPORTS_LOOKBACK_DAYS * DAY_MS));
}

/** The text after the tables: the hosts, or why there are none. */
function hostsText(ctx: AwsContext, rows: Parameters<typeof hostsTable>[0] | null, withId: boolean): string {
  if (!rows) return NO_HOST_REPORTS;
  if (rows.length > 0) return hostsTable(rows, withId);
  return `no host has reported installing ${withId ? 'any of them' : 'it'} in the last ${HOST_REPORTS_LOOKBACK_DAYS} days (log group ${ctx.names.hostInventoryLogGroup})`;
}

export function awsList(ctx: AwsContext): Promise<number> {
  return guarded(ctx, async () => {
    const now = ctx.now?.() ?? new Date();
    const [inventory, reports] = await Promise.all([storeOf(ctx).inventory(), hostReports(ctx, now)]);
    const plan = await planned(ctx, inventory, now);
    const states = reports && hostInventory(reports);
    const rows = inventory
      .map((state) => {
        const row = inventoryRow(state, now, plan);
        return { ...row, hosts: states ? hostsOf(states, state.certificateId).map((host) => hostRow(host, row.currentVersion)) : null };
      })
      .sort((a, b) => a.certificateId.localeCompare(b.certificateId));
    const store = `secretsmanager:${ctx.names.secretPrefix}certificates/`;
    if (ctx.json) {
      printJson(ctx, { store, certificates: rows });
      return EXIT.ok;
    }
    if (rows.length === 0) {
      ctx.out(`No certificates under ${store} yet: certflow issue <id> --name <dns>… --aws`);
      return EXIT.ok;
    }
    ctx.out(inventoryTable(rows));
    ctx.out('');
    ctx.out(hostsText(ctx, states ? rows.flatMap((row) => (row.hosts ?? []).map((host) => ({ certificateId: row.certificateId, ...host }))) : null, true));
    return EXIT.ok;
  });
}

export interface SecretVersion {
  readonly version: string;
  readonly stages: string[];
  readonly createdAt: string | null;
}

/** Every version of the certificate's secret with its stages (ListSecretVersionIds, no values); undefined when there is no secret. */
async function versionsOf(ctx: AwsContext, certificateId: string): Promise<SecretVersion[] | undefined> {
  const secretId = `${ctx.names.secretPrefix}certificates/${certificateId}`;
  const versions: SecretVersion[] = [];
  let nextToken: string | undefined;
  try {
    // DescribeSecret first: it answers ResourceNotFoundException for a missing secret everywhere
    // (the emulator answers ListSecretVersionIds on one with an HTML page).
    await ctx.clients.secrets.send(new DescribeSecretCommand({ SecretId: secretId }));
    do {
      const page = await ctx.clients.secrets.send(new ListSecretVersionIdsCommand({ SecretId: secretId, IncludeDeprecated: true, MaxResults: 100, ...(nextToken ? { NextToken: nextToken } : {}) }));
      for (const version of page.Versions ?? []) {
        versions.push({ version: version.VersionId!, stages: [...(version.VersionStages ?? [])], createdAt: version.CreatedDate?.toISOString() ?? null });
      }
      nextToken = page.NextToken;
    } while (nextToken);
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
  return versions.sort((a, b) => (a.createdAt ?? '').localeCompare(b.createdAt ?? ''));
}

async function record(ctx: AwsContext, certificateId: string) {
  const [inventory, versions] = await Promise.all([storeOf(ctx).inventory(), versionsOf(ctx, certificateId)]);
  const state = inventory.find((candidate) => candidate.certificateId === certificateId);
  if (!state && !versions) throw new ModeError(`no certificate '${certificateId}' under ${ctx.names.secretPrefix}certificates/ (certflow list --aws shows what there is)`);
  const now = ctx.now?.() ?? new Date();
  return { row: inventoryRow(state ?? { certificateId }, now, await planned(ctx, inventory, now)), versions: versions ?? [], current: state?.current };
}

function printVersions(ctx: AwsContext, versions: readonly SecretVersion[]): void {
  if (versions.length === 0) return ctx.out('no versions');
  ctx.out(table(['VERSION', 'STAGES', 'CREATED'], versions.map((version) => [version.version, version.stages.join(',') || '-', version.createdAt ?? '-'])));
}

function printRow(ctx: AwsContext, row: InventoryRow): void {
  ctx.out(row.certificateId);
  if (row.currentVersion) {
    ctx.out(`  current   version ${row.currentVersion} (AWSCURRENT)${row.currentRevoked ? revokedNote(row.currentRevoked) : ''}`);
    ctx.out(`  names     ${row.names.join(', ') || '(known by hash only)'} (${row.keyType})`);
    ctx.out(`  profile   ${profileCell(row)}`);
    ctx.out(`  EKU       ${usagesCell(row.usages)}`);
    ctx.out(`  notAfter  ${row.notAfter} (${row.daysLeft} days left)`);
  } else ctx.out('  current   none');
  if (row.nextRenewal) ctx.out(`  next renewal  ${nextRenewalCell(row.nextRenewal)} (${row.nextRenewal.reason})`);
  if (row.lastFailure) ctx.out(`  last failure  ${row.lastFailure.at} ${row.lastFailure.step}: ${row.lastFailure.error}`);
  if (row.unreadable) ctx.out(`  unreadable    ${row.unreadable}`);
}

/** The certificate's renewal lease and whether its holder still runs; the reason when it cannot be read. */
async function leaseOf(ctx: AwsContext, certificateId: string): Promise<LeaseView | { readonly unreadable: string } | null> {
  try {
    const executions = new StepFunctionsExecutions(ctx.clients.sfn);
    return await leaseView(await storeOf(ctx).heldLease(certificateId), (holder) => executions.isGone(holder), ctx.now?.() ?? new Date());
  } catch (error) {
    return { unreadable: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

export function awsStatus(ctx: AwsContext, certificateId: string): Promise<number> {
  return guarded(ctx, async () => {
    const now = ctx.now?.() ?? new Date();
    const [{ row, versions, current }, lease, reports] = await Promise.all([record(ctx, certificateId), leaseOf(ctx, certificateId), hostReports(ctx, now)]);
    const states = reports ? hostsOf(hostInventory(reports), certificateId) : undefined;
    const hosts = states?.map((host) => hostRow(host, row.currentVersion)) ?? null;
    // null: the reports were not read (no log group); [] also when there is no current version.
    let unserved: ReturnType<typeof unservedHosts> | null = null;
    if (reports && states) unserved = current ? unservedHosts(reports, states, { certificateId, version: current.version, notBefore: current.metadata.notBefore }, now) : [];
    if (ctx.json) {
      printJson(ctx, { ...row, lease, versions, hosts, notServed: unserved });
      return EXIT.ok;
    }
    printRow(ctx, row);
    if (lease) ctx.out('unreadable' in lease ? `  lease     cannot be read: ${lease.unreadable}` : leaseLine(lease));
    ctx.out('');
    printVersions(ctx, versions);
    ctx.out('');
    ctx.out(hostsText(ctx, hosts, false));
    if (unserved?.length) ctx.out(`\n${notServedLine(unserved)}`);
    return EXIT.ok;
  });
}

export interface ExecutionRow {
  readonly executionArn: string;
  readonly name: string;
  readonly status: string;
  readonly startDate: string | null;
  readonly stopDate: string | null;
  readonly error?: string;
}

/**
 * The certificate's executions among the newest `scan` of the state machine (ListExecutions, newest
 * first): the input of each (DescribeExecution; inputs carry no secrets) names its certificate.
 */
export async function executionsOf(sfn: SFNClient, stateMachineArn: string, certificateId: string, scan = 100): Promise<ExecutionRow[]> {
  const listed: ExecutionListItem[] = [];
  let nextToken: string | undefined;
  do {
    const page: ListExecutionsCommandOutput = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: Math.min(scan - listed.length, 1000), ...(nextToken ? { nextToken } : {}) }));
    listed.push(...(page.executions ?? []));
    nextToken = page.nextToken;
  } while (nextToken && listed.length < scan);
  const rows: ExecutionRow[] = [];
  // A few at a time: DescribeExecution is throttled per account.
  for (let i = 0; i < listed.length; i += 5) {
    const described = await Promise.all(listed.slice(i, i + 5).map((execution) => sfn.send(new DescribeExecutionCommand({ executionArn: execution.executionArn! }))));
    for (const execution of described) {
      let input: unknown;
      try {
        input = JSON.parse(execution.input ?? 'null');
      } catch {
        input = null;
      }
      if ((input as { certificateId?: unknown } | null)?.certificateId !== certificateId) continue;
      rows.push({
        executionArn: execution.executionArn!,
        name: execution.name ?? '',
        status: execution.status ?? 'UNKNOWN',
        startDate: execution.startDate?.toISOString() ?? null,
        stopDate: execution.stopDate?.toISOString() ?? null,
        ...(execution.error ? { error: execution.error } : {}),
      });
    }
  }
  return rows.sort((a, b) => (a.startDate ?? '').localeCompare(b.startDate ?? ''));
}

export function awsHistory(ctx: AwsContext, certificateId: string, options: { scan?: number } = {}): Promise<number> {
  return guarded(ctx, async () => {
    const { row, versions } = await record(ctx, certificateId);
    const arn = ctx.names.stateMachineArn;
    const executions = arn ? await executionsOf(ctx.clients.sfn, arn, certificateId, options.scan) : null;
    if (ctx.json) {
      printJson(ctx, { certificateId, currentVersion: row.currentVersion, versions, executions });
      return EXIT.ok;
    }
    printVersions(ctx, versions);
    ctx.out('');
    if (!executions) ctx.out('executions: give --state-machine-arn or set CERTFLOW_STATE_MACHINE_ARN to list them');
    else if (executions.length === 0) ctx.out(`no executions for '${certificateId}' among the newest ${options.scan ?? 100}`);
    else ctx.out(table(['STARTED', 'STOPPED', 'STATUS', 'ERROR', 'EXECUTION'], executions.map((e) => [e.startDate ?? '-', e.stopDate ?? '-', e.status, e.error ?? '-', e.name])));
    return EXIT.ok;
  });
}

// ---- rollback -------------------------------------------------------------------------------

/**
 * The store's rollback (AWSCURRENT back onto AWSPREVIOUS, inventory tags rewritten), then
 * "Certificate Rolled Back" on the bus, which agents follow. On AWS only the previous version
 * can be made current: `--to` must name it.
 */
export function awsRollback(ctx: AwsContext, certificateId: string, options: { to?: string } = {}): Promise<number> {
  return guarded(ctx, async () => {
    const store = storeOf(ctx);
    if (options.to !== undefined) {
      const secretId = `${ctx.names.secretPrefix}certificates/${certificateId}`;
      const described = await ctx.clients.secrets.send(new DescribeSecretCommand({ SecretId: secretId })).catch(() => undefined);
      const previous = Object.entries(described?.VersionIdsToStages ?? {}).find(([, stages]) => stages.includes('AWSPREVIOUS'))?.[0];
      if (options.to !== previous) {
        ctx.err(`certflow rollback: on AWS a rollback makes the previous version (AWSPREVIOUS${previous ? ` = ${previous}` : ', none'}) current again; --to ${options.to} is not it`);
        return EXIT.failed;
      }
    }
    let moved: { from: string; to: string };
    try {
      moved = await store.rollback(certificateId);
    } catch (error) {
      ctx.err(`certflow rollback: ${error instanceof Error ? error.message : String(error)}`);
      return EXIT.failed;
    }
    const current = await store.current(certificateId);
    if (!current || current.version !== moved.to) throw new Error(`the store moved ${certificateId} to ${moved.to} but reads ${current?.version ?? 'nothing'} as current`);
    const { serialNumber, notBefore, notAfter, fingerprintSha256 } = current.metadata;
    const event = { certificateId, version: moved.to, previousVersion: moved.from, serialNumber, notBefore, notAfter, fingerprintSha256 };
    await new EventBridgePublisher(ctx.clients.events, ctx.names.eventBus).rolledBack(event);
    if (ctx.json) printJson(ctx, { certificateId, from: moved.from, to: moved.to, event });
    else {
      ctx.out(
        `Rolled back '${certificateId}' from version ${moved.from} to version ${moved.to} (serial ${serialNumber}, notAfter ${notAfter}); "${DETAIL_TYPES.rolledBack}" put on the bus ${ctx.names.eventBus}`,
      );
    }
    return EXIT.ok;
  });
}
