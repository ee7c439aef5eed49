/** The `certflow` command's exit codes and the error that means "usage" (light: every subcommand loads it). */
import { DETAIL_TYPES } from '../../domain/contracts/detail-types';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
export const ROLLED_BACK = DETAIL_TYPES.rolledBack;

/** A usage or configuration error: exit code 2. */
export class UsageError extends Error {}
