/**
 * `certflow ca rotate [--advance]` and `certflow ca status`: replace the local private CA's root
 * without a dropped link (bin/commands/ca-rotate.ts, ADR 0013). Registered here; loaded when run.
 */
import type { Command } from 'commander';
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
    .addHelpText(
      'after',
      `${examplesHelp(['certflow ca rotate', 'certflow ca rotate --advance', 'certflow ca rotate --advance --json'], {
        ok: 'the rotation started or moved to its next phase, and every certificate of the CA was reissued for it',
        failed: 'held: a host has not reported what the phase needs (they are named), a rotation is already under way (rotate) or none is (--advance), or a reissue failed',
      })}

Phases: distribute (truststores: old + new root) → issue-new (leaves from the new root) →
retire-old (truststores: the new root only) → done. docs/how-to/rotate.md walks through one.`,
    )
    .action(async (options: { advance?: boolean; json?: boolean }) => {
      const commands = await rotation();
      setCode(await (options.advance ? commands.advanceRotationCommand(options) : commands.startRotationCommand(options)));
    });

  ca.command('status')
    .description('the phase of the root rotation and the hosts that hold it up')
    .option('--json', 'print as JSON')
    .addHelpText('after', examplesHelp(['certflow ca status', 'certflow ca status --json']))
    .action(async (options: { json?: boolean }) => setCode(await (await rotation()).rotationStatusCommand(options)));
}
