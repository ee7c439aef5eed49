/**
 * The agent CLI as the e2e tests drive it on real servers (test/e2e/reload-recipes.test.ts,
 * test/e2e/restart-turns.test.ts): `certflow agent` run once or kept running (its JSON log lines
 * collected), a renewal as the pipeline makes it (a version in the file store, then "Certificate
 * Renewed" in events.jsonl), and the hosts' reports read back.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { appendEvent } from '../../domain/adapters/local/event-log';
import type { FileCertificateStore } from '../../domain/adapters/local/file-store';
import { DETAIL_TYPES } from '../../domain/contracts/events';
import type { ReportEnvelope } from '../../domain/core/host-inventory';
import { storeVersion } from '../unit/agent/fixtures';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

export function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, ['--import', 'tsx', 'bin/agent.ts', ...args], { cwd: REPO }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr })),
  );
}

/** The long-running agent (real CLI); its JSON log lines. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; lines: Record<string, unknown>[]; stop(): Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/agent.ts', ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const lines: Record<string, unknown>[] = [];
  let buffer = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let at = buffer.indexOf('\n'); at >= 0; at = buffer.indexOf('\n')) {
      const line = buffer.slice(0, at);
      buffer = buffer.slice(at + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a log line
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => lines.push({ message: 'stderr', text: chunk.toString() }));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return { child, lines, stop: async () => (child.kill('SIGTERM'), await exited, undefined) };
}

export async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

export async function reports(eventsFile: string): Promise<ReportEnvelope[]> {
  const text = await fs.readFile(eventsFile, 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as ReportEnvelope);
}

export const ofType = <T>(events: ReportEnvelope[], type: string) => events.filter((event) => event['detail-type'] === type).map((event) => event.detail as T);

/** A renewal as the pipeline makes it: a new version in the store, then "Certificate Renewed"; `at` is performance.now() then. */
export async function renew(store: FileCertificateStore, eventsFile: string, certificateId: string) {
  const stored = await storeVersion(store, certificateId, { notBefore: new Date() });
  const { metadata } = stored;
  await appendEvent(eventsFile, DETAIL_TYPES.renewed, {
    certificateId, version: stored.version, location: stored.location, names: metadata.names, serialNumber: metadata.serialNumber, notBefore: metadata.notBefore,
    notAfter: metadata.notAfter, fingerprintSha256: metadata.fingerprintSha256, keyType: metadata.keyType, formats: stored.formats, executionId: 'e2e',
  }, new Date());
  return { stored, at: performance.now() };
}
