/**
 * Executions in the local CA daemon (local/execution-service.ts): `certflow issue` hands the
 * RenewCertificate execution to the daemon of `certflow local start` when it runs the same build,
 * and follows it over a Unix socket. Checked here against the real daemon (started by the CLI,
 * running Pebble) and its real socket:
 * - the CLI's issue runs there (its pid in the output) and stores a real certificate; --in-process does not;
 * - what travels on the socket is public: no private key, no keystore password;
 * - the daemon refuses another build and bad requests; renew of an undeclared id is a usage error;
 * - an execution whose client leaves runs to its end; two clients at once both succeed;
 * - the socket is its owner's only, and gone after stop.
 */
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileCertificateStore } from '../../domain/adapters/local/file-store';
import { executeInDaemon, executionEndpoint } from '../../local/execution-client';
import type { ExecutionEndpoint, ExecutionMessage } from '../../local/execution-protocol';
import { runCertflow } from '../support/cli-process';
import { keyNeedles, scanForSecrets } from '../support/secret-scan';

let home: string;
let endpoint: ExecutionEndpoint;
let daemonPid: number;
const wire: string[] = [];

const certflow = (...args: string[]) => runCertflow(home, args);

/** One raw request line; every message the daemon answers, until it closes. */
function rawRequest(line: string, endpointSocket = endpoint.socket): Promise<ExecutionMessage[]> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(endpointSocket, () => socket.write(`${line}\n`));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(text.split('\n').filter(Boolean).map((message) => JSON.parse(message) as ExecutionMessage)));
  });
}

async function waitFor<T>(probe: () => Promise<T | undefined>, ms: number): Promise<T | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-daemon-exec-'));
  const started = await certflow('local', 'start', '--json');
  expect(started.code, started.stderr).toBe(0);
  daemonPid = (JSON.parse(started.stdout) as { daemonPid: number }).daemonPid;
  const published = executionEndpoint(home);
  if (!published) throw new Error(`the daemon published no execution endpoint: ${await fs.readFile(path.join(home, 'local-ca', 'state.json'), 'utf8')}`);
  endpoint = published;
});
afterAll(async () => {
  await certflow('local', 'stop');
  await fs.rm(home, { recursive: true, force: true });
});

describe('executions in the local CA daemon', () => {
  it('certflow issue runs in the daemon: its pid in the output, a real certificate in the store', async () => {
    const issued = await certflow('issue', 'd-cli', '--name', 'dcli.certflow.test');
    expect(issued.code, issued.stderr).toBe(0);
    expect(issued.stdout).toContain(`its daemon (pid ${daemonPid}) runs the execution`);
    expect(issued.stdout).toContain('✓ PackageAndStore');
    expect(issued.stdout).toContain("Issued 'd-cli' version 1");
    const pem = await fs.readFile(path.join(home, 'live', 'd-cli', 'cert.pem'), 'utf8');
    expect(new X509Certificate(pem).subjectAltName).toBe('DNS:dcli.certflow.test');

    const json = await certflow('issue', 'd-cli', '--name', 'dcli.certflow.test', '--json');
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'SUCCEEDED', certificateId: 'd-cli', version: '2' });
    expect(json.stderr).toContain(`its daemon (pid ${daemonPid})`); // progress on stderr with --json

    // --in-process: this process runs it, on the daemon's CA.
    const own = await certflow('issue', 'd-cli', '--name', 'dcli.certflow.test', '--in-process');
    expect(own.code, own.stderr).toBe(0);
    expect(own.stdout).toMatch(/Using the local CA of certflow local start: Pebble \S+, DNS on \S+\n/);
    expect(own.stdout).not.toContain('runs the execution');
    expect(own.stdout).toContain("Issued 'd-cli' version 3");
  });

  it('a failed execution in the daemon: exit 1 with the error name, as in-process', async () => {
    const failed = await certflow('issue', 'd-bad', '--name', 'x.example.org');
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain(`its daemon (pid ${daemonPid})`);
    expect(failed.stderr).toMatch(/FAILED: \w+/);
    expect(await new FileCertificateStore(home).current('d-bad')).toBeUndefined();
  });

  it('renew of a declared certificate (--config): names, key type and profile from the declaration, in the daemon and in-process', async () => {
    const config = path.join(home, 'local.config.ts');
    await fs.writeFile(
      config,
      `export default {
  acme: { directoryUrl: 'https://acme-staging-v02.api.letsencrypt.org/directory' },
  hostedZones: [{ name: 'certflow.test', id: 'Z0000000000LOCAL' }],
  certificates: [{ id: 'mq-local', names: ['mq.certflow.test', '*.mq.certflow.test'], keyType: 'ec-p384', keystore: { profile: 'legacy' } }],
};
`,
    );
    const inDaemon = await certflow('renew', 'mq-local', '--config', config);
    expect(inDaemon.code, inDaemon.stderr).toBe(0);
    expect(inDaemon.stdout).toContain(`its daemon (pid ${daemonPid}) runs the execution`);
    expect(inDaemon.stdout).toContain("RenewCertificate for mq.certflow.test, *.mq.certflow.test (ec-p384) as 'mq-local'");
    const inProcess = await certflow('renew', 'mq-local', '--config', config, '--in-process', '--json');
    expect(inProcess.code, inProcess.stderr).toBe(0);
    expect(JSON.parse(inProcess.stdout)).toMatchObject({ status: 'SUCCEEDED', version: '2', metadata: { keyType: 'ec-p384', names: ['mq.certflow.test', '*.mq.certflow.test'] } });
    expect(new X509Certificate(await fs.readFile(path.join(home, 'live', 'mq-local', 'cert.pem'), 'utf8')).publicKey.asymmetricKeyDetails?.namedCurve).toBe('secp384r1');

    const typo = path.join(home, 'typo.config.ts');
    await fs.writeFile(typo, "export default { hostedZones: [{ name: 'certflow.test', id: 'Z1' }], certificates: [{ id: 'x', names: ['x.certflow.test'], keytype: 'rsa-2048' }] };\n");
    const refused = await certflow('renew', 'x', '--config', typo);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('keytype');
    expect(refused.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('renew --all: what is due of the declared certificates, one line each; one failing does not stop the others (exit 1); --force renews every one', async () => {
    const config = path.join(home, 'fleet.config.ts');
    const declare = (certificates: string) =>
      fs.writeFile(config, `export default { hostedZones: [{ name: 'certflow.test', id: 'Z0000000000LOCAL' }], certificates: [${certificates}] };\n`);
    await declare("{ id: 'fleet-a', names: ['a.fleet.certflow.test'] }, { id: 'fleet-bad', names: ['bad.fleet.certflow.test'], keystore: { passwordSecretRef: 'certflow/passwords/missing' } }, { id: 'fleet-c', names: ['c.fleet.certflow.test'], keyType: 'rsa-2048' }");
    const all = await certflow('renew', '--all', '--config', config);
    expect(all.code).toBe(1);
    expect(all.stdout).toContain('Renewing what is due of the 3 certificate(s) declared in');
    expect(all.stdout).toMatch(/\[1\/3\] ✓ fleet-a {2}version 1 {2}serial [0-9a-f]+/);
    expect(all.stdout).toMatch(/\[2\/3\] ✗ fleet-bad {2}\w+: .*certflow\/passwords\/missing/);
    expect(await new FileCertificateStore(home).current('fleet-bad')).toBeUndefined();
    expect(all.stdout).toMatch(/\[3\/3\] ✓ fleet-c {2}version 1/);
    expect(all.stdout).toContain('Renewed 2 of 3; failed: fleet-bad');

    await declare("{ id: 'fleet-a', names: ['a.fleet.certflow.test'] }, { id: 'fleet-c', names: ['c.fleet.certflow.test'], keyType: 'rsa-2048' }");
    // Due only (the daemon's CA remembers them and answers ARI: windows weeks away): nothing to do, twice.
    for (let run = 0; run < 2; run += 1) {
      const json = await certflow('renew', '--all', '--config', config, '--json');
      expect(json.code, json.stderr).toBe(0);
      expect(JSON.parse(json.stdout)).toMatchObject({ renewed: 0, failed: 0, notDue: 2, certificates: [{ certificateId: 'fleet-a', status: 'NOT_DUE' }, { certificateId: 'fleet-c', status: 'NOT_DUE' }] });
    }
    expect((await new FileCertificateStore(home).current('fleet-c'))?.version).toBe('1');
    for (const extra of [[], ['--in-process']]) {
      const json = await certflow('renew', '--all', '--force', '--config', config, '--json', ...extra);
      expect(json.code, json.stderr).toBe(0);
      expect(JSON.parse(json.stdout)).toMatchObject({ renewed: 2, failed: 0, certificates: [{ certificateId: 'fleet-a', status: 'SUCCEEDED' }, { certificateId: 'fleet-c', status: 'SUCCEEDED' }] });
    }
    expect((await new FileCertificateStore(home).current('fleet-c'))?.version).toBe('3');
    // Usage: an id and --all, neither, or --all on AWS.
    for (const args of [['renew', 'fleet-a', '--all'], ['renew'], ['renew', '--all', '--aws'], ['renew', 'fleet-a', '--force']]) {
      const refused = await certflow(...args);
      expect(refused.code, args.join(' ')).toBe(2);
    }
  });

  it('renew of an id not in certflow.config.ts: usage error (exit 2) from the daemon, nothing run', async () => {
    const renewed = await certflow('renew', 'not-declared-here');
    expect(renewed.code).toBe(2);
    expect(renewed.stderr).toContain("'not-declared-here' is not declared in certflow.config.ts");
    expect(renewed.stdout).not.toContain('RenewCertificate for');
  });

  it('what travels on the socket is public: no private key, no keystore password', async () => {
    const outcome = await executeInDaemon(home, { op: 'issue', request: { certificateId: 'd-wire', names: ['dwire.certflow.test', '*.dwire.certflow.test'], keyType: 'rsa-2048' } }, endpoint.codeId, {
      onMessage: (line) => wire.push(line),
    });
    expect(outcome).toMatchObject({ kind: 'done', daemon: { pid: daemonPid }, result: { status: 'SUCCEEDED' }, current: { certificateId: 'd-wire' } });
    expect(wire.filter((line) => line.includes('"type":"event"')).length).toBeGreaterThan(30); // entered + exited per state

    const archive = path.join(home, 'archive', 'd-wire');
    const needles = new Map<string, string>();
    for (const [needle, label] of keyNeedles('d-wire privkey', await fs.readFile(path.join(archive, (await fs.readdir(archive))[0]!, 'privkey.pem'), 'utf8'))) needles.set(needle, label);
    needles.set((await fs.readFile(path.join(archive, (await fs.readdir(archive))[0]!, 'keystore.pass'), 'utf8')).trim(), 'keystore password');
    const accounts = await fs.readdir(path.join(home, 'accounts'), { recursive: true });
    const accountKey = accounts.find((file) => file.endsWith('account.key'));
    for (const [needle, label] of keyNeedles('account key', await fs.readFile(path.join(home, 'accounts', accountKey!), 'utf8'))) needles.set(needle, label);
    expect(needles.size).toBeGreaterThan(8);
    expect(scanForSecrets(Object.fromEntries(wire.map((line, index) => [`message ${index}`, line])), needles)).toEqual([]);
  });

  it('refuses another build (the client then runs it itself) and bad requests', async () => {
    const otherBuild = await executeInDaemon(home, { op: 'issue', request: { certificateId: 'd-other', names: ['dother.certflow.test'] } }, 'another-build');
    expect(otherBuild).toEqual({ kind: 'unavailable', why: expect.stringContaining('another build of certflow') });
    // The daemon checks too, whatever the client read from state.json.
    const refused = await rawRequest(JSON.stringify({ protocol: 1, codeId: 'another-build', op: 'issue', request: { certificateId: 'd-other', names: ['dother.certflow.test'] } }));
    expect(refused).toEqual([{ type: 'refused', reason: expect.stringContaining('another build') }]);
    expect(await rawRequest('not json')).toEqual([{ type: 'error', message: 'bad request: the request is not JSON' }]);
    expect(await rawRequest(JSON.stringify({ protocol: 2, codeId: endpoint.codeId, op: 'issue' }))).toEqual([{ type: 'error', message: expect.stringContaining('protocol 2') }]);
    expect(await rawRequest(JSON.stringify({ protocol: 1, codeId: endpoint.codeId, op: 'delete', certificateId: 'x' }))).toEqual([
      { type: 'error', message: 'bad request: neither an issue nor a renew request' },
    ]);
    expect(await new FileCertificateStore(home).current('d-other')).toBeUndefined();
  });

  it('an execution whose client leaves runs to its end; two clients at once both succeed', async () => {
    const leaving = await new Promise<ExecutionMessage>((resolve, reject) => {
      const socket = net.createConnection(endpoint.socket, () =>
        socket.write(`${JSON.stringify({ protocol: 1, codeId: endpoint.codeId, op: 'issue', request: { certificateId: 'd-left', names: ['dleft.certflow.test'] } })}\n`),
      );
      socket.setEncoding('utf8');
      socket.once('data', (chunk: string) => {
        socket.destroy(); // gone right after the daemon accepted
        resolve(JSON.parse(chunk.split('\n')[0]!) as ExecutionMessage);
      });
      socket.on('error', reject);
    });
    expect(leaving).toMatchObject({ type: 'accepted', request: { certificateId: 'd-left' } });
    const store = new FileCertificateStore(home);
    expect(await waitFor(() => store.current('d-left'), 60_000)).toMatchObject({ certificateId: 'd-left', version: '1' });

    const [a, b] = await Promise.all([certflow('issue', 'd-par1', '--name', 'dpar1.certflow.test'), certflow('issue', 'd-par2', '--name', 'dpar2.example.test')]);
    expect([a.code, b.code], `${a.stderr}\n${b.stderr}`).toEqual([0, 0]);
    expect(a.stdout).toContain(`its daemon (pid ${daemonPid})`);
    expect(b.stdout).toContain(`its daemon (pid ${daemonPid})`);
  });

  it('local status names the socket; daemon.log has one line per execution (ids and outcome only)', async () => {
    const status = JSON.parse((await certflow('local', 'status', '--json')).stdout) as { executions: string | null };
    expect(status.executions).toBe(endpoint.socket);
    expect((await certflow('local', 'status')).stdout).toContain(`Executions: issue/renew run in the daemon (${endpoint.socket})`);
    const log = await fs.readFile(path.join(home, 'local-ca', 'daemon.log'), 'utf8');
    expect(log).toMatch(/^\S+Z \S+ d-cli: SUCCEEDED in \d+ ms$/m);
    expect(log).toMatch(/^\S+Z \S+ d-bad: FAILED \w+ in \d+ ms$/m);
    expect(log).not.toMatch(/PRIVATE KEY/);
  });

  it('the socket is its owner\'s only, and gone after stop', async () => {
    expect((await fs.stat(endpoint.socket)).mode & 0o777).toBe(0o600);
    expect((await fs.stat(path.dirname(endpoint.socket))).mode & 0o777).toBe(0o700);
    const stopped = await certflow('local', 'stop', '--json');
    expect(JSON.parse(stopped.stdout)).toEqual({ stopped: true });
    await expect(fs.stat(endpoint.socket)).rejects.toMatchObject({ code: 'ENOENT' });
    // No daemon: the command runs the execution itself, on a Pebble of its own.
    const own = await certflow('issue', 'd-own', '--name', 'down.certflow.test');
    expect(own.code, own.stderr).toBe(0);
    expect(own.stdout).toContain('Starting Pebble');
    expect(own.stdout).not.toContain('runs the execution');
  });
});
