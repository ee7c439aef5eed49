/**
 * Issue #19 point 3: the embedded default has a private CA. `certflow issue … --issuer private` on a
 * fresh CERTFLOW_HOME runs the synthesized RenewCertificate's private path against a local CA whose
 * root key stays under CERTFLOW_HOME (0600): a leaf with both EKUs (judged by openssl), the requested
 * lifetime, keystores for the identity and truststores holding the private root; the root is made once
 * and kept; a lifetime the short-lived CA cannot issue is refused and the current version stays.
 */
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCertflow } from '../support/cli-process';
import { listKeystore, openssl } from '../support/judges';

const ID = 'broker-1';
const NAME = 'broker-1.mq.internal';
let home: string;
const certflow = (...args: string[]) => runCertflow(home, args);
const live = (file: string) => path.join(home, 'live', ID, file);
const PRIVATE = ['--issuer', 'private', '--usage', 'clientAuth', '--usage', 'serverAuth'];

beforeAll(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-private-cli-'));
});
afterAll(() => fs.rm(home, { recursive: true, force: true }));

describe('certflow issue --issuer private (the embedded private CA)', () => {
  let rootPem: string;

  it('issues a 7-day mTLS identity on a fresh home: both EKUs, keystores, the private root in the truststores, the root key 0600', async () => {
    const issued = await certflow('issue', ID, '--name', NAME, ...PRIVATE, '--lifetime', '7d');
    expect(issued.code, issued.stderr).toBe(0);
    expect(issued.stdout).toContain('✓ IssuePrivate');
    expect(issued.stdout).not.toContain('CreateOrder');
    expect(issued.stdout).toContain(`Issued '${ID}' version 1`);

    const rootDir = path.join(home, 'private-ca', 'root');
    expect((await fs.stat(path.join(rootDir, 'root-key.pem'))).mode & 0o777).toBe(0o600);
    expect((await fs.stat(path.join(home, 'private-ca'))).mode & 0o777).toBe(0o700);
    rootPem = await fs.readFile(path.join(rootDir, 'root.pem'), 'utf8');

    const text = await openssl('x509', '-in', live('cert.pem'), '-noout', '-ext', 'extendedKeyUsage,subjectAltName');
    expect(text.output).toMatch(/TLS Web Server Authentication, TLS Web Client Authentication/);
    expect(text.output).toContain(`DNS:${NAME}`);
    const leaf = new X509Certificate(await fs.readFile(live('cert.pem'), 'utf8'));
    expect(Math.round((Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / 86_400_000)).toBe(7);
    const verified = await openssl('verify', '-CAfile', path.join(rootDir, 'root.pem'), live('cert.pem'));
    expect(verified.output.trim()).toBe(`${live('cert.pem')}: OK`);

    const password = (await fs.readFile(live('keystore.pass'), 'utf8')).trim();
    const keystore = await listKeystore(live('keystore.p12'), 'PKCS12', password);
    expect(keystore.entries.map((entry) => entry.type)).toContain('PrivateKeyEntry');
    const truststore = await listKeystore(live('truststore.jks'), 'JKS', password);
    expect(truststore.entries.every((entry) => entry.type === 'trustedCertEntry')).toBe(true);
    expect(truststore.entries.length).toBeGreaterThanOrEqual(1);
  }, 180_000);

  it('keeps the same root for the next identity, and refuses a lifetime the short-lived CA cannot issue (the current version stays)', async () => {
    const again = await certflow('issue', ID, '--name', NAME, ...PRIVATE);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`Issued '${ID}' version 2`);
    expect(await fs.readFile(path.join(home, 'private-ca', 'root', 'root.pem'), 'utf8')).toBe(rootPem);

    const tooLong = await certflow('issue', ID, '--name', NAME, ...PRIVATE, '--lifetime', '8d');
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toContain('InvalidCertificateRequest');
    expect(tooLong.stderr).toContain('at most 7');
    expect(await fs.readlink(path.join(home, 'live', ID))).toMatch(/archive[\\/]broker-1[\\/]2$/);

    const acmeField = await certflow('issue', ID, '--name', NAME, ...PRIVATE, '--acme-profile', 'shortlived');
    expect(acmeField.code).toBe(1);
    expect(acmeField.stderr).toContain('profile: an ACME field');
  }, 240_000);
});
