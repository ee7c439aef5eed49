/**
 * Who may read what the agent installs. A service that drops privileges (Mosquitto's `user
 * mosquitto`, nginx workers) reads its key as its own user: without a group it may read, it
 * fails to start ("Unable to load server key file … Permission denied"). `--group mosquitto
 * --key-mode 0640` gives it exactly that; `--owner` needs root. Public files stay 0644 and
 * private ones are never readable by others.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { AgentConfigError } from '../errors';

export const DEFAULT_KEY_MODE = 0o600;

export interface Ownership {
  /** Undefined: leave as created (the agent's user / primary group). */
  readonly uid?: number;
  readonly gid?: number;
}

const octal = (mode: number) => `0${mode.toString(8).padStart(3, '0')}`;

/** Why a private-file mode is refused, or undefined: owner-readable, no execute bits, nothing for others. */
export function keyModeProblem(mode: number): string | undefined {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) return `must be an octal file mode such as 0600 or 0640, got ${String(mode)}`;
  if (mode & 0o007) return `${octal(mode)} lets every user on the host read or change private keys: use 0600 or 0640 with --group`;
  if (mode & 0o111) return `${octal(mode)} has execute bits: private files are data (0600, 0640)`;
  if (!(mode & 0o400)) return `${octal(mode)} does not let the owner read the file`;
  return undefined;
}

const exec = promisify(execFile);

/** A user or group by name (through NSS: `getent`, so LDAP/sssd users resolve too) or by number. */
async function idOf(database: 'passwd' | 'group', value: string | number): Promise<number> {
  if (typeof value === 'number') return value;
  if (/^\d+$/.test(value)) return Number(value);
  try {
    const { stdout } = await exec('getent', [database, value]);
    const id = Number(stdout.split(':')[2]);
    if (Number.isInteger(id)) return id;
  } catch {
    // not found (exit 2) or no getent: reported below
  }
  throw new AgentConfigError(`${database === 'passwd' ? '--owner: no user' : '--group: no group'} '${value.slice(0, 64)}' on this host`);
}

export async function resolveOwnership({ owner, group }: { owner?: string | number; group?: string | number }): Promise<Ownership> {
  return {
    ...(owner !== undefined ? { uid: await idOf('passwd', owner) } : {}),
    ...(group !== undefined ? { gid: await idOf('group', group) } : {}),
  };
}
