/**
 * Reload by sending a signal (SIGHUP by default) to a process named by a pidfile or a pid.
 * A signal confirms delivery only: a service that fails to load the new files keeps running
 * with the old ones (our ReloadingTlsServer does), which is why a command with a health check
 * is the stronger choice where the service offers one.
 */
import { readFile } from 'node:fs/promises';
import { ReloadFailed } from '../errors';
import type { ReloadAction } from '../ports';

type SignalTarget = { readonly pidfile: string } | { readonly pid: number };

export interface SignalReloadOptions {
  readonly signal: NodeJS.Signals;
  readonly target: SignalTarget;
}

async function targetPid(target: SignalTarget): Promise<number> {
  if ('pid' in target) return target.pid;
  let text: string;
  try {
    text = await readFile(target.pidfile, 'utf8');
  } catch (error) {
    throw new ReloadFailed(`cannot read pidfile ${target.pidfile}: ${(error as Error).message}`, { cause: error });
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid < 2) throw new ReloadFailed(`pidfile ${target.pidfile} holds no pid (${JSON.stringify(text.trim())})`);
  return pid;
}

export function signalReload({ signal, target }: SignalReloadOptions): ReloadAction {
  return {
    description: `${signal} to ${'pid' in target ? `pid ${target.pid}` : `the pid in ${target.pidfile}`}`,
    async reload() {
      const pid = await targetPid(target);
      try {
        process.kill(pid, signal);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new ReloadFailed(code === 'ESRCH' ? `no process ${pid} to send ${signal} to` : `cannot send ${signal} to ${pid}: ${code}`, { cause: error });
      }
    },
  };
}
