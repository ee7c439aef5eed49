/**
 * Issue #18 points 5 and 6 through the synthesized state machine, against Pebble 2.10 started as
 * Let's Encrypt serves chains now: PEBBLE_CHAIN_LENGTH=3 (leaf + three intermediates below the
 * root, LE's Gen Y depth) and PEBBLE_ALTERNATE_ROOTS=1 (a second chain to another root, offered as
 * `Link: rel="alternate"`). The local default anchors the directory to every root Pebble made.
 *
 * - the default chain is four deep and leads to root #0; `preferredChain` = root #1's CN switches
 *   to the alternate chain; a CN no chain tops out at keeps the default (certbot's fallback);
 * - the truststores of every version hold both roots, so a Java client that trusts only the
 *   previous version's truststore.jks (then only its .p12) accepts the server after the switch;
 * - usages: Pebble 2.10's leaves carry serverAuth only (judged by openssl below, whichever profile
 *   Pebble picked), so a declared clientAuth is refused: MissingExtendedKeyUsage, nothing stored.
 * No assertion depends on the certificate's lifetime (Pebble picks a random profile).
 */
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitPemChain } from '../../domain/core/certificate';
import { topmostIssuerCn } from '../../domain/core/chains';
import { javaTlsClientHandshake, startJavaTlsServer, type JavaServer } from '../support/java-tls';
import { keytool, listKeystore, openssl } from '../support/judges';
import { startTestPipeline, type TestPipeline } from '../support/local-pipeline';

const ID = 'chains';
const NAME = 'chains.certflow.test';
const request = { certificateId: ID, names: [NAME] };

let pipeline: TestPipeline;
let roots: string[];
let rootCns: string[];
const archived = (version: string, file: string) => path.join(pipeline.root, 'archive', ID, version, file);
const cnOf = (pem: string) => /CN=([^\n]+)/.exec(new X509Certificate(pem).subject)![1]!;
const aliasOf = (cn: string) => `ca-${cn.toLowerCase().replaceAll(' ', '-')}`;
const chainOf = async (version: string) => splitPemChain(await fs.readFile(archived(version, 'fullchain.pem'), 'utf8'));
const passwordOf = async (version: string) => (await fs.readFile(archived(version, 'keystore.pass'), 'utf8')).trim();

async function renew(fields: Record<string, unknown> = {}) {
  const result = await pipeline.executor.run({ ...request, ...fields });
  expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
  return (await pipeline.store.current(ID))!;
}

/** openssl verify of a stored version's leaf against one root alone, its intermediates untrusted. */
async function verifiesAgainst(version: string, rootIndex: number): Promise<boolean> {
  const rootFile = path.join(pipeline.root, `root-${rootIndex}.pem`);
  await fs.writeFile(rootFile, roots[rootIndex]!);
  const judged = await openssl('verify', '-CAfile', rootFile, '-untrusted', archived(version, 'chain.pem'), archived(version, 'cert.pem'));
  return judged.code === 0 && judged.output.trim() === `${archived(version, 'cert.pem')}: OK`;
}

beforeAll(async () => {
  pipeline = await startTestPipeline({ pebble: { env: { PEBBLE_CHAIN_LENGTH: '3', PEBBLE_ALTERNATE_ROOTS: '1' } } });
  roots = await pipeline.pebble.rootPems();
  rootCns = roots.map(cnOf);
});
afterAll(async () => {
  await pipeline?.dispose();
});

describe('chains as Pebble 2.10 serves them (PEBBLE_CHAIN_LENGTH=3, PEBBLE_ALTERNATE_ROOTS=1)', () => {
  it('has two roots, both the directory’s trust anchors', () => {
    expect(roots).toHaveLength(2);
    expect(new Set(rootCns).size).toBe(2);
    expect(pipeline.deps.settings.trustAnchors?.[pipeline.ca.directoryUrl]).toEqual(roots);
  });

  it('issues a four-deep chain to root #0 by default; its truststores hold both roots', async () => {
    const stored = await renew();
    expect(stored.version).toBe('1');
    const chain = await chainOf('1');
    expect(chain).toHaveLength(4);
    expect(topmostIssuerCn(chain)).toBe(rootCns[0]);
    expect(await verifiesAgainst('1', 0)).toBe(true);
    expect(await verifiesAgainst('1', 1)).toBe(false);
    const password = await passwordOf('1');
    for (const [file, type] of [['truststore.jks', 'JKS'], ['truststore.p12', 'PKCS12']] as const) {
      const aliases = (await listKeystore(archived('1', file), type, password)).entries.map((entry) => entry.alias);
      expect(aliases, file).toEqual(expect.arrayContaining(rootCns.map(aliasOf)));
    }
  });

  it("takes the alternate chain when preferredChain names root #1 (the topmost certificate's issuer), checked against the anchors before storing", async () => {
    const stored = await renew({ preferredChain: rootCns[1] });
    expect(stored.version).toBe('2');
    const chain = await chainOf('2');
    expect(chain).toHaveLength(4);
    expect(topmostIssuerCn(chain)).toBe(rootCns[1]);
    expect(await verifiesAgainst('2', 1)).toBe(true);
    expect(await verifiesAgainst('2', 0)).toBe(false);
    const logged = pipeline.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.message === 'certificate stored' && line.version === '2');
    expect(logged[0]).toMatchObject({ chainTopIssuer: rootCns[1], preferredChain: rootCns[1], preferredChainOffered: true });
  });

  it('keeps the default chain when no chain tops out at the preferred CN', async () => {
    const stored = await renew({ preferredChain: 'No Such Root' });
    expect(stored.version).toBe('3');
    expect(topmostIssuerCn(await chainOf('3'))).toBe(rootCns[0]);
    const logged = pipeline.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.message === 'certificate stored' && line.version === '3');
    expect(logged[0]).toMatchObject({ chainTopIssuer: rootCns[0], preferredChain: 'No Such Root', preferredChainOffered: false });
  });

  describe.each([
    ['truststore.jks', 'JKS'],
    ['truststore.p12', 'PKCS12'],
  ] as const)('a Java client that trusts only the previous version’s %s', (file, storeType) => {
    let servers: JavaServer[] = [];
    afterAll(async () => {
      await Promise.all(servers.map((server) => server.stop()));
      servers = [];
    });

    it.each([
      ['1', '2', 'root #0 → root #1'],
      ['2', '3', 'root #1 → root #0'],
    ])('trusts version %s’s truststore, accepts the server on version %s (%s)', async (trusted, served) => {
      const server = await startJavaTlsServer({ keystorePath: archived(served, 'keystore.p12'), storeType: 'PKCS12', password: await passwordOf(served) });
      servers.push(server);
      const handshake = await javaTlsClientHandshake({
        port: server.port, truststorePath: archived(trusted, file), storeType, password: await passwordOf(trusted), servername: NAME,
      });
      const serial = new X509Certificate((await chainOf(served))[0]!).serialNumber.toLowerCase().replace(/^0+/, '');
      expect(handshake.output).toBe(`trusted ${serial} ok`);
      expect(handshake.trusted).toBe(true);
    });

    // The truststore also holds the chain's intermediates, and Pebble's leaf-issuing intermediate is one
    // key and subject in both chains, so Java could anchor at it. The roots must carry the switch
    // alone (as when the issuing intermediate rotates too): keytool takes every other entry out.
    it('with the intermediates taken out by keytool: both roots accept the alternate chain; root #0 alone refuses it', async () => {
      const password = await passwordOf('1');
      const copy = path.join(pipeline.root, `roots-only-${file}`);
      await fs.copyFile(archived('1', file), copy);
      const store = ['-keystore', copy, '-storetype', storeType, '-storepass', password];
      for (const entry of (await listKeystore(copy, storeType, password)).entries) {
        if (!rootCns.map(aliasOf).includes(entry.alias)) expect((await keytool('-delete', '-alias', entry.alias, ...store)).code).toBe(0);
      }
      expect((await listKeystore(copy, storeType, password)).entries.map((entry) => entry.alias).sort()).toEqual(rootCns.map(aliasOf).sort());
      const server = await startJavaTlsServer({ keystorePath: archived('2', 'keystore.p12'), storeType: 'PKCS12', password: await passwordOf('2') });
      servers.push(server);
      const handshake = () => javaTlsClientHandshake({ port: server.port, truststorePath: copy, storeType, password, servername: NAME });
      expect((await handshake()).trusted).toBe(true);

      expect((await keytool('-delete', '-alias', aliasOf(rootCns[1]!), ...store)).code).toBe(0);
      const refused = await handshake();
      expect(refused.trusted).toBe(false);
      expect(refused.output).toMatch(/^untrusted .*(PKIX path building failed|unable to find valid certification path)/);
    });
  });
});

describe('usages (EKU) declared and enforced', () => {
  it("records the leaf's EKUs: Pebble 2.10 issues serverAuth only (openssl agrees)", async () => {
    const current = (await pipeline.store.current(ID))!;
    expect(current.metadata.usages).toEqual(['serverAuth']);
    const text = await openssl('x509', '-in', archived(current.version, 'cert.pem'), '-noout', '-ext', 'extendedKeyUsage');
    expect(text.output).toMatch(/X509v3 Extended Key Usage: *\n\s*TLS Web Server Authentication\s*$/);
  });

  it('refuses a certificate lacking a declared clientAuth: MissingExtendedKeyUsage, nothing stored, TXT cleaned, the failure named', async () => {
    const before = (await pipeline.store.current(ID))!;
    const liveCert = await fs.readFile(path.join(pipeline.root, 'live', ID, 'cert.pem'), 'utf8');
    const result = await pipeline.executor.run({ ...request, usages: ['serverAuth', 'clientAuth'] });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('MissingExtendedKeyUsage');
    expect(result.cause).toContain('lacks the declared usage clientAuth (it carries serverAuth)');
    const visited = result.history.filter((event) => event.type === 'StateEntered').map((event) => event.state!.name);
    expect(visited).toContain('PackageAndStore');
    // Ends in the Fail state: an ExecutionsFailed datapoint, which the RenewalFailed alarm counts (test/infra/alarms.test.ts).
    expect(visited.slice(-3)).toEqual(['CleanupAfterFailure', 'PublishFailed', 'RenewalFailed']);

    expect(await pipeline.store.current(ID)).toEqual(before);
    expect(await fs.readFile(path.join(pipeline.root, 'live', ID, 'cert.pem'), 'utf8')).toBe(liveCert);
    expect(pipeline.dnsServer.data.names()).toEqual([]);
    expect(await fs.readdir(path.join(pipeline.root, 'pending', ID)).catch(() => [])).toEqual([]);
    const failed = (await pipeline.events.read()).filter((event) => event['detail-type'] === 'Certificate Renewal Failed' && event.detail.certificateId === ID);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.detail).toMatchObject({ step: 'PackageAndStore', error: 'MissingExtendedKeyUsage', currentVersion: before.version });
    expect(failed[0]!.detail.message).toMatch(/lacks the declared usage clientAuth/);
  });
});
