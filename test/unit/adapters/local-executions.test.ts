/**
 * Locally a lease's holder is an execution of a `certflow` process: over once that process is gone
 * (Ctrl-C, kill), or once it runs no longer in this very process (an aborted run).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { LocalExecutions, localExecutionName, processOf, processStart, runningHere } from '../../../domain/adapters/local/local-executions';

const arn = (name: string) => `arn:aws:states:eu-west-1:000000000000:execution:RenewCertificate:${name}`;
const executions = new LocalExecutions();

describe('a local execution as a lease holder', () => {
  it('names the process running it (pid and start time), read back from its id', () => {
    const name = localExecutionName(7, 1_700_000_000_000);
    expect(name).toMatch(new RegExp(`^p${process.pid}\\.(\\d+|x)-1700000000000-7$`));
    expect(processOf(arn(name))).toEqual({ pid: process.pid, ...(processStart(process.pid) ? { start: processStart(process.pid) } : {}) });
    expect(processOf(arn('local-1700000000000-1'))).toBeUndefined(); // before holders named their process
  });

  it('in this process: running until its run ends', async () => {
    const id = arn(localExecutionName(1));
    const done = runningHere(id);
    expect(await executions.isGone(id)).toBe(false);
    done();
    expect(await executions.isGone(id)).toBe(true);
  });

  it.skipIf(process.platform !== 'linux')("in another process: running while it lives, over once it is killed; a reused pid is not the holder", async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    await once(child, 'spawn');
    const pid = child.pid!;
    const start = processStart(pid)!;
    const id = arn(`p${pid}.${start}-1700000000000-1`);
    expect(await executions.isGone(id)).toBe(false);
    expect(await executions.isGone(arn(`p${pid}.${Number(start) - 1}-1700000000000-1`))).toBe(true); // same pid, another start: reused
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(await executions.isGone(id)).toBe(true);
  });

  it('cannot tell for an id that names no process: the lease then lasts until it expires', async () => {
    expect(await executions.isGone('arn:aws:states:eu-west-1:111122223333:execution:certflow-RenewCertificate:manual-1')).toBe(false);
  });
});
