/**
 * Which side a `certflow` subcommand runs on, and the names of the deployed stack it needs. Light
 * on purpose (no SDK import): the local path stays fast.
 *
 * The rule: `--local` runs locally, `--aws` on AWS; with neither, AWS when a stack is configured
 * (CERTFLOW_STATE_MACHINE_ARN is set), else the embedded local default. The stack's names come
 * from flags, else the environment, else the stack's defaults; region and credentials from the
 * AWS SDK's chain (AWS_REGION, AWS_PROFILE, SSO, instance roles; AWS_ENDPOINT_URL for an emulator).
 */
import { Option, type Command } from 'commander';

const AWS_ENV = {
  stateMachineArn: 'CERTFLOW_STATE_MACHINE_ARN',
  revokeStateMachineArn: 'CERTFLOW_REVOKE_STATE_MACHINE_ARN',
  secretPrefix: 'CERTFLOW_SECRET_PREFIX',
  eventBus: 'CERTFLOW_EVENT_BUS',
  hostInventoryLogGroup: 'CERTFLOW_HOST_INVENTORY_LOG_GROUP',
} as const;

/** The stack's defaults (infra/config.ts secretPrefix, the `certflow` bus). */
const STACK_DEFAULTS = { secretPrefix: 'certflow/', eventBus: 'certflow' } as const;

export interface ModeFlags {
  readonly local?: boolean;
  readonly aws?: boolean;
}

export interface AwsFlags extends ModeFlags {
  readonly stateMachineArn?: string;
  readonly revokeStateMachineArn?: string;
  readonly secretPrefix?: string;
  readonly eventBus?: string;
  readonly hostInventoryLogGroup?: string;
  readonly json?: boolean;
}

type Environment = Readonly<Record<string, string | undefined>>;

/** A usage error of the mode flags (exit 2). */
export class ModeError extends Error {
  override readonly name = 'ModeError';
}

/** True for AWS, false for the embedded local default (see the rule above). */
export function runsOnAws(flags: ModeFlags, env: Environment = process.env): boolean {
  if (flags.aws && flags.local) throw new ModeError('choose --local or --aws, not both');
  if (flags.local) return false;
  return flags.aws === true || Boolean(env[AWS_ENV.stateMachineArn]);
}

export interface StackNames {
  readonly stateMachineArn?: string;
  /** Default: certflow-RevokeCertificate beside the RenewCertificate state machine. */
  readonly revokeStateMachineArn?: string;
  readonly secretPrefix: string;
  readonly eventBus: string;
  /** The hosts' reports (stack output HostInventoryLogGroupName); without it list/status show no hosts. */
  readonly hostInventoryLogGroup?: string;
}

/** The stack's names: flags, else the environment, else the defaults. */
export function stackNames(flags: AwsFlags, env: Environment = process.env): StackNames {
  const secretPrefix = flags.secretPrefix ?? env[AWS_ENV.secretPrefix] ?? STACK_DEFAULTS.secretPrefix;
  if (!secretPrefix.endsWith('/')) throw new ModeError(`--secret-prefix '${secretPrefix}' must end with '/' (the stack's secretPrefix, e.g. certflow/)`);
  const stateMachineArn = flags.stateMachineArn ?? env[AWS_ENV.stateMachineArn];
  const revokeStateMachineArn = flags.revokeStateMachineArn ?? env[AWS_ENV.revokeStateMachineArn];
  const hostInventoryLogGroup = flags.hostInventoryLogGroup ?? env[AWS_ENV.hostInventoryLogGroup];
  return {
    ...(stateMachineArn ? { stateMachineArn } : {}),
    ...(revokeStateMachineArn ? { revokeStateMachineArn } : {}),
    secretPrefix,
    eventBus: flags.eventBus ?? env[AWS_ENV.eventBus] ?? STACK_DEFAULTS.eventBus,
    ...(hostInventoryLogGroup ? { hostInventoryLogGroup } : {}),
  };
}

export type AwsNeed = 'stateMachineArn' | 'secretPrefix' | 'eventBus' | 'hostInventoryLogGroup';

/** `--host-inventory-log-group`: where the hosts' reports are read on AWS (list, status, ca rotate, ca status). */
export const hostInventoryLogGroupOption = () =>
  new Option('--host-inventory-log-group <name>', "with --aws: the stack output HostInventoryLogGroupName (the hosts' reports)").env(AWS_ENV.hostInventoryLogGroup);

/** Adds `--local`/`--aws` and the stack names this subcommand uses. */
export function addAwsOptions(command: Command, needs: readonly AwsNeed[]): Command {
  command
    .addOption(new Option('--local', 'run on the embedded local default (the default when no stack is configured)'))
    .addOption(new Option('--aws', `run on the deployed stack (the default when ${AWS_ENV.stateMachineArn} is set); region and credentials from the AWS SDK chain`));
  if (needs.includes('stateMachineArn')) {
    command.addOption(new Option('--state-machine-arn <arn>', 'the RenewCertificate state machine: arn:aws:states:<region>:<account>:stateMachine:certflow-RenewCertificate').env(AWS_ENV.stateMachineArn));
  }
  if (needs.includes('secretPrefix')) {
    command.addOption(new Option('--secret-prefix <prefix>', `the stack's secretPrefix (default ${STACK_DEFAULTS.secretPrefix})`).env(AWS_ENV.secretPrefix));
  }
  if (needs.includes('eventBus')) {
    command.addOption(new Option('--event-bus <name>', `the stack's event bus (default ${STACK_DEFAULTS.eventBus})`).env(AWS_ENV.eventBus));
  }
  if (needs.includes('hostInventoryLogGroup')) command.addOption(hostInventoryLogGroupOption());
  const example = AWS_EXAMPLES[command.name()];
  return command.addHelpText('after', `${AWS_HELP}${example ? `\n  $ ${example}` : ''}`);
}

const ARN_EXAMPLE = 'arn:aws:states:eu-west-1:111122223333:stateMachine:certflow-RenewCertificate';
const AWS_EXAMPLES: Readonly<Record<string, string>> = {
  issue: `certflow issue broker --name mq.example.com --aws --state-machine-arn ${ARN_EXAMPLE}`,
  renew: `${AWS_ENV.stateMachineArn}=${ARN_EXAMPLE} certflow renew broker-eu1`,
  list: 'certflow list --aws --json',
  status: 'certflow status broker-eu1 --aws --secret-prefix certflow/ --host-inventory-log-group <name>',
  history: `certflow history broker-eu1 --aws --state-machine-arn ${ARN_EXAMPLE}`,
  rollback: 'AWS_PROFILE=ops certflow rollback broker-eu1 --aws --event-bus certflow',
};

const AWS_HELP = `
On AWS (--aws, or ${AWS_ENV.stateMachineArn} set): the stack's names from the flags above or
${Object.values(AWS_ENV).join(', ')}; region and credentials from the AWS SDK chain
(AWS_REGION, AWS_PROFILE, …).`;

type AwsModule = typeof import('./aws');
type AwsContextOf = ReturnType<AwsModule['contextFor']>;

/**
 * For bin/cli.ts's actions: on AWS (the rule above) load bin/commands/aws.ts, build the context
 * from the flags and run `body`, returning its exit code; locally, undefined (the caller runs the
 * local command). Mode and name errors print and give 2.
 */
export async function onAws(flags: AwsFlags, body: (aws: AwsModule, ctx: AwsContextOf) => Promise<number>): Promise<number | undefined> {
  let aws: boolean;
  try {
    aws = runsOnAws(flags);
  } catch (error) {
    process.stderr.write(`certflow: ${(error as Error).message}\n`);
    return 2;
  }
  if (!aws) return undefined;
  const module = await import('./aws');
  let ctx: AwsContextOf;
  try {
    ctx = module.contextFor(flags);
  } catch (error) {
    process.stderr.write(`certflow: ${(error as Error).message}\n`);
    return error instanceof ModeError ? 2 : 1;
  }
  return body(module, ctx);
}
