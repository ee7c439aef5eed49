/**
 * Done means, for keystores: the state machine leaves live/<id>/ whose keystore.jks and
 * keystore.p12 a Java TLS server loads with the password in keystore.pass, for RSA and EC
 * certificates alike; passwords stay stable across renewals unless rotation is asked for.
 */
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startJavaTlsServer, tlsHandshake } from '../support/java-tls';
import { keytool, listKeystore, openssl, OPENSSL_INFO } from '../support/judges';
import { startTestPipeline, type TestPipeline } from '../support/local-pipeline';

let pipeline: TestPipeline;
beforeAll(async () => {
  pipeline = await startTestPipeline();
});
afterAll(async () => pipeline?.dispose());

const live = (id: string, file: string) => path.join(pipeline.root, 'live', id, file);
const readPassword = async (id: string) => (await fs.readFile(live(id, 'keystore.pass'), 'utf8')).trim();

async function issue(certificateId: string, names: string[], extra: Record<string, unknown> = {}) {
  const result = await pipeline.executor.run({ certificateId, names, ...extra });
  expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
  return result;
}

describe.each(['ec-p256', 'rsa-2048'] as const)('keystores of a %s certificate', (keyType) => {
  const certificateId = `ks-${keyType}`;
  const serverName = `ks-${keyType}.certflow.test`;

  beforeAll(async () => {
    await issue(certificateId, [serverName, `*.${serverName}`], { keyType });
  });

  it("keytool lists the key with its chain under the alias, and Pebble's root and intermediate as trusted entries", async () => {
    const password = await readPassword(certificateId);
    expect(password).toMatch(/^[A-Za-z0-9]{32}$/);
    for (const [file, storeType] of [['keystore.jks', 'JKS'], ['keystore.p12', 'PKCS12']] as const) {
      const listed = await listKeystore(live(certificateId, file), storeType, password);
      expect(listed.storeType).toBe(storeType);
      expect(listed.entries).toEqual([{ alias: certificateId, type: 'PrivateKeyEntry', chainLength: 2 }]);
    }
    // The truststores hold Pebble's root (this run's, from its management listener), then the issuing intermediate.
    const rootDer = new X509Certificate(await pipeline.pebble.rootPem()).raw;
    for (const [file, storeType] of [['truststore.jks', 'JKS'], ['truststore.p12', 'PKCS12']] as const) {
      const listed = await listKeystore(live(certificateId, file), storeType, password);
      expect(listed.entries).toHaveLength(2);
      expect(listed.entries).toEqual(
        expect.arrayContaining([
          { alias: expect.stringMatching(/^ca-pebble-root-ca-[0-9a-f]+$/), type: 'trustedCertEntry', chainLength: undefined },
          { alias: expect.stringMatching(/^ca-pebble-intermediate-ca-[0-9a-f]+$/), type: 'trustedCertEntry', chainLength: undefined },
        ]),
      );
      const rootAlias = listed.entries.find((entry) => entry.alias.startsWith('ca-pebble-root-ca-'))!.alias;
      const exported = await keytool('-exportcert', '-rfc', '-keystore', live(certificateId, file), '-storetype', storeType, '-storepass', password, '-alias', rootAlias);
      expect(exported.code, exported.output).toBe(0);
      expect(new X509Certificate(exported.output.slice(exported.output.indexOf('-----BEGIN'))).raw.equals(rootDer)).toBe(true);
    }
    const info = await openssl('pkcs12', '-info', '-noout', '-in', live(certificateId, 'keystore.p12'), '-passin', `pass:${password}`);
    for (const line of OPENSSL_INFO.legacy) expect(info.output).toContain(line);
  });

  it.each([
    ['keystore.jks', 'JKS'],
    ['keystore.p12', 'PKCS12'],
  ] as const)('a Java TLS server loads %s with keystore.pass and serves the issued chain', async (file, storeType) => {
    const server = await startJavaTlsServer({ keystorePath: live(certificateId, file), storeType, password: await readPassword(certificateId) });
    try {
      const metadata = JSON.parse(await fs.readFile(live(certificateId, 'metadata.json'), 'utf8')) as { serialNumber: string };
      const handshake = await tlsHandshake(server.port, await pipeline.pebble.rootPem(), serverName);
      expect(handshake).toEqual({ serialNumber: metadata.serialNumber.toUpperCase(), authorized: true });
    } finally {
      await server.stop();
    }
  });
});

describe('keystore passwords', () => {
  it('stay the same across renewals, change only when rotation is asked for', async () => {
    const id = 'ks-password';
    const names = ['pw.example.test'];
    await issue(id, names);
    const first = await readPassword(id);
    await issue(id, names);
    expect(await readPassword(id)).toBe(first);
    await issue(id, names, { keystore: { rotatePassword: true } });
    const rotated = await readPassword(id);
    expect(rotated).not.toBe(first);
    expect((await listKeystore(live(id, 'keystore.jks'), 'JKS', rotated)).entries).toHaveLength(1);
    expect(await fs.readFile(path.join(pipeline.root, 'archive', id, '1', 'keystore.pass'), 'utf8')).toBe(`${first}\n`);
  });

  it('come from the secret the request names, with the alias and profile it asks for', async () => {
    await pipeline.store.writeSecret('certflow/passwords/broker-keystore', 'Given-by-ops-2026\n');
    const id = 'ks-given';
    await issue(id, ['given.example.test'], { keystore: { passwordSecretRef: 'certflow/passwords/broker-keystore', alias: 'ActiveMQ', profile: 'modern' } });
    expect(await readPassword(id)).toBe('Given-by-ops-2026');
    const listed = await listKeystore(live(id, 'keystore.p12'), 'PKCS12', 'Given-by-ops-2026');
    expect(listed.entries).toEqual([{ alias: 'activemq', type: 'PrivateKeyEntry', chainLength: 2 }]);
    const info = await openssl('pkcs12', '-info', '-noout', '-in', live(id, 'keystore.p12'), '-passin', 'pass:Given-by-ops-2026');
    for (const line of OPENSSL_INFO.modern) expect(info.output).toContain(line);
  });
});
