/**
 * The `certflow` command (bin/cli.js runs it: bundled, or with tsx). Subcommands on the embedded
 * local default (Pebble + local DNS + the file store under CERTFLOW_HOME, found from the project
 * root: local/home.ts) or on AWS: issue, renew, list, status, history, rollback, revoke
 * (bin/commands/revoke.ts); and agent, demo, simulate, config, local. Exit codes: one table,
 * bin/commands/exit.ts. In the installed package (no checkout) the commands that need the checkout
 * are not listed.
 *
 * This module registers the subcommands only; each action loads its implementation when it runs
 * (bin/commands/*), so a command loads what it uses: `certflow list` loads no pipeline.
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { KEY_TYPES } from '../domain/core/key-types';
import { USAGES } from '../domain/contracts/request';
import { registerConfigCommand } from './commands/config';
import { registerRevokeCommand } from './commands/revoke';
import { registerLocalCaCommands } from './commands/local-ca';
import { registerCaCommands } from './commands/ca';
import { registerSimulateCommand } from './commands/simulate';
import { addAwsOptions, onAws, runsOnAws } from './commands/aws-mode';
import { registerAgentCommand } from './commands/agent';
import { EXIT, ROLLED_BACK, UsageError, examplesHelp, runProgram } from './commands/exit';
import packageJson from '../package.json' with { type: 'json' };

export { EXIT, ROLLED_BACK };

// The local side (store, pipeline) is loaded by the actions only: --help and the AWS side stay light.
const local = () => import('./commands/local');
const localRun = () => import('./commands/local-run');

interface Mode {
  readonly local?: boolean;
  readonly aws?: boolean;
}

type LocalRunFlags = Mode & { readonly json?: boolean };
interface IssueFlags {
  readonly name?: string[];
  readonly keyType: string;
  readonly keystoreProfile?: string;
  readonly acmeProfile?: string;
  readonly preferredAcmeProfile?: string;
  readonly usage?: string[];
  readonly preferredChain?: string;
  readonly issuer?: 'acme' | 'private';
  readonly lifetime?: number;
}

/** `--lifetime 7d` (or `7`): whole days, as AWS Private CA's Validity takes them. */
function parseLifetime(value: string): number {
  const match = /^(\d{1,4})d?$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError('a whole number of days, e.g. 7d');
  return Number(match[1]);
}

function checkLocal(mode: Mode): void {
  if (mode.aws && mode.local) throw new UsageError('choose --local or --aws, not both');
}

// ---- the program ------------------------------------------------------------------------------

const examples = (...lines: string[]) => examplesHelp(lines);

/**
 * True in the installed package: build/build.ts defines it for dist/certflow/cli.mjs, where
 * devDependencies (the synthesizer, the local executor) and certflow.config.ts are absent.
 */
declare const CERTFLOW_PACKAGED: boolean | undefined;
const PACKAGED = typeof CERTFLOW_PACKAGED !== 'undefined' && CERTFLOW_PACKAGED;

const collect = (value: string, previous: string[] = []) => [...previous, value];

export interface ProgramOptions {
  /** The installed package: commands that need the checkout are not listed (default: as built). */
  readonly packaged?: boolean;
}

export function buildProgram(setCode: (code: number) => void, { packaged = PACKAGED }: ProgramOptions = {}): Command {
  const program = new Command('certflow')
    .version(packageJson.version, '-V, --version', 'print the version')
    .description('TLS certificate renewal through the RenewCertificate state machine, on the embedded local default (Pebble + local DNS + file store under $CERTFLOW_HOME, default .certflow).')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `${examples('certflow issue demo1 --name a.certflow.test', 'certflow list', 'certflow status demo1 --json', 'certflow rollback demo1', 'certflow agent --store .certflow --certificate demo1 --dir /tmp/host --once')}

On AWS (--aws, or CERTFLOW_STATE_MACHINE_ARN set): certflow renew broker-eu1 --aws; certflow list --aws;
certflow revoke broker-eu1 --reason keyCompromise --reissue --aws.`,
    );

  const modeOptions = (command: Command) =>
    addAwsOptions(command, ['stateMachineArn'])
      .option('--json', 'print the result as JSON on stdout (progress goes to stderr)');

  modeOptions(
    program
      .command('issue')
      .description('issue a certificate for the given names (a new version of <id> in the store)')
      .argument('<id>', 'certificate id (lowercase letters, digits, . _ -)')
      // Checked in the action, after commander reports unknown options: `--nmae` is not a missing --name.
      .option('-n, --name <dns>', 'a DNS name, at least one (repeatable; local zones: certflow.test, example.test)', collect)
      .addOption(new Option('--key-type <type>', 'key type').choices([...KEY_TYPES]).default('ec-p256'))
      .addOption(new Option('--keystore-profile <profile>', 'PKCS#12 profile of the keystores').choices(['legacy', 'modern']))
      .option('--acme-profile <name>', "ACME profile the CA must issue under (refused when the CA does not offer it); locally: classic 90 d, tlsserver 45 d, shortlived 6 d")
      .addOption(new Option('--preferred-acme-profile <name>', "ACME profile to use when the CA offers it, else the CA's default").conflicts('acmeProfile'))
      .option('--usage <eku>', `an extended key usage the certificate must carry: ${USAGES.join(' or ')} (repeatable; default serverAuth); one the CA leaves out fails the issue, nothing stored`, collect)
      .option('--preferred-chain <issuer CN>', "take the chain whose topmost certificate's issuer has this CN, when the CA offers it (certbot's --preferred-chain)")
      .addOption(new Option('--issuer <issuer>', 'who issues: acme (public names, DNS-01; the default) or private (the private CA: broker identities, clientAuth; locally a CA under CERTFLOW_HOME)').choices(['acme', 'private']))
      .option('--lifetime <days>', 'with --issuer private: validity in days, e.g. 7d (at most 7 from a short-lived CA; default 7)', parseLifetime),
  )
    .addHelpText(
      'after',
      `${examples(
        'certflow issue demo1 --name a.certflow.test',
        'certflow issue broker --name mq.certflow.test --name "*.mq.certflow.test" --key-type rsa-2048 --keystore-profile legacy',
        'certflow issue demo1 --name a.certflow.test --json',
        'certflow issue short1 --name s.certflow.test --acme-profile shortlived   # a 6-day certificate',
        'certflow issue broker --name mq.certflow.test --usage serverAuth --usage clientAuth   # refused if the CA lacks clientAuth',
        'certflow issue demo1 --name a.certflow.test --preferred-chain "ISRG Root X1"',
        'certflow issue broker-1 --name broker-1.mq.internal --issuer private --usage clientAuth --usage serverAuth --lifetime 7d   # mTLS identity',
        'certflow local start && certflow issue demo2 --name b.certflow.test   # on the running Pebble: no start',
      )}

Locally each command runs the execution itself, on a Pebble of its own, or on the one of
certflow local start while it runs (docs/reference/cli.md "Fast local path").`,
    )
    .action(async (id: string, options: LocalRunFlags & IssueFlags) => {
      checkLocal(options);
      if (!options.name?.length) throw new UsageError("issue needs at least one --name <dns> (e.g. certflow issue demo1 --name a.certflow.test)");
      const request = {
        certificateId: id,
        names: options.name,
        keyType: options.keyType,
        ...(options.keystoreProfile ? { keystore: { profile: options.keystoreProfile } } : {}),
        ...(options.acmeProfile ? { profile: options.acmeProfile } : {}),
        ...(options.preferredAcmeProfile ? { preferredProfile: options.preferredAcmeProfile } : {}),
        ...(options.usage ? { usages: options.usage } : {}),
        ...(options.preferredChain !== undefined ? { preferredChain: options.preferredChain } : {}),
        ...(options.issuer === 'private' ? { issuer: 'privateCa' } : {}),
        ...(options.lifetime !== undefined ? { lifetimeDays: options.lifetime } : {}),
      };
      setCode((await onAws(options, (aws, ctx) => aws.awsRun(ctx, request))) ?? (await (await localRun()).runLocalRenewal({ op: 'issue', request }, options)));
    });

  modeOptions(
    program
      .command('renew')
      .description('renew a certificate declared in certflow.config.ts (names and options from the config); --all: every declared one')
      .argument('[id]', 'a certificate id from certflow.config.ts certificates')
      .option('--all', 'locally: renew what is due of the declared certificates (the scan\'s policy: ARI, lifetime, order budget), one line each (exit 1 when any failed)')
      .option('--force', 'with --all: renew every declared certificate, due or not')
      .option('--config <file>', 'locally: take the declarations from this config file instead of the project\'s certflow.config.ts'),
  )
    .addHelpText(
      'after',
      examples(
        'certflow renew broker-eu1',
        'certflow renew broker-eu1 --json',
        'certflow renew --all --config examples/local.config.ts   # renews what is due on the local default',
        'certflow renew --all --force --config examples/local.config.ts',
        'certflow renew broker-eu1 --aws --state-machine-arn arn:aws:states:eu-west-1:111122223333:stateMachine:certflow-RenewCertificate',
      ),
    )
    .action(async (id: string | undefined, options: LocalRunFlags & { all?: boolean; force?: boolean; config?: string }) => {
      checkLocal(options);
      if ((id === undefined) === !options.all) throw new UsageError('name one certificate id, or --all');
      if (options.force && !options.all) throw new UsageError('--force goes with --all (renewing one id always renews it)');
      const configFile = options.config ? path.resolve(options.config) : undefined;
      if (options.all) {
        // On AWS the scheduled ScanCertificates renews the fleet, within the CA's limits.
        if (runsOnAws(options)) throw new UsageError('--all runs locally; on AWS the ScanCertificates state machine renews the fleet (on schedule, or start it by hand)');
        setCode(await (await localRun()).runLocalRenewAll(configFile, options));
        return;
      }
      // On AWS the id alone: the state machine completes it from the declared inventory.
      setCode(
        (await onAws(options, (aws, ctx) => aws.awsRun(ctx, { certificateId: id! }))) ??
          (await (await localRun()).runLocalRenewal({ op: 'renew', certificateId: id!, ...(configFile ? { configFile } : {}) }, options)),
      );
    });

  program
    .command('list')
    .description('the local store\'s inventory: id, names, key type, notAfter, days left, current version, last renewal; and which host serves which version')
    .option('--json', 'print the inventory as JSON')
    .addHelpText('after', examples('certflow list', 'certflow list --json', 'CERTFLOW_HOME=/srv/certflow certflow list'))
    .action(async (options: Mode & { json?: boolean }) => setCode((await onAws(options, (aws, ctx) => aws.awsList(ctx))) ?? (await (await local()).listCommand(options))));
  addAwsOptions(program.commands.at(-1)!, ['secretPrefix', 'hostInventoryLogGroup']);

  program
    .command('status')
    .description('one certificate: its current version, every version in the archive, its last failure and last event, and which host serves which version')
    .argument('<id>', 'certificate id')
    .option('--json', 'print as JSON')
    .addHelpText('after', examples('certflow status demo1', 'certflow status demo1 --json'))
    .action(async (id: string, options: Mode & { json?: boolean }) => setCode((await onAws(options, (aws, ctx) => aws.awsStatus(ctx, id))) ?? (await (await local()).statusCommand(id, options))));
  addAwsOptions(program.commands.at(-1)!, ['secretPrefix', 'hostInventoryLogGroup']);

  program
    .command('history')
    .description('one certificate\'s versions and its events from events.jsonl, oldest first')
    .argument('<id>', 'certificate id')
    .option('--json', 'print as JSON')
    .addHelpText('after', examples('certflow history demo1', 'certflow history demo1 --json'))
    .action(async (id: string, options: Mode & { json?: boolean }) => setCode((await onAws(options, (aws, ctx) => aws.awsHistory(ctx, id))) ?? (await (await local()).historyCommand(id, options))));
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

Agents follow it: woken by "${ROLLED_BACK}", each installs and reloads what the store now calls
current (within a second here); one that missed the event does at its next reconcile or start.`,
    )
    .action(async (id: string, options: Mode & { to?: string; json?: boolean }) =>
      setCode((await onAws(options, (aws, ctx) => aws.awsRollback(ctx, id, options))) ?? (await (await local()).rollbackCommand(id, options))),
    );
  addAwsOptions(program.commands.at(-1)!, ['secretPrefix', 'eventBus']);

  registerAgentCommand(program, setCode);

  program
    .command('demo', { hidden: packaged })
    .description('npm run demo: issue a certificate through the state machine and install it on a subscriber')
    .option('--json', 'print the result (version, metadata, the subscriber\'s install) as JSON on stdout; progress goes to stderr')
    .addHelpText('after', examples('certflow demo', 'CERTFLOW_HOME=/tmp/demo certflow demo', 'certflow demo --json'))
    .action(async (options: { json?: boolean }) => {
      const { runDemo } = await import('./demo');
      setCode(await runDemo(options));
    });

  registerSimulateCommand(program, setCode, { hidden: packaged });
  registerConfigCommand(program, setCode, { hidden: packaged });
  registerRevokeCommand(program, setCode);
  registerLocalCaCommands(program, setCode, { hidden: packaged });
  registerCaCommands(program, setCode, { hidden: packaged });

  return program;
}

export function run(argv: readonly string[]): Promise<number> {
  return runProgram(buildProgram, argv);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void run(process.argv.slice(2)).then((code) => process.exit(code));
}
