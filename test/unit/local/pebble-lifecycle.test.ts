/**
 * Pebble never outlives the process that started it, however that process ends, and its temp
 * dir (which holds a TLS private key) goes with it. When Pebble dies on its own, `exited` says how.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describePebbleExit, startPebble } from '../../../local/pebble';

const REPO = path.resolve(__dirname, '../../..');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat); // a zombie is dead
  } catch {
    return false;
  }
}

/** Pebble's temp dir, from its `-config <dir>/pebble-config.json` argument. */
function pebbleDir(pid: number): string {
  const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  return path.dirname(args[args.indexOf('-config') + 1]!);
}

async function until(condition: () => boolean, ms = 8000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return condition();
}

async function startChild(mode: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/pebble-child.ts', mode], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
  const { pid, dir } = await new Promise<{ pid: number; dir: string }>((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const line = text.split('\n').find((candidate) => candidate.startsWith('{'));
      if (line) resolve(JSON.parse(line) as { pid: number; dir: string });
    });
    child.once('exit', (code) => reject(new Error(`child exited with ${code} before starting Pebble`)));
  });
  expect(pid).toBeGreaterThan(0);
  expect(path.basename(dir)).toMatch(/^certflow-pebble-/);
  return { child, pid, dir };
}

describe('Pebble dies with the process that started it', () => {
  it.each([
    ['SIGKILL', (child: ReturnType<typeof spawn>) => child.kill('SIGKILL')],
    ['SIGINT', (child: ReturnType<typeof spawn>) => child.kill('SIGINT')],
    ['SIGTERM', (child: ReturnType<typeof spawn>) => child.kill('SIGTERM')],
    ['SIGHUP', (child: ReturnType<typeof spawn>) => child.kill('SIGHUP')],
    ['exit without stop()', () => {}],
    ['its stdout pipe closed (EPIPE)', (child: ReturnType<typeof spawn>) => child.stdout!.destroy()],
  ])('%s: Pebble is gone and its temp dir removed', async (how, end) => {
    const { child, pid, dir } = await startChild(how.startsWith('exit') ? 'exit' : how.startsWith('its stdout') ? 'write' : 'wait');
    end(child);
    expect(await until(() => !alive(pid))).toBe(true);
    expect(await until(() => !existsSync(dir))).toBe(true);
    child.kill('SIGKILL');
  }, 30_000);
});

describe('a Pebble that dies on its own', () => {
  it('is reported with its signal and last output; stop() still cleans up', async () => {
    const pebble = await startPebble({ dnsPort: 1 });
    const dir = pebbleDir(pebble.pid);
    expect(pebble.exited).toBeUndefined();
    process.kill(pebble.pid, 'SIGKILL');
    expect(await until(() => pebble.exited !== undefined)).toBe(true);
    expect(pebble.exited).toMatchObject({ code: null, signal: 'SIGKILL' });
    expect(pebble.exited!.lastOutput).toMatch(/Pebble|ACME|Listening/i);
    expect(describePebbleExit(pebble.exited!)).toMatch(/^the local CA \(Pebble\) was killed by SIGKILL; its last output:\n/);
    expect(describePebbleExit({ code: 2, signal: null, lastOutput: '' })).toBe('the local CA (Pebble) exited with code 2 (no output)');
    await pebble.stop();
    expect(existsSync(dir)).toBe(false);
  }, 30_000);

  it('stop() is not reported as an exit', async () => {
    const pebble = await startPebble({ dnsPort: 1 });
    const { pid } = pebble;
    await pebble.stop();
    expect(alive(pid)).toBe(false);
    expect(pebble.exited).toBeUndefined();
  }, 30_000);
});
