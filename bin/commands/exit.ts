/**
 * The `certflow` command's exit codes, for every subcommand (light: each one loads it): one table,
 * the codes and the text `--help` prints. A subcommand may say what "failed" means for it, never
 * use another number.
 */
import { CommanderError, type Command } from 'commander';
import { DETAIL_TYPES } from '../../domain/contracts/detail-types';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
export const ROLLED_BACK = DETAIL_TYPES.rolledBack;

/** A usage or configuration error: exit code 2. */
export class UsageError extends Error {}

const MEANINGS: Readonly<Record<keyof typeof EXIT, string>> = {
  ok: 'success',
  failed: 'failed: the execution failed (its error is printed) or the operation was refused',
  usage: 'usage or configuration error: unknown option, missing argument, both --local and --aws, no state machine on AWS',
};

/** The table as `--help` prints it; `details` says what a code means for one subcommand. */
export function exitCodesHelp(details: Partial<Record<keyof typeof EXIT, string>> = {}): string {
  const rows = (Object.keys(EXIT) as (keyof typeof EXIT)[]).map((name) => `  ${EXIT[name]}  ${details[name] ?? MEANINGS[name]}`);
  return `\nExit codes:\n${rows.join('\n')}`;
}

/** `--help`'s "Examples:" block followed by the exit codes. */
export function examplesHelp(lines: readonly string[], details?: Partial<Record<keyof typeof EXIT, string>>): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n${exitCodesHelp(details)}`;
}

/**
 * Parses `argv` with the program `build` makes and runs its action: the exit code. Commander's
 * errors (unknown option, bad value: already printed) and UsageError are 2, any other error 1,
 * printed as `<name>: <message>`. `setCode` is how an action reports its own code.
 */
export async function runProgram(build: (setCode: (code: number) => void) => Command, argv: readonly string[], name = 'certflow'): Promise<number> {
  let code: number = EXIT.ok;
  const program = build((value) => {
    code = value;
  });
  // Every level (config check, local start…): commander's errors come back here as exit codes.
  const override = (command: Command): void => {
    command.exitOverride();
    command.commands.forEach(override);
  };
  override(program);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    process.stderr.write(`${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return error instanceof UsageError ? EXIT.usage : EXIT.failed;
  }
}
