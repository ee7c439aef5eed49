/**
 * Truststores hold trust anchors (issue #10 point 4). A test CA of our own, built with openssl:
 * root R; intermediates I1 and I2 under R; leaf1 under I1 and leaf2 under I2, both for one name
 * (a renewal issued under another intermediate of the same root, as Let's Encrypt rotates them).
 * The truststores built from leaf1's chain with anchor R must let a Java client trust a server
 * presenting leaf2 + I2; a truststore of the old kind (leaf1's intermediate only) must not.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChainToAnchors } from '../../domain/core/trust-anchors';
import { buildKeystoreFiles } from '../../domain/keystores';
import { javaTlsClientHandshake, startJavaTlsServer, type JavaServer } from '../support/java-tls';
import { listKeystore, openssl } from '../support/judges';
import { OpensslCa, type OpensslCertificate } from '../support/openssl-ca';

const SERVER_NAME = 'broker.certflow.test';
const PASSWORD = 'Truststore0123456789abcdefghijkl';

let dir: string;
let R: OpensslCertificate;
let I1: OpensslCertificate;
let I2: OpensslCertificate;
let leaf1: OpensslCertificate;
let leaf2: OpensslCertificate;
/** Serves leaf2 + I2 (the renewed certificate), and leaf1 + I1 (the one the truststores were built with). */
let renewedServer: JavaServer;
let originalServer: JavaServer;

const file = (name: string) => path.join(dir, name);

/** keystore.p12 of `leaf` + its intermediate, written for a Java server. */
async function serverKeystore(name: string, leaf: OpensslCertificate, intermediate: OpensslCertificate): Promise<string> {
  const files = buildKeystoreFiles({
    chain: [leaf.pem, intermediate.pem],
    trustAnchors: [R.pem],
    privateKeyPem: leaf.keyPem,
    password: PASSWORD,
    options: { alias: 'broker', profile: 'legacy' },
    created: new Date(),
  });
  await fs.writeFile(file(`${name}.p12`), files['keystore.p12']!);
  return file(`${name}.p12`);
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-truststores-'));
  const ca = new OpensslCa(dir);
  R = await ca.root('certflow test root R');
  I1 = await ca.issue(R, 'certflow test intermediate I1', { intermediate: true });
  I2 = await ca.issue(R, 'certflow test intermediate I2', { intermediate: true });
  leaf1 = await ca.issue(I1, 'leaf1', { dnsNames: [SERVER_NAME] }, 90);
  leaf2 = await ca.issue(I2, 'leaf2', { dnsNames: [SERVER_NAME] }, 90);

  // What PackageAndStore writes for leaf1 (anchor R), and what it wrote before (the issuer alone).
  const bundle = buildKeystoreFiles({
    chain: [leaf1.pem, I1.pem],
    trustAnchors: [R.pem],
    privateKeyPem: leaf1.keyPem,
    password: PASSWORD,
    options: { alias: 'broker', profile: 'legacy' },
    created: new Date(),
  });
  const intermediateOnly = buildKeystoreFiles({
    chain: [leaf1.pem, I1.pem],
    privateKeyPem: leaf1.keyPem,
    password: PASSWORD,
    options: { alias: 'broker', profile: 'legacy' },
    created: new Date(),
  });
  for (const name of ['truststore.jks', 'truststore.p12'] as const) {
    await fs.writeFile(file(name), bundle[name]!);
    await fs.writeFile(file(`old-${name}`), intermediateOnly[name]!);
  }
  [renewedServer, originalServer] = await Promise.all([
    startJavaTlsServer({ keystorePath: await serverKeystore('renewed', leaf2, I2), storeType: 'PKCS12', password: PASSWORD }),
    startJavaTlsServer({ keystorePath: await serverKeystore('original', leaf1, I1), storeType: 'PKCS12', password: PASSWORD }),
  ]);
});

afterAll(async () => {
  await Promise.all([renewedServer?.stop(), originalServer?.stop()]);
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe('the openssl test CA', () => {
  it('has two intermediates of one root, each leaf leading to R (openssl and verifyChainToAnchors agree)', async () => {
    for (const [leaf, intermediate] of [[leaf1, I1], [leaf2, I2]] as const) {
      const verified = await openssl('verify', '-CAfile', R.certFile, '-untrusted', intermediate.certFile, leaf.certFile);
      expect(verified.output.trim()).toBe(`${leaf.certFile}: OK`);
      expect(verifyChainToAnchors([leaf.pem, intermediate.pem], [R.pem], new Date())).toEqual({ anchor: R.pem, path: [leaf.pem, intermediate.pem] });
    }
    expect(new X509Certificate(I1.pem).issuer).toBe(new X509Certificate(I2.pem).issuer);
    expect(new X509Certificate(leaf1.pem).issuer).not.toBe(new X509Certificate(leaf2.pem).issuer);
  });
});

describe.each([
  ['truststore.jks', 'JKS'],
  ['truststore.p12', 'PKCS12'],
] as const)('%s built from leaf1 with anchor R', (name, storeType) => {
  it('holds the root R, then the intermediate I1', async () => {
    const listed = await listKeystore(file(name), storeType, PASSWORD);
    expect(listed.storeType).toBe(storeType);
    expect(listed.entries.map((entry) => [entry.alias, entry.type]).sort()).toEqual([
      ['ca-certflow-test-intermediate-i1', 'trustedCertEntry'],
      ['ca-certflow-test-root-r', 'trustedCertEntry'],
    ]);
  });

  it('lets a Java client that trusts only it accept the renewed server certificate (leaf2 under I2)', async () => {
    const handshake = await javaTlsClientHandshake({ port: renewedServer.port, truststorePath: file(name), storeType, password: PASSWORD, servername: SERVER_NAME });
    expect(handshake.output).toBe(`trusted ${new X509Certificate(leaf2.pem).serialNumber.toLowerCase().replace(/^0+/, '')} ok`);
    expect(handshake.trusted).toBe(true);
  });

  it('still checks the name: the same server under another name is refused', async () => {
    const handshake = await javaTlsClientHandshake({ port: renewedServer.port, truststorePath: file(name), storeType, password: PASSWORD, servername: 'other.certflow.test' });
    expect(handshake.trusted).toBe(false);
    // The JDK tries the SNI name, then falls back to the address it connected to: neither is in the certificate.
    expect(handshake.output).toBe('untrusted No subject alternative names matching IP address 127.0.0.1 found');
  });

  it(`an old-style ${name} (leaf1's intermediate only) trusts leaf1's server but refuses the renewed one`, async () => {
    const old = file(`old-${name}`);
    expect((await listKeystore(old, storeType, PASSWORD)).entries.map((entry) => entry.alias)).toEqual(['ca-certflow-test-intermediate-i1']);
    const before = await javaTlsClientHandshake({ port: originalServer.port, truststorePath: old, storeType, password: PASSWORD, servername: SERVER_NAME });
    expect(before.trusted, before.output).toBe(true);
    const after = await javaTlsClientHandshake({ port: renewedServer.port, truststorePath: old, storeType, password: PASSWORD, servername: SERVER_NAME });
    expect(after.trusted).toBe(false);
    expect(after.output).toMatch(/^untrusted .*(PKIX path building failed|unable to find valid certification path)/);
  });
});
