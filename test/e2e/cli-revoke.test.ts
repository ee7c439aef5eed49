/**
 * `certflow revoke` as an operator runs it (node bin/cli.js …), each command its own process: on
 * the embedded CA of one command (which cannot know an earlier command's certificate: refused,
 * exit 1, the store as it was), and on `certflow local start`'s CA, where issue → revoke → Pebble
 * reports it revoked, and issue → revoke --reissue → a new key current, installed by
 * `certflow agent --once`.
 */
import { createPublicKey } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCertflow } from '../support/cli-process';
import { detailErrors } from '../support/schemas';

let home: string;

const certflow = (...args: string[]) => runCertflow(home, args);

type LoggedEvent = { 'detail-type': string; detail: Record<string, unknown> };
const events = async (id: string): Promise<LoggedEvent[]> =>
  (await fs.readFile(path.join(home, 'events.jsonl'), 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LoggedEvent)
    .filter((event) => event.detail.certificateId === id);

const spki = (pem: string) => createPublicKey(pem).export({ type: 'spki', format: 'der' }).toString('base64');
const archived = (id: string, version: string, file: string) => fs.readFile(path.join(home, 'archive', id, version, file), 'utf8');

/** Pebble's word on a serial, from the running local CA's management interface. */
async function caStatus(serialNumber: string): Promise<{ Status: string; Reason?: number }> {
  const state = JSON.parse(await fs.readFile(path.join(home, 'local-ca', 'state.json'), 'utf8')) as { managementUrl: string; tlsCaPem: string };
  return new Promise((resolve, reject) => {
    https
      .get(`${state.managementUrl}/cert-status-by-serial/${serialNumber}`, { ca: state.tlsCaPem }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        response.on('end', () => (response.statusCode === 200 ? resolve(JSON.parse(body) as { Status: string; Reason?: number }) : reject(new Error(`HTTP ${response.statusCode}: ${body}`))));
      })
      .on('error', reject);
  });
}

beforeAll(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-cli-revoke-'));
});
afterAll(async () => {
  await certflow('local', 'stop');
  await fs.rm(home, { recursive: true, force: true });
});

describe('certflow revoke', () => {
  it('--help shows the reasons, examples, the key-compromise runbook and the exit codes; bad usage exits 2', async () => {
    const help = await certflow('revoke', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('$ certflow revoke broker --reason keyCompromise --reissue');
    expect(help.stdout).toMatch(/unspecified.*keyCompromise.*affiliationChanged.*superseded.*cessationOfOperation/s);
    expect(help.stdout).toMatch(/Exit codes:[\s\S]*0 +revoked[\s\S]*1 +failed[\s\S]*2 +usage/);
    expect((await certflow('--help')).stdout).toContain('revoke');
    const badReason = await certflow('revoke', 'demo1', '--reason', 'certificateHold');
    expect(badReason.code).toBe(2);
    expect(badReason.stderr).toContain('Allowed choices are unspecified, keyCompromise');
    expect((await certflow('revoke')).code).toBe(2);
    const noMachine = await certflow('revoke', 'demo1', '--aws');
    expect(noMachine.code).toBe(2);
    expect(noMachine.stderr).toMatch(/--state-machine-arn or set CERTFLOW_STATE_MACHINE_ARN/);
  }, 60_000);

  it('on the CA of a single command: refused (it never issued the certificate), exit 1 with the error name, the store as it was', async () => {
    const issued = await certflow('issue', 'lonely', '--name', 'lonely.certflow.test');
    expect(issued.code, issued.stderr).toBe(0);
    const before = await fs.readdir(home);
    const run = await certflow('revoke', 'lonely', '--reason', 'keyCompromise');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('FAILED: AcmeRequestRejected');
    expect(run.stderr).toContain('certflow local start');
    expect(await fs.readdir(home)).toEqual(before); // no revoked/ folder, nothing else new
    expect((await events('lonely')).map((event) => event['detail-type'])).toEqual(['Certificate Renewed', 'Certificate Revocation Failed']);
    const [, failure] = await events('lonely');
    expect(failure!.detail).toMatchObject({ step: 'RevokeAtCa', error: 'AcmeRequestRejected' });
    expect(detailErrors('Certificate Revocation Failed', failure!.detail)).toEqual([]);
  }, 180_000);

  it('on certflow local start: issue → revoke → Pebble says revoked, the version is marked, "Certificate Revoked" is logged', async () => {
    expect((await certflow('local', 'start')).code).toBe(0);
    expect((await certflow('issue', 'demo1', '--name', 'a.certflow.test')).code).toBe(0);
    const run = await certflow('revoke', 'demo1', '--reason', 'keyCompromise', '--json');
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { status: string; revoked: { version: string; serialNumber: string; reason: string; alreadyRevoked: boolean } };
    expect(result).toMatchObject({ status: 'SUCCEEDED', revoked: { version: '1', reason: 'keyCompromise', alreadyRevoked: false } });
    expect(await caStatus(result.revoked.serialNumber)).toMatchObject({ Status: 'Revoked', Reason: 1 });

    const status = JSON.parse((await certflow('status', 'demo1', '--json')).stdout) as { current: { version: string }; versions: { version: string; revoked?: { reason: string } }[] };
    expect(status.current.version).toBe('1'); // no reissue: hosts keep it until a new one comes
    expect(status.versions).toEqual([expect.objectContaining({ version: '1', revoked: expect.objectContaining({ reason: 'keyCompromise' }) })]);
    expect((await certflow('status', 'demo1')).stdout).toMatch(/\* 1 .*keyCompromise \d{4}-/);
    expect((await certflow('status', 'demo1')).stdout).toMatch(/current {3}version 1, serial [0-9a-f]+ — REVOKED \(keyCompromise, /);
    const [listed] = (JSON.parse((await certflow('list', '--json')).stdout) as { certificates: { certificateId: string; currentRevoked?: { reason: string } }[] }).certificates.filter((row) => row.certificateId === 'demo1');
    expect(listed?.currentRevoked).toMatchObject({ reason: 'keyCompromise' });
    expect((await certflow('list')).stdout).toMatch(/^demo1\s.*\s1 \(REVOKED\)\s/m);
    const revoked = (await events('demo1')).filter((event) => event['detail-type'] === 'Certificate Revoked');
    expect(revoked).toHaveLength(1);
    expect(detailErrors('Certificate Revoked', revoked[0]!.detail)).toEqual([]);
    expect((await certflow('history', 'demo1')).stdout).toMatch(/Certificate Revoked\s+version=1 serialNumber=[0-9a-f]+ reason=keyCompromise/);

    const text = await certflow('revoke', 'demo1', '--reason', 'superseded');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('the CA had revoked it already');
  }, 180_000);

  it('on certflow local start: revoke --reissue → a new key is current and certflow agent --once installs it', async () => {
    expect((await certflow('issue', 'demo2', '--name', 'b.certflow.test', '--name', '*.b.certflow.test')).code).toBe(0);
    const host = path.join(home, 'hosts', 'h1');
    expect((await certflow('agent', '--store', home, '--certificate', 'demo2', '--dir', host, '--once', '--host', 'h1')).code).toBe(0);
    const oldCert = await archived('demo2', '1', 'cert.pem');
    expect(await fs.readFile(path.join(host, 'live', 'demo2', 'cert.pem'), 'utf8')).toBe(oldCert);

    const run = await certflow('revoke', 'demo2', '--reason', 'keyCompromise', '--reissue');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("Revoked 'demo2' version 1");
    expect(run.stdout).toContain("Reissued 'demo2' version 2 with a new key");
    expect(run.stdout).toContain('✓ Reissue');

    const newCert = await archived('demo2', '2', 'cert.pem');
    expect(spki(newCert)).not.toBe(spki(oldCert));
    expect(spki(await archived('demo2', '2', 'privkey.pem'))).toBe(spki(newCert));
    expect((await fs.readlink(path.join(home, 'live', 'demo2'))).endsWith(path.join('archive', 'demo2', '2'))).toBe(true);

    expect((await certflow('agent', '--store', home, '--certificate', 'demo2', '--dir', host, '--once', '--host', 'h1')).code).toBe(0);
    expect(await fs.readFile(path.join(host, 'live', 'demo2', 'cert.pem'), 'utf8')).toBe(newCert);
    expect(spki(await fs.readFile(path.join(host, 'live', 'demo2', 'privkey.pem'), 'utf8'))).toBe(spki(newCert));
    const kinds = (await events('demo2')).map((event) => event['detail-type']);
    expect(kinds).toEqual(['Certificate Renewed', 'Certificate Installed', 'Certificate Revoked', 'Certificate Renewed', 'Certificate Installed']);
    for (const event of await events('demo2')) expect(detailErrors(event['detail-type'], event.detail)).toEqual([]);

    // The compromised version never comes back: rollback refuses it, by default and by name.
    for (const args of [['rollback', 'demo2'], ['rollback', 'demo2', '--to', '1']]) {
      const refused = await certflow(...args);
      expect(refused.code, args.join(' ')).toBe(1);
      expect(refused.stderr).toMatch(/revoked/);
    }
    expect((await fs.readlink(path.join(home, 'live', 'demo2'))).endsWith(path.join('archive', 'demo2', '2'))).toBe(true);
    // With an older version that is not revoked, the default rollback passes over the revoked one.
    expect((await certflow('issue', 'demo2', '--name', 'b.certflow.test', '--name', '*.b.certflow.test')).code).toBe(0);
    const back = await certflow('rollback', 'demo2', '--json');
    expect(back.code, back.stderr).toBe(0);
    expect(JSON.parse(back.stdout)).toMatchObject({ from: '3', to: '2', skippedRevoked: [] });
  }, 180_000);
});
