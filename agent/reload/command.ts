/**
 * Reload by running a command, e.g. `systemctl restart activemq` or a management call.
 *
 * The command is the operator's configuration (as trusted as the unit file that starts the
 * agent), so it runs through `/bin/sh -c`: pipes, `&&` and health checks work as written.
 * Nothing from events is ever spliced into it; what it may need arrives as environment
 * variables (CERTFLOW_CERTIFICATE_ID, CERTFLOW_VERSION, CERTFLOW_SERIAL, CERTFLOW_LIVE_DIR).
 * It runs in its own process group so a timeout kills whatever it started in the foreground.
 */
import { spawn } from 'node:child_process';
import { ReloadFailed } from '../errors';
import type { ReloadAction, ReloadContext } from '../ports';

export interface CommandReloadOptions {
  readonly command: string;
  readonly timeoutMs: number;
  /** Between SIGTERM and SIGKILL after a timeout. */
  readonly killGraceMs?: number;
}

const OUTPUT_TAIL = 2000;

function reloadEnvironment(context: ReloadContext): Record<string, string> {
  return {
    CERTFLOW_CERTIFICATE_ID: context.certificateId,
    CERTFLOW_VERSION: context.version,
    CERTFLOW_SERIAL: context.serialNumber,
    CERTFLOW_LIVE_DIR: context.liveDir,
  };
}

export function commandReload({ command, timeoutMs, killGraceMs = 2000 }: CommandReloadOptions): ReloadAction {
  return {
    description: `command ${JSON.stringify(command)}`,
    reload: (context) =>
      new Promise<void>((resolve, reject) => {
        const child = spawn('/bin/sh', ['-c', command], {
          detached: true,
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...process.env, ...reloadEnvironment(context) },
        });
        let output = '';
        const collect = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL));
        child.stdout.on('data', collect);
        child.stderr.on('data', collect);
        let timedOut = false;
        const killGroup = (signal: NodeJS.Signals) => {
          try {
            process.kill(-child.pid!, signal);
          } catch {
            // the group is gone already
          }
        };
        const timer = setTimeout(() => {
          timedOut = true;
          killGroup('SIGTERM');
          setTimeout(() => killGroup('SIGKILL'), killGraceMs).unref();
        }, timeoutMs);
        child.once('error', (error) => {
          clearTimeout(timer);
          reject(new ReloadFailed(`reload command could not start: ${error.message}`, { cause: error }));
        });
        // 'exit', not 'close': a service the command starts (activemq start) may keep its output pipes open for good.
        child.once('exit', (code, signal) => {
          clearTimeout(timer);
          child.stdout.destroy();
          child.stderr.destroy();
          const tail = output.trim() ? `: ${output.trim()}` : '';
          if (timedOut) reject(new ReloadFailed(`reload command timed out after ${timeoutMs} ms${tail}`));
          else if (code === 0) resolve();
          else reject(new ReloadFailed(`reload command ${signal ? `was killed by ${signal}` : `exited with code ${code}`}${tail}`));
        });
      }),
  };
}
