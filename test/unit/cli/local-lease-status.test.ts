/**
 * `certflow status` locally shows a held renewal lease and its holder (issue #21 point 6): a first
 * `certflow issue` stopped with Ctrl-C leaves a lease and nothing else, which status must still show.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { statusCommand } from '../../../bin/commands/local';
import { FileCertificateStore } from '../../../domain/adapters/local/file-store';
import { processStart } from '../../../domain/adapters/local/local-executions';

let home: string;
let printed: string[];
beforeEach(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-lease-status-'));
  vi.stubEnv('CERTFLOW_HOME', home);
  printed = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (printed.push(String(chunk)), true));
});
afterEach(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  await fs.rm(home, { recursive: true, force: true });
});

const holderOf = (pid: number) => `arn:aws:states:eu-west-1:000000000000:execution:RenewCertificate:p${pid}.${processStart(pid) ?? 'x'}-1700000000000-1`;

describe('certflow status (local) and the renewal lease', () => {
  it('shows the holder of a lease left by a killed certflow process as over: the next renewal takes it over', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    await once(child, 'spawn');
    const holder = holderOf(child.pid!);
    const order = { orderUrl: 'https://ca.test/order/1', records: [] };
    await new FileCertificateStore(home).acquireLease({ certificateId: 'web', holder, expiresAt: new Date(Date.now() + 3_600_000), order }, new Date());

    expect(await statusCommand('web', {})).toBe(0);
    expect(printed.join('')).toMatch(new RegExp(`lease +held by ${holder} until \\S+, running: certflow issue/renew of it fails with RenewalInProgress`));

    child.kill('SIGKILL');
    await once(child, 'exit');
    printed.length = 0;
    expect(await statusCommand('web', { json: true })).toBe(0);
    expect(JSON.parse(printed.join(''))).toMatchObject({ certificateId: 'web', current: null, lease: { holder, holderState: 'over', leftovers: 0 } });
  });
});
