/**
 * The AWS API emulator (a moto server, ../shared/aws-emulator) as a child process: an
 * independent implementation of Route 53, Secrets Manager, EventBridge, SNS, SQS, STS and KMS
 * for contract and end-to-end tests of the AWS adapters. Started in its own process group on a
 * free port, so stopping it stops the server it forks too.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './pebble';

/** Where the emulator lives: `../shared/aws-emulator/start.sh` beside the checkout, unless set. */
const AWS_EMULATOR_SCRIPT =
  process.env.CERTFLOW_AWS_EMULATOR ?? fileURLToPath(new URL('../../shared/aws-emulator/start.sh', import.meta.url));

/** Credentials the emulator accepts (any); region fixed so ARNs are predictable. */
export const EMULATOR_ENVIRONMENT = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' } as const;

export interface RunningEmulator {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Why the emulator cannot run here, or undefined when it can. */
export function emulatorUnavailable(script = AWS_EMULATOR_SCRIPT): string | undefined {
  if (!existsSync(script)) return `no AWS API emulator at ${path.relative(process.cwd(), script)} (set CERTFLOW_AWS_EMULATOR, or AWS_ENDPOINT_URL for another endpoint)`;
  return undefined;
}

export async function startAwsEmulator(options: { script?: string; timeoutMs?: number; log?: (line: string) => void } = {}): Promise<RunningEmulator> {
  const script = options.script ?? AWS_EMULATOR_SCRIPT;
  const unavailable = emulatorUnavailable(script);
  if (unavailable) throw new Error(unavailable);
  const port = await freePort();
  const child = spawn('bash', [script], {
    env: { ...process.env, AWS_EMULATOR_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group: stop() signals the wrapper and the python server together
  });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-8000);
    options.log?.(chunk.toString('utf8').trimEnd());
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      return; // already gone
    }
    await exited;
  };
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`AWS emulator did not answer within ${(options.timeoutMs ?? 120_000) / 1000} s:\n${output}`)), options.timeoutMs ?? 120_000);
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const line = stdout.split('\n').find((candidate) => candidate.startsWith('http://'));
      if (line) {
        clearTimeout(timer);
        resolve(line.trim());
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`AWS emulator exited with code ${code}:\n${output}`));
    });
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { endpoint, stop };
}
