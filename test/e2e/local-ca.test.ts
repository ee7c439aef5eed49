/**
 * `certflow local start` → `certflow issue` on that CA → `certflow local stop`, as an operator
 * runs them (node bin/cli.js …): the issue reuses the daemon's Pebble and DNS server, stop leaves
 * no process and nothing in $TMPDIR; a daemon killed outright leaves a stale state that status
 * reports and stop clears, and its Pebble goes with it.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

let home: string;
let tmp: string;

function certflow(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/cli.js', ...args], { env: { ...process.env, CERTFLOW_HOME: home, TMPDIR: tmp }, timeout: 150_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 200 && alive(pid); i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
  return !alive(pid);
}

interface Status {
  running: boolean;
  daemonPid?: number;
  pebblePid?: number;
  directoryUrl?: string;
  stale?: string;
}

beforeAll(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-local-ca-'));
  tmp = path.join(home, 'tmp'); // the CLI's TMPDIR: Pebble's temp dir (TLS key) lives here while it runs
  await fs.mkdir(tmp);
});
afterAll(async () => {
  await certflow('local', 'stop');
  await fs.rm(home, { recursive: true, force: true });
});

describe('certflow local', () => {
  it('start → issue reuses it → stop: no process and nothing in TMPDIR left', async () => {
    expect((await certflow('local', 'status')).code).toBe(1);
    const start = await certflow('local', 'start', '--json');
    expect(start.code).toBe(0);
    const started = JSON.parse(start.stdout) as Status;
    expect(started).toMatchObject({ running: true, alreadyRunning: false });
    expect(alive(started.daemonPid!) && alive(started.pebblePid!)).toBe(true);

    const again = JSON.parse((await certflow('local', 'start', '--json')).stdout) as Status;
    expect(again).toMatchObject({ alreadyRunning: true, daemonPid: started.daemonPid });
    const status = await certflow('local', 'status', '--json');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ running: true, directoryUrl: started.directoryUrl });

    // Apex + wildcard: two values at one name, written by this process, served by the daemon.
    const issued = await certflow('issue', 'shared1', '--name', 'ca.certflow.test', '--name', '*.ca.certflow.test');
    expect(issued.stderr).toBe('');
    expect(issued.code).toBe(0);
    expect(issued.stdout).toContain(`Using the local CA of certflow local start: Pebble ${started.directoryUrl}`);
    expect(issued.stdout).not.toContain('Starting Pebble');
    expect(issued.stdout).toContain("Issued 'shared1' version 1");
    const second = await certflow('issue', 'shared2', '--name', 'b.example.test', '--json');
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ status: 'SUCCEEDED', certificateId: 'shared2' });
    // Cleanup removed every challenge value from the shared folder.
    const txt = path.join(home, 'local-ca', 'txt');
    for (const name of await fs.readdir(txt)) expect(await fs.readdir(path.join(txt, name))).toEqual([]);

    const stop = await certflow('local', 'stop', '--json');
    expect(stop.code).toBe(0);
    expect(JSON.parse(stop.stdout)).toEqual({ stopped: true });
    expect(await gone(started.daemonPid!)).toBe(true);
    expect(await gone(started.pebblePid!)).toBe(true);
    expect(await fs.readdir(tmp)).toEqual([]);
    expect((await fs.readdir(path.join(home, 'local-ca'))).sort()).toEqual(['daemon.log']);
    expect((await certflow('local', 'status')).code).toBe(1);
  });

  it('a daemon killed outright: its Pebble goes, status says stale, stop clears it, and issue starts its own CA', async () => {
    const started = JSON.parse((await certflow('local', 'start', '--json')).stdout) as Status;
    process.kill(started.daemonPid!, 'SIGKILL');
    expect(await gone(started.pebblePid!)).toBe(true); // the watchdog saw its owner die

    const status = await certflow('local', 'status', '--json');
    expect(status.code).toBe(1);
    expect(JSON.parse(status.stdout)).toMatchObject({ running: false, stale: expect.stringMatching(/daemon pid \d+ is gone|does not answer/) });
    const issued = await certflow('issue', 'own1', '--name', 'own.certflow.test');
    expect(issued.code).toBe(0);
    expect(issued.stdout).toContain('Starting Pebble');

    const stop = JSON.parse((await certflow('local', 'stop', '--json')).stdout) as { stopped: boolean; stale?: string };
    expect(stop).toMatchObject({ stopped: false, stale: expect.any(String) });
    expect((await certflow('local', 'status')).stdout).toContain('Not running (certflow local start)');
    expect(await fs.readdir(tmp)).toEqual([]);
  });
});
