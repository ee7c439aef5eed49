/**
 * `certflow issue|renew` with `certflow local start` running, as an operator runs them (node
 * bin/cli.js …): each command runs its execution in its own process on the daemon's Pebble and DNS.
 * - renew of a declared certificate (--config): names, key type and profile from the declaration;
 *   an undeclared id or a mistyped config is a usage error (exit 2) and runs nothing;
 * - renew --all: one line each, a failure does not stop the others (exit 1);
 * - a failed execution exits 1 with its error name; two commands at once both succeed.
 */
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileCertificateStore } from '../../domain/adapters/local/file-store';
import { runCertflow } from '../support/cli-process';

let home: string;
let directoryUrl: string;

const certflow = (...args: string[]) => runCertflow(home, args);
const ON_THE_DAEMONS_CA = () => `Using the local CA of certflow local start: Pebble ${directoryUrl}`;

beforeAll(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-local-renew-'));
  const started = await certflow('local', 'start', '--json');
  expect(started.code, started.stderr).toBe(0);
  directoryUrl = (JSON.parse(started.stdout) as { directoryUrl: string }).directoryUrl;
});
afterAll(async () => {
  await certflow('local', 'stop');
  await fs.rm(home, { recursive: true, force: true });
});

describe('issue and renew on the CA of certflow local start', () => {
  it('renew of a declared certificate (--config): names, key type and profile from the declaration', async () => {
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
    const renewed = await certflow('renew', 'mq-local', '--config', config);
    expect(renewed.code, renewed.stderr).toBe(0);
    expect(renewed.stdout).toContain(ON_THE_DAEMONS_CA());
    expect(renewed.stdout).not.toContain('Starting Pebble');
    expect(renewed.stdout).toContain("RenewCertificate for mq.certflow.test, *.mq.certflow.test (ec-p384) as 'mq-local'");
    const json = await certflow('renew', 'mq-local', '--config', config, '--json');
    expect(json.code, json.stderr).toBe(0);
    expect(json.stderr).toContain(ON_THE_DAEMONS_CA()); // progress on stderr with --json
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'SUCCEEDED', version: '2', metadata: { keyType: 'ec-p384', names: ['mq.certflow.test', '*.mq.certflow.test'] } });
    expect(new X509Certificate(await fs.readFile(path.join(home, 'live', 'mq-local', 'cert.pem'), 'utf8')).publicKey.asymmetricKeyDetails?.namedCurve).toBe('secp384r1');

    const typo = path.join(home, 'typo.config.ts');
    await fs.writeFile(typo, "export default { hostedZones: [{ name: 'certflow.test', id: 'Z1' }], certificates: [{ id: 'x', names: ['x.certflow.test'], keytype: 'rsa-2048' }] };\n");
    const refused = await certflow('renew', 'x', '--config', typo);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('keytype');
    expect(refused.stderr).not.toMatch(/\n\s+at /); // no stack trace

    const undeclared = await certflow('renew', 'not-declared-here');
    expect(undeclared.code).toBe(2);
    expect(undeclared.stderr).toContain("'not-declared-here' is not declared in certflow.config.ts");
    expect(undeclared.stdout).not.toContain('RenewCertificate for');
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
    // Due only (the running CA remembers them and answers ARI: windows weeks away): nothing to do, twice.
    for (let run = 0; run < 2; run += 1) {
      const due = await certflow('renew', '--all', '--config', config, '--json');
      expect(due.code, due.stderr).toBe(0);
      expect(JSON.parse(due.stdout)).toMatchObject({ renewed: 0, failed: 0, notDue: 2, certificates: [{ certificateId: 'fleet-a', status: 'NOT_DUE' }, { certificateId: 'fleet-c', status: 'NOT_DUE' }] });
    }
    expect((await new FileCertificateStore(home).current('fleet-c'))?.version).toBe('1');
    const json = await certflow('renew', '--all', '--force', '--config', config, '--json');
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ renewed: 2, failed: 0, certificates: [{ certificateId: 'fleet-a', status: 'SUCCEEDED' }, { certificateId: 'fleet-c', status: 'SUCCEEDED' }] });
    expect((await new FileCertificateStore(home).current('fleet-c'))?.version).toBe('2');
    // Usage: an id and --all, neither, --all on AWS, or --force without --all.
    for (const args of [['renew', 'fleet-a', '--all'], ['renew'], ['renew', '--all', '--aws'], ['renew', 'fleet-a', '--force']]) {
      const refused = await certflow(...args);
      expect(refused.code, args.join(' ')).toBe(2);
    }
  });

  it('a failed execution exits 1 with its error name; two commands at once both succeed', async () => {
    const failed = await certflow('issue', 'l-bad', '--name', 'x.example.org');
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/FAILED: \w+/);
    expect(await new FileCertificateStore(home).current('l-bad')).toBeUndefined();

    const [a, b] = await Promise.all([certflow('issue', 'l-par1', '--name', 'lpar1.certflow.test'), certflow('issue', 'l-par2', '--name', 'lpar2.example.test')]);
    expect([a.code, b.code], `${a.stderr}\n${b.stderr}`).toEqual([0, 0]);
    for (const run of [a, b]) expect(run.stdout).toContain(ON_THE_DAEMONS_CA());
    expect(new X509Certificate(await fs.readFile(path.join(home, 'live', 'l-par2', 'cert.pem'), 'utf8')).subjectAltName).toBe('DNS:lpar2.example.test');
  });
});
