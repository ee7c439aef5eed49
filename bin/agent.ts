#!/usr/bin/env node
/** `certflow agent …`: the host agent (see docs/agent.md). */
import { constants } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { AgentConfigError, leaveGroup, runOnce, startAgent, type AgentSourceOptions, type ReloadOptions, type StartAgentOptions } from '../agent';
import { parseKeyMode } from '../agent/install/ownership';

export { runOnce, startAgent } from '../agent';
export type { OnceResult, RunningAgent, StartAgentOptions } from '../agent';

export const USAGE = `Usage: certflow agent [source] --certificate <id>... --dir <install dir> [reload] [--once | --leave]

Installs what the store calls current, woken by "Certificate Renewed" and "Certificate Rolled
Back" events (hints: the version is read from the store and checked): fetch, verify, write
<dir>/archive/<id>/<n>/, switch <dir>/live/<id>, reload the service, roll back on failure.

Source (one of):
  --store <dir>                 local: the pipeline's store (default events file <dir>/events.jsonl)
  --events <file>               local: the events.jsonl to follow
  --topic-arn <arn>             AWS: the host group's topic (stack output <group>TopicArn); the agent
                                makes and subscribes a queue of its own, <queue prefix><host>
  --dead-letter-queue-arn <arn> AWS: the group's dead-letter queue (stack output, with --topic-arn)
  --queue-prefix <prefix>       AWS: the group's queue prefix (stack output, with --topic-arn)
  --queue-url <url>             AWS: instead of --topic-arn, a queue made by hand for this host alone
  --region <region>             AWS region (default: the SDK's, e.g. AWS_REGION)
  --secret-prefix <prefix>      AWS: the pipeline's secret prefix (default certflow/): the current
                                version of <id> is read from <prefix>certificates/<id>
  --secret <id>=<secret ARN>    AWS: read <id> from this secret instead (repeatable)
  --event-bus <name>            AWS: publish "Certificate Installed" and "Certificate Reload Failed"
                                on this bus (e.g. certflow)
  --host <id>                   this host in its queue name and reports (default the host name)

Certificates and files:
  --certificate <id>            a certificate to install (repeatable, at least one)
  --dir <dir>                   install directory (archive/, live/, state/)
  --keep <n>                    installed versions kept per certificate (default 5)
  --trust-anchor <pem file>     install only chains leading to a root in this file (repeatable): the
                                roots configured for the pipeline's ACME directory
  --owner <user|uid>            owner of the installed files (needs root)
  --group <group|gid>           group of the installed files, e.g. the service's (mosquitto)
  --key-mode <mode>             mode of private files (keys, keystores, keystore.pass): default 0600;
                                0640 with --group for a service that reads them as its own user

Reload (at most one; none = files only, for services that read them at start):
  --reload-command '<cmd>'      run with /bin/sh -c; gets CERTFLOW_CERTIFICATE_ID, CERTFLOW_VERSION,
                                CERTFLOW_SERIAL, CERTFLOW_LIVE_DIR in its environment
  --reload-timeout <seconds>    kill the command's process group after this long (default 120)
  --restart-turns <group>       the reload command restarts the service (ActiveMQ 5): the hosts of
                                <group> restart one at a time, taking turns in the store (locally
                                <store>/turns/<group>/<n>.json, on AWS the secret <prefix>turns/<group>);
                                a turn not given back is taken over after 2 x reload + verify timeout
  --reload-signal <HUP|USR1|…>  send a signal to the pid in --pidfile
  --pidfile <file>
  --verify-tls <host:port>      after each reload, connect and require the new certificate there
                                (repeatable); not in time = a failed reload (stage serve): roll back
  --verify-sni <name>           the server name to send (default the host, none for an IP)
  --verify-timeout <seconds>    how long the new certificate may take to be served (default 30)

Mode:
  --once                        install the current version(s) and exit: 0 installed or already
                                current, 1 with the reason otherwise (init containers, cron).
                                First boot, before the service starts: --once without a reload flag
                                (files only; --verify-tls is skipped)
  --reconcile-minutes <n>       check the store for missed versions every n minutes (default 60, 0 = off)
  --leave                       AWS: this host leaves its group for good (scale-in): remove its queue
                                and subscription, then exit (peers also sweep queues silent for 3 days)
  --help

Exit codes: 0 success, 1 failure, 2 bad usage. Logs are JSON lines on stdout.`;

export type ParsedCommand =
  | { readonly help: true }
  | { readonly help: false; readonly once: boolean; readonly leave: boolean; readonly options: StartAgentOptions };

const fail = (message: string): never => {
  throw new AgentConfigError(message);
};

function positiveNumber(flag: string, value: string | undefined, allowZero = false): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < 0 || (!allowZero && number === 0)) {
    fail(`${flag} must be a ${allowZero ? 'non-negative' : 'positive'} number, got '${value}'`);
  }
  return number;
}

function signalName(value: string): NodeJS.Signals {
  const name = (value.toUpperCase().startsWith('SIG') ? value.toUpperCase() : `SIG${value.toUpperCase()}`) as NodeJS.Signals;
  if (!(name in constants.signals)) fail(`--reload-signal: unknown signal '${value}'`);
  return name;
}

function secretIds(entries: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    entries.map((entry) => {
      const at = entry.indexOf('=');
      if (at <= 0 || at === entry.length - 1) fail(`--secret takes <certificate id>=<secret ARN>, got '${entry}'`);
      return [entry.slice(0, at), entry.slice(at + 1)];
    }),
  );
}

export function parseAgentArgs(argv: readonly string[]): ParsedCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        store: { type: 'string' },
        events: { type: 'string' },
        'queue-url': { type: 'string' },
        'topic-arn': { type: 'string' },
        'dead-letter-queue-arn': { type: 'string' },
        'queue-prefix': { type: 'string' },
        host: { type: 'string' },
        leave: { type: 'boolean', default: false },
        region: { type: 'string' },
        secret: { type: 'string', multiple: true, default: [] },
        'secret-prefix': { type: 'string' },
        'event-bus': { type: 'string' },
        certificate: { type: 'string', multiple: true, default: [] },
        dir: { type: 'string' },
        keep: { type: 'string' },
        'trust-anchor': { type: 'string', multiple: true },
        'reload-command': { type: 'string' },
        'reload-timeout': { type: 'string' },
        'restart-turns': { type: 'string' },
        'reload-signal': { type: 'string' },
        pidfile: { type: 'string' },
        'verify-tls': { type: 'string', multiple: true },
        'verify-sni': { type: 'string' },
        'verify-timeout': { type: 'string' },
        owner: { type: 'string' },
        group: { type: 'string' },
        'key-mode': { type: 'string' },
        once: { type: 'boolean', default: false },
        'reconcile-minutes': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    return fail((error as Error).message);
  }
  const { values } = parsed;
  if (values.help) return { help: true };

  const local = values.store !== undefined || values.events !== undefined;
  const awsFlags = ['queue-url', 'topic-arn', 'dead-letter-queue-arn', 'queue-prefix', 'secret-prefix', 'region', 'event-bus'] as const;
  const aws = values.secret.length > 0 || awsFlags.some((flag) => values[flag] !== undefined);
  if (local && aws) fail('choose one source: local (--store/--events) or AWS (--topic-arn/--queue-url/--region/--secret…)');
  if (!local && !aws) fail('name a source: --store <dir> (local) or --topic-arn <arn> (AWS)');
  if (values.events !== undefined && values.store === undefined) fail('--events needs --store (where the versions are read)');
  const listens = values['queue-url'] !== undefined || values['topic-arn'] !== undefined;
  if (aws && !values.once && !values.leave && !listens) fail('AWS mode needs --topic-arn (or --queue-url); only --once can do without');
  if (values.once && values.leave) fail('choose one of --once and --leave');
  if (values.leave && (!aws || values['topic-arn'] === undefined)) fail('--leave needs the group: --topic-arn, --dead-letter-queue-arn, --queue-prefix');
  if (values.dir === undefined && !values.leave) fail('name the install directory: --dir <dir>');
  if ((values.once || values.leave) && values['reconcile-minutes'] !== undefined) fail(`--reconcile-minutes has no effect with --${values.once ? 'once' : 'leave'}`);

  const source: AgentSourceOptions = local
    ? { kind: 'local', storeDir: values.store!, eventsFile: values.events }
    : {
        kind: 'aws',
        queueUrl: values['queue-url'],
        topicArn: values['topic-arn'],
        deadLetterQueueArn: values['dead-letter-queue-arn'],
        queuePrefix: values['queue-prefix'],
        region: values.region,
        secretPrefix: values['secret-prefix'],
        secretIds: secretIds(values.secret),
        ...(values['event-bus'] ? { eventBusName: values['event-bus'] } : {}),
      };

  const command = values['reload-command'];
  const signal = values['reload-signal'];
  if (command !== undefined && signal !== undefined) fail('choose one reload action: --reload-command or --reload-signal');
  if (values['reload-timeout'] !== undefined && command === undefined) fail('--reload-timeout applies to --reload-command');
  if (values['restart-turns'] !== undefined && command === undefined) fail('--restart-turns applies to --reload-command (a restart); a signal reload keeps serving');
  if (signal !== undefined && values.pidfile === undefined) fail('--reload-signal needs --pidfile <file>');
  if (values.pidfile !== undefined && signal === undefined) fail('--pidfile applies to --reload-signal');
  let reload: ReloadOptions | undefined;
  if (command !== undefined) {
    const timeoutSeconds = positiveNumber('--reload-timeout', values['reload-timeout']);
    reload = { kind: 'command', command, timeoutMs: timeoutSeconds === undefined ? undefined : timeoutSeconds * 1000 };
  } else if (signal !== undefined) {
    reload = { kind: 'signal', signal: signalName(signal), target: { pidfile: values.pidfile! } };
  }

  const endpoints = values['verify-tls'];
  if (endpoints === undefined && (values['verify-sni'] !== undefined || values['verify-timeout'] !== undefined)) fail('--verify-sni and --verify-timeout apply to --verify-tls <host:port>');
  const verifyTimeout = positiveNumber('--verify-timeout', values['verify-timeout']);
  const verifyTls = endpoints && {
    endpoints,
    ...(values['verify-sni'] ? { serverName: values['verify-sni'] } : {}),
    ...(verifyTimeout !== undefined ? { timeoutMs: verifyTimeout * 1000 } : {}),
  };
  const files = {
    ...(values.owner !== undefined ? { owner: values.owner } : {}),
    ...(values.group !== undefined ? { group: values.group } : {}),
    ...(values['key-mode'] !== undefined ? { keyMode: parseKeyMode(values['key-mode']) } : {}),
  };

  const reconcileMinutes = positiveNumber('--reconcile-minutes', values['reconcile-minutes'], true);
  const keep = positiveNumber('--keep', values.keep);
  return {
    help: false,
    once: values.once,
    leave: values.leave,
    options: {
      certificateIds: values.certificate,
      installDir: values.dir ?? '',
      host: values.host,
      ...(values['trust-anchor'] ? { trustAnchorFiles: values['trust-anchor'] } : {}),
      ...(verifyTls ? { verifyTls } : {}),
      ...(Object.keys(files).length > 0 ? { files } : {}),
      ...(values['restart-turns'] !== undefined ? { restartTurns: { group: values['restart-turns'] } } : {}),
      source,
      reload,
      keepVersions: keep,
      reconcileIntervalMs: reconcileMinutes === undefined ? undefined : reconcileMinutes * 60_000,
    },
  };
}

async function main(argv: readonly string[]): Promise<number> {
  const command = parseAgentArgs(argv);
  if (command.help) {
    console.log(USAGE);
    return 0;
  }
  if (command.leave) {
    await leaveGroup({ ...command.options, source: command.options.source as Extract<AgentSourceOptions, { kind: 'aws' }> });
    return 0;
  }
  if (command.once) {
    const result = await runOnce(command.options);
    if (result.reason) console.error(`certflow agent: ${result.reason}`);
    return result.exitCode;
  }
  const running = await startAgent(command.options);
  const stop = () => void running.stop();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await running.done;
  return 0;
}

/** The agent command with its errors reported: the exit code (0, 1 failure, 2 bad usage). Used by `certflow agent`. */
export function runAgentCommand(argv: readonly string[]): Promise<number> {
  return main(argv).catch((error: unknown) => {
    const usage = error instanceof AgentConfigError;
    console.error(`certflow agent: ${error instanceof Error ? error.message : String(error)}`);
    if (usage) console.error("Run 'certflow agent --help' for usage.");
    return usage ? 2 : 1;
  });
}

// Run as a program (tsx bin/agent.ts, or a bundle of it), not when imported.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void runAgentCommand(process.argv.slice(2)).then((code) => process.exit(code));
}
