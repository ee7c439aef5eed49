/**
 * `certflow agent`: the host agent's flags on commander, the same definition for the `certflow`
 * program and the standalone agent (bin/agent.ts: `npm run agent`, dist/certflow-agent.mjs).
 * Commander checks each flag (unknown ones, values, conflicts); agentInvocation() checks how they
 * combine and maps them onto startAgent/runOnce/leaveGroup options, whose settings the agent
 * checks again at start (agent/settings.ts). Light: the agent itself is loaded by the action.
 */
import { constants } from 'node:os';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { AgentSourceOptions, ReloadOptions, StartAgentOptions } from '../../agent';
import { EXIT, UsageError, examplesHelp } from './exit';
import { FILE } from '../../domain/keystores/formats';

/** The flags as commander hands them to the action (values already parsed). */
export interface AgentFlags {
  readonly store?: string;
  readonly events?: string;
  readonly topicArn?: string;
  readonly deadLetterQueueArn?: string;
  readonly queuePrefix?: string;
  readonly queueUrl?: string;
  readonly region?: string;
  readonly secretPrefix?: string;
  readonly secret?: Readonly<Record<string, string>>;
  readonly eventBus?: string;
  readonly host?: string;
  readonly certificate?: string[];
  readonly dir?: string;
  readonly keep?: number;
  readonly trustAnchor?: string[];
  readonly owner?: string;
  readonly group?: string;
  readonly keyMode?: number;
  readonly reloadCommand?: string;
  readonly reloadTimeout?: number;
  readonly restartTurns?: string;
  readonly reloadSignal?: NodeJS.Signals;
  readonly pidfile?: string;
  readonly verifyTls?: string[];
  readonly verifySni?: string;
  readonly verifyTimeout?: number;
  readonly once?: boolean;
  readonly reconcileMinutes?: number;
  readonly leave?: boolean;
}

/** What to run: listen (the default), install once and exit, or leave the group. */
export interface AgentInvocation {
  readonly mode: 'listen' | 'once' | 'leave';
  readonly options: StartAgentOptions;
}

// ---- value parsers (commander reports their errors as "option '--x <v>' argument 'y' is invalid. …")

const collect = (value: string, previous: string[] = []) => [...previous, value];

const number =
  ({ allowZero }: { allowZero: boolean }) =>
  (value: string): number => {
    const parsed = Number(value);
    if (value.trim() === '' || !Number.isFinite(parsed) || parsed < 0 || (!allowZero && parsed === 0)) {
      throw new InvalidArgumentError(`a ${allowZero ? 'non-negative' : 'positive'} number`);
    }
    return parsed;
  };
const positive = number({ allowZero: false });
const nonNegative = number({ allowZero: true });

function signalName(value: string): NodeJS.Signals {
  const upper = value.toUpperCase();
  const name = (upper.startsWith('SIG') ? upper : `SIG${upper}`) as NodeJS.Signals;
  if (!(name in constants.signals)) throw new InvalidArgumentError('not a signal name (HUP, USR1, SIGHUP…)');
  return name;
}

/** `0640` or `640`: the mode itself is judged by the agent's settings (agent/install/ownership.ts keyModeProblem). */
function octalMode(value: string): number {
  if (!/^0?[0-7]{3}$/.test(value)) throw new InvalidArgumentError('an octal mode such as 0600 or 0640');
  return Number.parseInt(value, 8);
}

function secretEntry(entry: string, previous: Readonly<Record<string, string>> = {}): Record<string, string> {
  const at = entry.indexOf('=');
  if (at <= 0 || at === entry.length - 1) throw new InvalidArgumentError('<certificate id>=<secret ARN>');
  return { ...previous, [entry.slice(0, at)]: entry.slice(at + 1) };
}

// ---- the command ------------------------------------------------------------------------------

const EXAMPLES = [
  'certflow agent --store .certflow --certificate demo1 --dir /tmp/host --once',
  "certflow agent --store /srv/certflow --certificate broker --dir /etc/broker/tls --reload-command 'systemctl reload activemq'",
  'certflow agent --store .certflow --certificate mq --dir /etc/mosquitto/certs --reload-signal HUP --pidfile /run/mosquitto.pid --verify-tls 127.0.0.1:8883 --group mosquitto --key-mode 0640',
  'certflow agent --topic-arn arn:aws:sns:eu-west-1:111122223333:certflow-brokers --dead-letter-queue-arn arn:aws:sqs:eu-west-1:111122223333:certflow-brokers-dlq --queue-prefix certflow-brokers- --certificate broker --dir /etc/broker/tls',
  'certflow agent --region eu-west-1 --certificate broker --dir /etc/broker/tls --once   # first boot: files only',
];

const EXIT_DETAILS = {
  ok: 'success: installed or already current (--once), left the group (--leave), stopped by SIGTERM/SIGINT',
  failed: 'failed: with --once a certificate not installed (the reason is printed); the agent could not start or stopped on an error',
  usage: 'usage or configuration error: unknown option, missing or conflicting flags, bad settings (an invalid certificate id, an unreadable trust anchor)',
};

/** Adds the agent's options, description and help to `command` (the subcommand, or the standalone program). */
export function defineAgentCommand(command: Command): Command {
  const group = (heading: string, options: Option[]) => options.forEach((option) => command.addOption(option.helpGroup(heading)));
  command.description(
    'the host agent: installs what the store calls current, woken by "Certificate Renewed" and "Certificate Rolled Back" events (hints: the version is read from the store and checked): fetch, verify, write <dir>/archive/<id>/<n>/, switch <dir>/live/<id>, reload the service, roll back on failure. Logs are JSON lines on stdout (docs/agent.md).',
  );
  group('Source (local or AWS):', [
    new Option('--store <dir>', 'local: the pipeline\'s store (default events file <dir>/events.jsonl)'),
    new Option('--events <file>', 'local: the events.jsonl to follow'),
    new Option('--topic-arn <arn>', "AWS: the host group's topic (stack output <group>TopicArn); the agent makes and subscribes a queue of its own, <queue prefix><host>"),
    new Option('--dead-letter-queue-arn <arn>', "AWS: the group's dead-letter queue (stack output, with --topic-arn)"),
    new Option('--queue-prefix <prefix>', "AWS: the group's queue prefix (stack output, with --topic-arn)"),
    new Option('--queue-url <url>', 'AWS: instead of --topic-arn, a queue made by hand for this host alone').conflicts('topicArn'),
    new Option('--region <region>', "AWS region (default: the SDK's, e.g. AWS_REGION)"),
    new Option('--secret-prefix <prefix>', "AWS: the pipeline's secret prefix (default certflow/): the current version of <id> is read from <prefix>certificates/<id>"),
    new Option('--secret <id=arn>', 'AWS: read <id> from this secret instead (repeatable)').argParser(secretEntry),
    new Option('--event-bus <name>', 'AWS: publish "Certificate Installed" and "Certificate Reload Failed" on this bus (e.g. certflow)'),
    new Option('--host <id>', 'this host in its queue name and reports (default the host name)'),
  ]);
  group('Certificates and files:', [
    new Option('--certificate <id>', 'a certificate to install (repeatable, at least one)').argParser(collect),
    new Option('--dir <dir>', 'install directory (archive/, live/, state/)'),
    new Option('--keep <n>', 'installed versions kept per certificate (default 5)').argParser(positive),
    new Option('--trust-anchor <pem file>', "install only chains leading to a root in this file (repeatable): the roots configured for the pipeline's ACME directory").argParser(collect),
    new Option('--owner <user>', 'owner (name or uid) of the installed files (needs root)'),
    new Option('--group <group>', "group (name or gid) of the installed files, e.g. the service's (mosquitto)"),
    new Option('--key-mode <mode>', `mode of private files (keys, keystores, ${FILE.password}): default 0600; 0640 with --group for a service that reads them as its own user`).argParser(octalMode),
  ]);
  group('Reload (at most one; none = files only, for services that read them at start):', [
    new Option('--reload-command <cmd>', 'run with /bin/sh -c; gets CERTFLOW_CERTIFICATE_ID, CERTFLOW_VERSION, CERTFLOW_SERIAL, CERTFLOW_LIVE_DIR in its environment').conflicts('reloadSignal'),
    new Option('--reload-timeout <seconds>', "kill the command's process group after this long (default 120)").argParser(positive),
    new Option('--restart-turns <group>', 'the reload command restarts the service (ActiveMQ 5): the hosts of <group> restart one at a time, taking turns in the store (locally <store>/turns/<group>/<n>.json, on AWS the secret <prefix>turns/<group>); a turn not given back is taken over after 2 x reload + verify timeout'),
    new Option('--reload-signal <signal>', 'send this signal (HUP, USR1, …) to the pid in --pidfile').argParser(signalName),
    new Option('--pidfile <file>', 'the process to signal (with --reload-signal)'),
    new Option('--verify-tls <host:port>', 'after each reload, connect and require the new certificate there (repeatable); not in time = a failed reload (stage serve): roll back').argParser(collect),
    new Option('--verify-sni <name>', 'the server name to send (default the host, none for an IP)'),
    new Option('--verify-timeout <seconds>', 'how long the new certificate may take to be served (default 30)').argParser(positive),
  ]);
  group('Mode:', [
    new Option(
      '--once',
      'install the current version(s) and exit: 0 installed or already current, 1 with the reason otherwise (init containers, cron). First boot, before the service starts: --once without a reload flag (files only; --verify-tls is skipped)',
    ),
    new Option('--reconcile-minutes <n>', 'check the store for missed versions every n minutes (default 60, 0 = off)').argParser(nonNegative),
    new Option('--leave', 'AWS: this host leaves its group for good (scale-in): remove its queue and subscription, then exit (peers also sweep queues silent for 3 days)').conflicts('once'),
  ]);
  return command.addHelpText('after', examplesHelp(EXAMPLES, EXIT_DETAILS));
}

const fail = (message: string): never => {
  throw new UsageError(message);
};

const AWS_FLAGS = ['queueUrl', 'topicArn', 'deadLetterQueueArn', 'queuePrefix', 'secretPrefix', 'region', 'eventBus'] as const;

/** How the flags combine, and the options they make (a UsageError names the flag at fault). */
export function agentInvocation(flags: AgentFlags): AgentInvocation {
  const local = flags.store !== undefined || flags.events !== undefined;
  const aws = flags.secret !== undefined || AWS_FLAGS.some((flag) => flags[flag] !== undefined);
  const mode = flags.leave ? 'leave' : flags.once ? 'once' : 'listen';
  if (local && aws) fail('choose one source: local (--store/--events) or AWS (--topic-arn/--queue-url/--region/--secret…)');
  if (!local && !aws) fail('name a source: --store <dir> (local) or --topic-arn <arn> (AWS)');
  if (flags.events !== undefined && flags.store === undefined) fail('--events needs --store (where the versions are read)');
  if (aws && mode === 'listen' && flags.queueUrl === undefined && flags.topicArn === undefined) fail('AWS mode needs --topic-arn (or --queue-url); only --once can do without');
  if (mode === 'leave' && (!aws || flags.topicArn === undefined)) fail('--leave needs the group: --topic-arn, --dead-letter-queue-arn, --queue-prefix');
  if (flags.dir === undefined && mode !== 'leave') fail('name the install directory: --dir <dir>');
  if (mode !== 'listen' && flags.reconcileMinutes !== undefined) fail(`--reconcile-minutes has no effect with --${mode}`);
  if (flags.reloadTimeout !== undefined && flags.reloadCommand === undefined) fail('--reload-timeout applies to --reload-command');
  if (flags.restartTurns !== undefined && flags.reloadCommand === undefined) fail('--restart-turns applies to --reload-command (a restart); a signal reload keeps serving');
  if (flags.reloadSignal !== undefined && flags.pidfile === undefined) fail('--reload-signal needs --pidfile <file>');
  if (flags.pidfile !== undefined && flags.reloadSignal === undefined) fail('--pidfile applies to --reload-signal');
  if (flags.verifyTls === undefined && (flags.verifySni !== undefined || flags.verifyTimeout !== undefined)) fail('--verify-sni and --verify-timeout apply to --verify-tls <host:port>');

  const source: AgentSourceOptions = local
    ? { kind: 'local', storeDir: flags.store!, eventsFile: flags.events }
    : {
        kind: 'aws',
        queueUrl: flags.queueUrl,
        topicArn: flags.topicArn,
        deadLetterQueueArn: flags.deadLetterQueueArn,
        queuePrefix: flags.queuePrefix,
        region: flags.region,
        secretPrefix: flags.secretPrefix,
        secretIds: flags.secret ?? {},
        ...(flags.eventBus ? { eventBusName: flags.eventBus } : {}),
      };
  const reload: ReloadOptions | undefined =
    flags.reloadCommand !== undefined
      ? { kind: 'command', command: flags.reloadCommand, timeoutMs: flags.reloadTimeout === undefined ? undefined : flags.reloadTimeout * 1000 }
      : flags.reloadSignal !== undefined
        ? { kind: 'signal', signal: flags.reloadSignal, target: { pidfile: flags.pidfile! } }
        : undefined;
  const verifyTls = flags.verifyTls && {
    endpoints: flags.verifyTls,
    ...(flags.verifySni ? { serverName: flags.verifySni } : {}),
    ...(flags.verifyTimeout !== undefined ? { timeoutMs: flags.verifyTimeout * 1000 } : {}),
  };
  const files = {
    ...(flags.owner !== undefined ? { owner: flags.owner } : {}),
    ...(flags.group !== undefined ? { group: flags.group } : {}),
    ...(flags.keyMode !== undefined ? { keyMode: flags.keyMode } : {}),
  };
  return {
    mode,
    options: {
      certificateIds: flags.certificate ?? [],
      installDir: flags.dir ?? '',
      host: flags.host,
      ...(flags.trustAnchor ? { trustAnchorFiles: flags.trustAnchor } : {}),
      ...(verifyTls ? { verifyTls } : {}),
      ...(Object.keys(files).length > 0 ? { files } : {}),
      ...(flags.restartTurns !== undefined ? { restartTurns: { group: flags.restartTurns } } : {}),
      source,
      reload,
      keepVersions: flags.keep,
      reconcileIntervalMs: flags.reconcileMinutes === undefined ? undefined : flags.reconcileMinutes * 60_000,
    },
  };
}

/** Runs what the flags say; the exit code. The agent's own configuration errors are usage errors (2). */
export async function runAgent({ mode, options }: AgentInvocation): Promise<number> {
  const { AgentConfigError, leaveGroup, runOnce, startAgent } = await import('../../agent');
  try {
    if (mode === 'leave') {
      await leaveGroup({ ...options, source: options.source as Extract<AgentSourceOptions, { kind: 'aws' }> });
      return EXIT.ok;
    }
    if (mode === 'once') {
      const result = await runOnce(options);
      if (result.reason) process.stderr.write(`certflow agent: ${result.reason}\n`);
      return result.exitCode;
    }
    const running = await startAgent(options);
    const stop = () => void running.stop();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    await running.done;
    return EXIT.ok;
  } catch (error) {
    throw error instanceof AgentConfigError ? new UsageError(error.message) : error;
  }
}

/** Adds `agent` to the program; `setCode` receives the exit code. */
export function registerAgentCommand(program: Command, setCode: (code: number) => void): void {
  defineAgentCommand(program.command('agent')).action(async (flags: AgentFlags) => setCode(await runAgent(agentInvocation(flags))));
}

/**
 * The flags parsed as `certflow agent` parses them, without running anything (tests, the docs'
 * examples): the invocation, 'help' for --help, or a UsageError with commander's message.
 */
export function parseAgentArgs(argv: readonly string[]): AgentInvocation | 'help' {
  let errors = '';
  const command = defineAgentCommand(new Command('agent'))
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: (text) => (errors += text) });
  try {
    command.parse([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError && error.code === 'commander.helpDisplayed') return 'help';
    throw new UsageError((errors || (error as Error).message).trim());
  }
  return agentInvocation(command.opts<AgentFlags>());
}
