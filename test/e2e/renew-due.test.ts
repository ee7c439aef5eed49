/**
 * `certflow renew --all` renews what is due (issue #21 point 7), with the example config the help
 * names (examples/local.config.ts), each run a CLI process of its own on the embedded local default
 * (a Pebble of its own each time: it does not know the earlier certificates, so its renewalInfo
 * answers 404 and the lifetime rule decides). `--force` renews every one.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileCertificateStore } from '../../domain/adapters/local/file-store';
import { runCertflow } from '../support/cli-process';

const CONFIG = 'examples/local.config.ts';
const IDS = ['local-web', 'local-broker', 'local-short'];
let home: string;

beforeAll(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-renew-due-'));
});
afterAll(() => fs.rm(home, { recursive: true, force: true }));

const versions = async () => Promise.all(IDS.map(async (id) => (await new FileCertificateStore(home).current(id))?.version));

describe('certflow renew --all on the local default', () => {
  it('three runs in a row: the first issues every declared certificate, the next two renew nothing; --force renews all', async () => {
    const first = await runCertflow(home, ['renew', '--all', '--config', CONFIG, '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ renewed: 3, failed: 0, notDue: 0 });
    expect(await versions()).toEqual(['1', '1', '1']);

    for (let run = 0; run < 2; run += 1) {
      const again = await runCertflow(home, ['renew', '--all', '--config', CONFIG]);
      expect(again.code, again.stderr).toBe(0);
      for (const id of IDS) expect(again.stdout).toMatch(new RegExp(`· ${id} {2}not due \\(planned \\d{4}-`));
      expect(again.stdout).toContain('Renewed 0 of 3; not due: 3');
    }
    expect(await versions()).toEqual(['1', '1', '1']);

    const forced = await runCertflow(home, ['renew', '--all', '--force', '--config', CONFIG, '--json']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ renewed: 3, failed: 0 });
    expect(await versions()).toEqual(['2', '2', '2']);
    // The shortlived declaration got Pebble's 6-day profile.
    const short = (await new FileCertificateStore(home).current('local-short'))!.metadata;
    expect(Date.parse(short.notAfter) - Date.parse(short.notBefore)).toBeLessThan(7 * 86_400_000);
  });
});
