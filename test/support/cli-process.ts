/** The certflow command as an operator runs it: `node bin/cli.js …` in its own process, with its own CERTFLOW_HOME. */
import { execFile } from 'node:child_process';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCertflow(home: string, args: readonly string[], timeoutMs = 150_000): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/cli.js', ...args], { env: { ...process.env, CERTFLOW_HOME: home }, timeout: timeoutMs }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}
