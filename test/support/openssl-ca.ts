/**
 * A test CA built with the openssl command line, as an operator would build an internal CA:
 * one root, intermediates under it, leaves under those (EC P-256, SHA-256). For chains Pebble
 * cannot make, e.g. two intermediates of one root.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface OpensslCertificate {
  readonly name: string;
  /** Certificate PEM. */
  readonly pem: string;
  /** Private key, PKCS#8 PEM. */
  readonly keyPem: string;
  readonly certFile: string;
  readonly keyFile: string;
}

const EXTENSIONS = `
[root]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[intermediate]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = @names

[names]
`;

export class OpensslCa {
  private serial = 0;
  /** Works in `dir`, which the caller owns and removes. */
  constructor(private readonly dir: string) {}

  private async key(name: string): Promise<string> {
    const keyFile = join(this.dir, `${name}.key`);
    await run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyFile]);
    return keyFile;
  }

  private async read(name: string, keyFile: string, certFile: string): Promise<OpensslCertificate> {
    return { name, pem: await readFile(certFile, 'utf8'), keyPem: await readFile(keyFile, 'utf8'), certFile, keyFile };
  }

  /** A self-signed root. */
  async root(name: string, days = 3650): Promise<OpensslCertificate> {
    const keyFile = await this.key(name);
    const certFile = join(this.dir, `${name}.pem`);
    const extFile = join(this.dir, `${name}.ext`);
    await writeFile(extFile, EXTENSIONS);
    await run('openssl', ['req', '-x509', '-new', '-key', keyFile, '-sha256', '-days', String(days), '-subj', `/O=certflow tests/CN=${name}`,
      '-config', extFile, '-extensions', 'root', '-out', certFile]);
    return this.read(name, keyFile, certFile);
  }

  /** A certificate signed by `issuer`: an intermediate CA, or a server leaf for `dnsNames`. */
  async issue(issuer: OpensslCertificate, name: string, kind: { intermediate: true } | { dnsNames: readonly string[] }, days = 365): Promise<OpensslCertificate> {
    const keyFile = await this.key(name);
    const csrFile = join(this.dir, `${name}.csr`);
    const certFile = join(this.dir, `${name}.pem`);
    const extFile = join(this.dir, `${name}.ext`);
    const names = 'dnsNames' in kind ? kind.dnsNames.map((dns, index) => `DNS.${index + 1} = ${dns}`).join('\n') : '';
    await writeFile(extFile, `${EXTENSIONS}${names}\n`);
    await run('openssl', ['req', '-new', '-key', keyFile, '-subj', `/O=certflow tests/CN=${name}`, '-out', csrFile]);
    this.serial += 1;
    await run('openssl', ['x509', '-req', '-in', csrFile, '-CA', issuer.certFile, '-CAkey', issuer.keyFile, '-set_serial', `0x${(0x1000 + this.serial).toString(16)}`,
      '-sha256', '-days', String(days), '-extfile', extFile, '-extensions', 'dnsNames' in kind ? 'leaf' : 'intermediate', '-out', certFile]);
    return this.read(name, keyFile, certFile);
  }
}
