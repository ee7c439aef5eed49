/** Reload actions against real processes: /bin/sh commands and signals to a pid in a pidfile. */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReloadFailed } from '../../../agent/errors';
import { commandReload } from '../../../agent/reload/command';
import { signalReload } from '../../../agent/reload/signal';
import { tempDir } from './fixtures';

const context = { certificateId: 'broker', version: '7', serialNumber: '04a1', liveDir: '/srv/certs/live/broker' };
let dir: string;
beforeAll(async () => {
  dir = await tempDir('reload');
});
afterAll(async () => fs.rm(dir, { recursive: true, force: true }));

/** Running, not a zombie (an init that does not reap, as in some containers, leaves those around). */
const isAlive = async (pid: number) => {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
};

describe('commandReload', () => {
  it('runs the command with /bin/sh and tells it the version through the environment only', async () => {
    const out = path.join(dir, 'env');
    const action = commandReload({ command: `echo "$CERTFLOW_CERTIFICATE_ID $CERTFLOW_VERSION $CERTFLOW_SERIAL $CERTFLOW_LIVE_DIR" > ${out} && true`, timeoutMs: 5000 });
    await action.reload(context);
    expect(await fs.readFile(out, 'utf8')).toBe('broker 7 04a1 /srv/certs/live/broker\n');
  });

  it('fails with the exit code and the tail of the output', async () => {
    const action = commandReload({ command: 'echo "broker refused the keystore" >&2; exit 3', timeoutMs: 5000 });
    const failure = action.reload(context);
    await expect(failure).rejects.toThrow(ReloadFailed);
    await expect(failure).rejects.toThrow('reload command exited with code 3: broker refused the keystore');
  });

  it('kills the whole process group after the timeout', async () => {
    const pidFile = path.join(dir, 'grandchild.pid');
    const action = commandReload({ command: `sleep 30 & echo $! > ${pidFile}; wait`, timeoutMs: 300, killGraceMs: 200 });
    const started = Date.now();
    await expect(action.reload(context)).rejects.toThrow('reload command timed out after 300 ms');
    expect(Date.now() - started).toBeLessThan(3000);
    const grandchild = Number(await fs.readFile(pidFile, 'utf8'));
    for (let i = 0; i < 50 && (await isAlive(grandchild)); i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await isAlive(grandchild)).toBe(false);
  });

  it('does not wait for a daemon the command leaves running with its output open', async () => {
    const pidFile = path.join(dir, 'daemon.pid');
    const action = commandReload({ command: `(sleep 5 & echo $! > ${pidFile}) ; exit 0`, timeoutMs: 3000 });
    const started = Date.now();
    await action.reload(context);
    expect(Date.now() - started).toBeLessThan(2000);
    process.kill(Number(await fs.readFile(pidFile, 'utf8')));
  });
});

describe('signalReload', () => {
  it('sends the signal to the pid in the pidfile', async () => {
    const child = spawn(process.execPath, ['-e', "process.on('SIGHUP', () => { console.log('reloaded'); process.exit(0); }); setInterval(() => {}, 1000); console.log('ready');"], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    while (!output.includes('ready')) await new Promise((resolve) => setTimeout(resolve, 10));
    const pidfile = path.join(dir, 'service.pid');
    await fs.writeFile(pidfile, `${child.pid}\n`);

    await signalReload({ signal: 'SIGHUP', target: { pidfile } }).reload(context);

    expect(await exited).toBe(0);
    expect(output).toContain('reloaded');
  });

  it.each([
    ['a missing pidfile', async () => ({ pidfile: path.join(dir, 'missing.pid') }), /cannot read pidfile/],
    ['a pidfile without a pid', async () => {
      await fs.writeFile(path.join(dir, 'garbage.pid'), 'running\n');
      return { pidfile: path.join(dir, 'garbage.pid') };
    }, /holds no pid/],
    ['a process that is gone', async () => ({ pid: 2 ** 22 + 12345 }), /no process/],
  ])('fails clearly for %s', async (_case, target, message) => {
    await expect(signalReload({ signal: 'SIGHUP', target: await target() }).reload(context)).rejects.toThrow(message);
  });
});
