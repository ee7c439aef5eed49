/**
 * The `certflow` command's exit codes, for every subcommand (light: each one loads it): one table,
 * the codes and the text `--help` prints. A subcommand may say what "failed" means for it, never
 * use another number.
 */
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
