/**
 * The `certflow` command (bin/cli.js runs this file with tsx). Subcommands on the embedded
 * local default (Pebble + local DNS + the file store under CERTFLOW_HOME, default .certflow):
 * issue, renew, list, status, history, rollback, revoke (bin/commands/revoke.ts); and agent, demo, simulate.
 * Exit codes: 0 ok, 1 failed, 2 usage or configuration error.
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { LocalEventLog, type LocalEvent } from '../domain/adapters/local/event-log';
import { DETAIL_TYPES } from '../domain/contracts/events';
import { FileCertificateStore } from '../domain/adapters/local/file-store';
import { hostInventory, hostsOf, hostVerdict, type HostState } from '../domain/core/host-inventory';
import { KEY_TYPES } from '../domain/core/key-types';
import type { RevocationMark, StoredVersion } from '../domain/ports';
import { LocalStoreAdmin } from '../local/store-admin';
import { registerConfigCommand } from './commands/config';
import { registerRevokeCommand } from './commands/revoke';
import { registerLocalCaCommands } from './commands/local-ca';
import { addAwsOptions, onAws } from './commands/aws-mode';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
export const ROLLED_BACK = DETAIL_TYPES.rolledBack;

/** A usage or configuration error: exit code 2. */
class UsageError extends Error {}

const out = (line = '') => process.stdout.write(`${line}\n`);
const json = (value: unknown) => out(JSON.stringify(value, null, 2));

function home(): string {
  return path.resolve(process.env.CERTFLOW_HOME ?? '.certflow');
}

type LoggedEvent = LocalEvent<Record<string, unknown>>;

function eventsOf(events: readonly LoggedEvent[], certificateId: string): LoggedEvent[] {
  return events.filter((event) => event.detail.certificateId === certificateId);
}

function daysLeft(notAfter: string, now = Date.now()): number {
  return Math.floor((Date.parse(notAfter) - now) / 86_400_000);
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n');
}

// ---- issue / renew --------------------------------------------------------------------------

interface Mode {
  readonly local?: boolean;
  readonly aws?: boolean;
}

function checkLocal(mode: Mode): void {
  if (mode.aws && mode.local) throw new UsageError('choose --local or --aws, not both');
}

async function runLocal(request: { certificateId: string; names: string[]; keyType?: string; keystore?: { profile?: string } }, asJson: boolean): Promise<number> {
  // Loaded here: list/status/history stay fast and never start Pebble.
  const [{ startLocalDefault }, { progressPrinter }] = await Promise.all([import('../local/default'), import('../local/progress')]);
  const write = asJson ? (text: string) => process.stderr.write(text) : (text: string) => process.stdout.write(text);
  const pipeline = await startLocalDefault({ root: home(), write });
  try {
    write(`\nRenewCertificate for ${request.names.join(', ')} (${request.keyType ?? 'ec-p256'}) as '${request.certificateId}'\n`);
    const result = await pipeline.executor.run(request, { onEvent: progressPrinter((line) => write(`${line}\n`)) });
    const current = result.status === 'SUCCEEDED' ? await pipeline.store.current(request.certificateId) : undefined;
    if (asJson) {
      json({
        executionId: result.executionId,
        status: result.status,
        ...(result.error ? { error: result.error, cause: result.cause } : {}),
        ...(current ? { certificateId: current.certificateId, version: current.version, location: current.location, metadata: current.metadata, formats: current.formats } : {}),
        transitions: result.transitions,
        lambdaInvocations: result.lambdaInvocations,
      });
    }
    if (result.status !== 'SUCCEEDED') {
      process.stderr.write(`\nFAILED: ${result.error}: ${result.cause}\n`);
      return EXIT.failed;
    }
    if (!current) throw new Error('the execution succeeded but the store has no current version');
    if (!asJson) {
      out(`\nIssued '${current.certificateId}' version ${current.version}`);
      out(`  names     ${current.metadata.names.join(', ')}`);
      out(`  serial    ${current.metadata.serialNumber}`);
      out(`  notAfter  ${current.metadata.notAfter}`);
      out(`  files     ${current.location}/ (formats: ${current.formats.join(', ')})`);
    }
    return EXIT.ok;
  } finally {
    await pipeline.stop();
  }
}

async function declaredCertificate(id: string) {
  let config;
  try {
    config = (await import('../certflow.config')).default;
  } catch (error) {
    throw new UsageError(`certflow.config.ts: ${error instanceof Error ? error.message : String(error)}`);
  }
  const certificate = config.certificates.find((candidate) => candidate.id === id);
  if (!certificate) {
    const ids = config.certificates.map((candidate) => candidate.id);
    throw new UsageError(`'${id}' is not declared in certflow.config.ts (declared: ${ids.length ? ids.join(', ') : 'none'}); use certflow issue ${id} --name <dns>…`);
  }
  return {
    certificateId: certificate.id,
    names: [...certificate.names],
    ...(certificate.keyType ? { keyType: certificate.keyType } : {}),
    ...(certificate.keystore ? { keystore: { ...certificate.keystore } } : {}),
  };
}

// ---- list / status / history / rollback -------------------------------------------------------

/** A host as list/status show it: what it last reported installed, and its failure when that is its last report. */
function hostRow(state: HostState, currentVersion: string | undefined) {
  const { host, installed, failure, lastReportAt } = state;
  return {
    host,
    verdict: hostVerdict(state, currentVersion),
    version: installed?.version ?? null,
    serialNumber: installed?.serialNumber ?? null,
    installedAt: installed?.at ?? null,
    reloaded: installed?.reloaded ?? null,
    ...(failure ? { lastFailure: failure } : {}),
    lastReportAt,
  };
}
type HostRow = ReturnType<typeof hostRow>;

function hostsTable(rows: readonly (HostRow & { certificateId?: string })[], withId: boolean): string {
  const header = [...(withId ? ['ID'] : []), 'HOST', 'VERSION', 'SERIAL', 'INSTALLED AT', 'STATE'];
  return table(
    header,
    rows.map((row) => [
      ...(withId ? [row.certificateId ?? '-'] : []),
      row.host,
      row.version ?? '-',
      row.serialNumber ?? '-',
      row.installedAt ?? '-',
      row.lastFailure
        ? `failed ${row.lastFailure.at} ${row.lastFailure.stage} of version ${row.lastFailure.version}: ${row.lastFailure.error}${row.lastFailure.rolledBackTo ? ` (rolled back to ${row.lastFailure.rolledBackTo})` : ''}`
        : row.verdict === 'current' ? 'current' : 'not current',
    ]),
  );
}

async function listCommand(options: { json?: boolean }): Promise<number> {
  const store = new FileCertificateStore(home());
  const [inventory, events] = await Promise.all([store.inventory(), new LocalEventLog(path.join(home(), 'events.jsonl')).read()]);
  const hosts = hostInventory(events);
  const rows = inventory.map((state) => {
    const renewals = eventsOf(events, state.certificateId).filter((event) => event['detail-type'] === 'Certificate Renewed');
    const metadata = state.current?.metadata;
    return {
      certificateId: state.certificateId,
      names: metadata?.names ?? [],
      keyType: metadata?.keyType,
      notAfter: metadata?.notAfter,
      daysLeft: metadata ? daysLeft(metadata.notAfter) : undefined,
      currentVersion: state.current?.version,
      lastRenewal: renewals.at(-1)?.time ?? metadata?.notBefore,
      ...(state.lastFailure ? { lastFailure: state.lastFailure } : {}),
      ...(state.unreadable ? { unreadable: state.unreadable } : {}),
      hosts: hostsOf(hosts, state.certificateId).map((host) => hostRow(host, state.current?.version)),
    };
  });
  if (options.json) {
    json({ store: home(), certificates: rows });
    return EXIT.ok;
  }
  if (rows.length === 0) {
    out(`No certificates in ${home()} yet: certflow issue <id> --name <dns>…`);
    return EXIT.ok;
  }
  out(
    table(
      ['ID', 'NAMES', 'KEY TYPE', 'NOT AFTER', 'DAYS LEFT', 'VERSION', 'LAST RENEWAL', 'LAST FAILURE'],
      rows.map((row) => [
        row.certificateId,
        row.names.join(','),
        row.keyType ?? '-',
        row.notAfter ?? '-',
        row.daysLeft === undefined ? '-' : String(row.daysLeft),
        row.currentVersion ?? '-',
        row.lastRenewal ?? '-',
        row.lastFailure ? `${row.lastFailure.at} ${row.lastFailure.step}: ${row.lastFailure.error}` : row.unreadable ? `unreadable: ${row.unreadable}` : '-',
      ]),
    ),
  );
  const hostRows = rows.flatMap((row) => row.hosts.map((host) => ({ certificateId: row.certificateId, ...host })));
  if (hostRows.length > 0) {
    out('');
    out(hostsTable(hostRows, true));
  }
  return EXIT.ok;
}

async function certificateRecord(id: string) {
  const admin = new LocalStoreAdmin(home());
  const store = admin.store;
  const [versions, current, events] = await Promise.all([admin.versions(id), store.current(id), new LocalEventLog(path.join(home(), 'events.jsonl')).read()]);
  const failure = (await store.inventory()).find((state) => state.certificateId === id)?.lastFailure;
  if (versions.length === 0 && !current && !failure) throw new UsageError(`no certificate '${id}' in ${home()} (certflow list shows what there is)`);
  return { store, versions, current, events: eventsOf(events, id), failure };
}

function versionRow(version: StoredVersion & { readonly revoked?: RevocationMark }, current: string | undefined): string[] {
  return [
    `${version.version === current ? '*' : ' '} ${version.version}`,
    version.metadata.serialNumber,
    version.metadata.keyType,
    version.metadata.notBefore,
    version.metadata.notAfter,
    version.metadata.names.join(','),
    version.revoked ? `${version.revoked.reason} ${version.revoked.revokedAt}` : '-',
  ];
}

function printVersions(versions: readonly (StoredVersion & { readonly revoked?: RevocationMark })[], current: string | undefined): void {
  out(table(['VERSION', 'SERIAL', 'KEY TYPE', 'NOT BEFORE', 'NOT AFTER', 'NAMES', 'REVOKED'], versions.map((version) => versionRow(version, current))));
  out('  (* current)');
}

function eventLine(event: LoggedEvent): string {
  const { detail } = event;
  const facts = ['version', 'previousVersion', 'serialNumber', 'reason', 'step', 'error', 'daysToExpiry']
    .filter((key) => detail[key] !== undefined)
    .map((key) => `${key}=${String(detail[key])}`);
  return `${event.time}  ${event['detail-type'].padEnd(26)} ${facts.join(' ')}`;
}

async function statusCommand(id: string, options: { json?: boolean }): Promise<number> {
  const { versions, current, events, failure } = await certificateRecord(id);
  const hosts = hostInventory(events).map((host) => hostRow(host, current?.version));
  if (options.json) {
    json({ certificateId: id, current: current ?? null, versions, lastFailure: failure ?? null, lastEvent: events.at(-1) ?? null, hosts });
    return EXIT.ok;
  }
  out(`${id}`);
  if (current) {
    out(`  current   version ${current.version}, serial ${current.metadata.serialNumber}`);
    out(`  names     ${current.metadata.names.join(', ')} (${current.metadata.keyType})`);
    out(`  notAfter  ${current.metadata.notAfter} (${daysLeft(current.metadata.notAfter)} days left)`);
    out(`  files     ${current.location}/`);
  } else out('  current   none');
  if (failure) out(`  last failure  ${failure.at} ${failure.step}: ${failure.error}`);
  if (events.length > 0) out(`  last event    ${eventLine(events.at(-1)!)}`);
  out('');
  printVersions(versions, current?.version);
  out('');
  out(hosts.length ? hostsTable(hosts, false) : 'no host has reported installing it (agents append "Certificate Installed" to events.jsonl)');
  return EXIT.ok;
}

async function historyCommand(id: string, options: { json?: boolean }): Promise<number> {
  const { versions, current, events } = await certificateRecord(id);
  if (options.json) {
    json({ certificateId: id, currentVersion: current?.version ?? null, versions, events });
    return EXIT.ok;
  }
  printVersions(versions, current?.version);
  out('');
  out(events.length ? events.map(eventLine).join('\n') : `no events for '${id}' in ${path.join(home(), 'events.jsonl')}`);
  return EXIT.ok;
}

async function rollbackCommand(id: string, options: { to?: string; json?: boolean }): Promise<number> {
  let result;
  try {
    result = await new LocalStoreAdmin(home()).rollback(id, options.to);
  } catch (error) {
    process.stderr.write(`certflow rollback: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.failed;
  }
  const { from, to } = result;
  const { serialNumber, notBefore, notAfter, fingerprintSha256 } = to.metadata;
  const event = { certificateId: id, version: to.version, previousVersion: from, serialNumber, notBefore, notAfter, fingerprintSha256 };
  // Announced: running agents install what the store now calls current.
  await new LocalEventLog(path.join(home(), 'events.jsonl')).rolledBack(event);
  if (options.json) json({ certificateId: id, from, to: to.version, current: to, event });
  else out(`Rolled back '${id}' from version ${from} to version ${to.version} (serial ${to.metadata.serialNumber}, notAfter ${to.metadata.notAfter}); "${ROLLED_BACK}" appended to ${path.join(home(), 'events.jsonl')}`);
  return EXIT.ok;
}

// ---- the program ------------------------------------------------------------------------------

const EXIT_CODES = `
Exit codes:
  0  success
  1  failed (the execution failed: its error name is printed; or the operation was refused)
  2  usage or configuration error (unknown option, missing argument, both --local and --aws, no --state-machine-arn on AWS)`;

const examples = (...lines: string[]) => `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n${EXIT_CODES}`;

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function buildProgram(setCode: (code: number) => void): Command {
  const program = new Command('certflow')
    .description('TLS certificate renewal through the RenewCertificate state machine, on the embedded local default (Pebble + local DNS + file store under $CERTFLOW_HOME, default .certflow).')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `${examples('certflow issue demo1 --name a.certflow.test', 'certflow list', 'certflow status demo1 --json', 'certflow rollback demo1', 'certflow agent --store .certflow --certificate demo1 --dir /tmp/host --once')}

On AWS (--aws, or CERTFLOW_STATE_MACHINE_ARN set): certflow renew broker-eu1 --aws; certflow list --aws.
Not yet built: AWS mode of revoke (README "The certflow command").`,
    );

  const modeOptions = (command: Command) =>
    addAwsOptions(command, ['stateMachineArn']).option('--json', 'print the result as JSON on stdout (progress goes to stderr)');

  modeOptions(
    program
      .command('issue')
      .description('issue a certificate for the given names (a new version of <id> in the store)')
      .argument('<id>', 'certificate id (lowercase letters, digits, . _ -)')
      .requiredOption('-n, --name <dns>', 'a DNS name (repeatable; local zones: certflow.test, example.test)', collect)
      .addOption(new Option('--key-type <type>', 'key type').choices([...KEY_TYPES]).default('ec-p256'))
      .addOption(new Option('--keystore-profile <profile>', 'PKCS#12 profile of the keystores').choices(['legacy', 'modern'])),
  )
    .addHelpText('after', examples('certflow issue demo1 --name a.certflow.test', 'certflow issue broker --name mq.certflow.test --name "*.mq.certflow.test" --key-type rsa-2048 --keystore-profile legacy', 'certflow issue demo1 --name a.certflow.test --json'))
    .action(async (id: string, options: Mode & { name: string[]; keyType: string; keystoreProfile?: string; json?: boolean }) => {
      checkLocal(options);
      const request = { certificateId: id, names: options.name, keyType: options.keyType, ...(options.keystoreProfile ? { keystore: { profile: options.keystoreProfile } } : {}) };
      setCode((await onAws(options, (aws, ctx) => aws.awsRun(ctx, request))) ?? (await runLocal(request, options.json ?? false)));
    });

  modeOptions(
    program
      .command('renew')
      .description('renew a certificate declared in certflow.config.ts (names and options from the config)')
      .argument('<id>', 'a certificate id from certflow.config.ts certificates'),
  )
    .addHelpText('after', examples('certflow renew broker-eu1', 'certflow renew broker-eu1 --json', 'certflow renew broker-eu1 --aws --state-machine-arn arn:aws:states:eu-west-1:111122223333:stateMachine:certflow-RenewCertificate'))
    .action(async (id: string, options: Mode & { json?: boolean }) => {
      checkLocal(options);
      // On AWS the id alone: the state machine completes it from the declared inventory.
      setCode((await onAws(options, (aws, ctx) => aws.awsRun(ctx, { certificateId: id }))) ?? (await runLocal(await declaredCertificate(id), options.json ?? false)));
    });

  program
    .command('list')
    .description('the local store\'s inventory: id, names, key type, notAfter, days left, current version, last renewal; and which host serves which version')
    .option('--json', 'print the inventory as JSON')
    .addHelpText('after', examples('certflow list', 'certflow list --json', 'CERTFLOW_HOME=/srv/certflow certflow list'))
    .action(async (options: Mode & { json?: boolean }) => setCode((await onAws(options, (aws, ctx) => aws.awsList(ctx))) ?? (await listCommand(options))));
  addAwsOptions(program.commands.at(-1)!, ['secretPrefix']);

  program
    .command('status')
    .description('one certificate: its current version, every version in the archive, its last failure and last event, and which host serves which version')
    .argument('<id>', 'certificate id')
    .option('--json', 'print as JSON')
    .addHelpText('after', examples('certflow status demo1', 'certflow status demo1 --json'))
    .action(async (id: string, options: Mode & { json?: boolean }) => setCode((await onAws(options, (aws, ctx) => aws.awsStatus(ctx, id))) ?? (await statusCommand(id, options))));
  addAwsOptions(program.commands.at(-1)!, ['secretPrefix']);

  program
    .command('history')
    .description('one certificate\'s versions and its events from events.jsonl, oldest first')
    .argument('<id>', 'certificate id')
    .option('--json', 'print as JSON')
    .addHelpText('after', examples('certflow history demo1', 'certflow history demo1 --json'))
    .action(async (id: string, options: Mode & { json?: boolean }) => setCode((await onAws(options, (aws, ctx) => aws.awsHistory(ctx, id))) ?? (await historyCommand(id, options))));
  addAwsOptions(program.commands.at(-1)!, ['stateMachineArn', 'secretPrefix']);

  program
    .command('rollback')
    .description(`make an older version current again (live/<id> switched in one rename) and append "${ROLLED_BACK}" to events.jsonl`)
    .argument('<id>', 'certificate id')
    .option('--to <version>', 'the version to make current (default: the newest one older than the current)')
    .option('--json', 'print as JSON')
    .addHelpText(
      'after',
      `${examples('certflow rollback demo1', 'certflow rollback demo1 --to 1 --json')}

Agents on hosts do not move back by themselves (an older version looks like a stale event):
reload a host by hand after a rollback (README "Runbook").`,
    )
    .action(async (id: string, options: Mode & { to?: string; json?: boolean }) =>
      setCode((await onAws(options, (aws, ctx) => aws.awsRollback(ctx, id, options))) ?? (await rollbackCommand(id, options))),
    );
  addAwsOptions(program.commands.at(-1)!, ['secretPrefix', 'eventBus']);

  program
    .command('agent')
    .description('the host agent (certflow agent --help lists its flags)')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .addHelpText('after', examples('certflow agent --help', 'certflow agent --store .certflow --certificate demo1 --dir /tmp/host --once'))
    .action(async (args: string[]) => {
      const { runAgentCommand } = await import('./agent');
      setCode(await runAgentCommand(args));
    });

  program
    .command('demo')
    .description('npm run demo: issue a certificate through the state machine and install it on a subscriber')
    .addHelpText('after', examples('certflow demo', 'CERTFLOW_HOME=/tmp/demo certflow demo'))
    .action(async () => {
      const { runDemo } = await import('./demo');
      setCode(await runDemo());
    });

  program
    .command('simulate')
    .description('npm run simulate: a year of a fleet\'s renewals through the scan policy (flags: --certificates, --days, --seed, --scan-hours, --budget, --failure-rate, --json, --out)')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .addHelpText('after', examples('certflow simulate', 'certflow simulate --certificates 5000 --days 180 --json'))
    .action(async (args: string[]) => {
      const { main } = await import('./simulate');
      main(args);
      setCode(typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok);
    });

  registerConfigCommand(program, setCode);
  registerRevokeCommand(program, setCode);
  registerLocalCaCommands(program, setCode);

  return program;
}

export async function run(argv: readonly string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram((value) => {
    code = value;
  });
  program.exitOverride();
  for (const command of program.commands) command.exitOverride();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander has already printed the message (or the help).
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`certflow: ${error.message}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`certflow: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.failed;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void run(process.argv.slice(2)).then((code) => process.exit(code));
}
