/**
 * `certflow ca rotate [--advance]` and `certflow ca status`: replace the local private CA's root
 * without a dropped link (bin/commands/ca-rotate.ts, ADR 0013); with --aws, start a rotation to a
 * second AWS Private CA and read its status (bin/commands/ca-rotate-aws.ts). Registered here; loaded when run.
 */
import type { Command } from 'commander';
import { hostInventoryLogGroupOption } from './aws-mode';
import type { AwsCaOptions } from './ca-rotate-aws';
import { examplesHelp } from './exit';

const rotation = () => import('./ca-rotate');

export function registerCaCommands(program: Command, setCode: (code: number) => void, { hidden = false } = {}): void {
  const ca = program
    .command('ca', { hidden })
    .description('the local private CA (issuer privateCa): rotate its root in phases the hosts\' reports gate')
    .addHelpText('after', examplesHelp(['certflow ca rotate', 'certflow ca status', 'certflow ca rotate --advance']));

  ca.command('rotate')
    .description('start replacing the root (a new root; truststores get both roots), or with --advance move to the next phase once every host passed this one')
    .option('--advance', 'the next phase, when every host of the rotation reported what this phase needs; otherwise print who holds it up (exit 1)')
    .option('--json', 'print the rotation as JSON (progress goes to stderr)')
    .option('--aws', 'start the rotation on the deployed stack: to the AWS Private CA --to names (the scheduled scan moves it on)')
    .option('--to <ca arn>', 'with --aws: the new CA, as the config names it in privateCa.nextCertificateAuthorityArn')
    .option('--config <file>', 'with --aws: the config the stack was deployed from (default certflow.config.ts)')
    .option('--secret-prefix <prefix>', 'with --aws: the stack\'s secretPrefix (default: the config\'s)')
    .option('--kms-key-id <key>', 'with --aws: the stack\'s key for a new record (default: the account\'s aws/secretsmanager key)')
    .addOption(hostInventoryLogGroupOption())
    .addHelpText(
      'after',
      `${examplesHelp(['certflow ca rotate', 'certflow ca rotate --advance', 'certflow ca rotate --advance --json', 'certflow ca rotate --aws --to arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/<id> --host-inventory-log-group <name>'], {
        ok: 'the rotation started or moved to its next phase, and every certificate of the CA was reissued for it',
        failed: 'held: a host has not reported what the phase needs (they are named), a rotation is already under way (rotate) or none is (--advance), or a reissue failed',
      })}

Phases: distribute (truststores: old + new root) → issue-new (leaves from the new root) →
retire-old (truststores: the new root only) → done. docs/how-to/rotate.md walks through one.`,
    )
    .action(async (options: { advance?: boolean; json?: boolean; aws?: boolean } & AwsCaOptions) => {
      if (options.aws) return setCode(await (await import('./ca-rotate-aws')).awsRotateCommand(options));
      const commands = await rotation();
      setCode(await (options.advance ? commands.advanceRotationCommand(options) : commands.startRotationCommand(options)));
    });

  ca.command('status')
    .description('the phase of the root rotation and the hosts that hold it up')
    .option('--json', 'print as JSON')
    .option('--aws', 'the rotation of the deployed stack\'s private CA (record in Secrets Manager, reports in the host inventory log group)')
    .option('--config <file>', 'with --aws: the config the stack was deployed from (default certflow.config.ts)')
    .option('--secret-prefix <prefix>', 'with --aws: the stack\'s secretPrefix (default: the config\'s)')
    .addOption(hostInventoryLogGroupOption())
    .addHelpText('after', examplesHelp(['certflow ca status', 'certflow ca status --json', 'certflow ca status --aws --host-inventory-log-group <name>']))
    .action(async (options: { json?: boolean; aws?: boolean } & AwsCaOptions) =>
      setCode(await (options.aws ? (await import('./ca-rotate-aws')).awsRotationStatusCommand(options) : (await rotation()).rotationStatusCommand(options))),
    );
}
