import { afterAll, describe, expect, it } from 'vitest';
import { encodeJks, encodePkcs12 } from '../../../domain/keystores';
import { startJavaTlsServer, tlsHandshake } from '../../support/java-tls';
import { KEY_TYPES, removeScratch, scratchFile, SERVER_NAME, testChain, type TestChain } from './fixtures';

afterAll(removeScratch);

const PASSWORD = 'tls-secret';

const FORMATS = [
  {
    name: 'keystore.jks',
    storeType: 'JKS',
    encode: (chain: TestChain) =>
      encodeJks({ alias: 'broker', privateKeyPem: chain.keyPem, chainPem: chain.chainPem, storePassword: PASSWORD, created: new Date() }),
  },
  ...(['legacy', 'modern'] as const).map((profile) => ({
    name: `keystore.p12 (${profile})`,
    storeType: 'PKCS12' as const,
    encode: (chain: TestChain) =>
      encodePkcs12({ alias: 'broker', privateKeyPem: chain.keyPem, chainPem: chain.chainPem, password: PASSWORD, profile }),
  })),
] as const;

const CASES = KEY_TYPES.flatMap((keyType) => FORMATS.map((format) => ({ keyType, ...format })));

describe('a Java TLS server presenting our keystore', () => {
  it.each(CASES)('$name with an $keyType key completes a verified handshake', async ({ keyType, storeType, encode }) => {
    const chain = await testChain(keyType, 3);
    const server = await startJavaTlsServer({ keystorePath: scratchFile('keystore', encode(chain)), storeType, password: PASSWORD });
    try {
      await expect(tlsHandshake(server.port, chain.rootPem, SERVER_NAME)).resolves.toEqual({ serialNumber: chain.leafSerial, authorized: true });
    } finally {
      await server.stop();
    }
  });

  it('fails the handshake when the client trusts another root', async () => {
    const [served, other] = await Promise.all([testChain('ec-p256', 3), testChain('ec-p256', 1)]);
    const path = scratchFile('p12', encodePkcs12({ alias: 'broker', privateKeyPem: served.keyPem, chainPem: served.chainPem, password: PASSWORD, profile: 'modern' }));
    const server = await startJavaTlsServer({ keystorePath: path, storeType: 'PKCS12', password: PASSWORD });
    try {
      await expect(tlsHandshake(server.port, other.rootPem, SERVER_NAME)).rejects.toThrow('self-signed certificate in certificate chain');
    } finally {
      await server.stop();
    }
  });

  it('reports a keystore the JVM cannot load', async () => {
    const chain = await testChain('ec-p256', 2);
    const path = scratchFile('p12', encodePkcs12({ alias: 'broker', privateKeyPem: chain.keyPem, chainPem: chain.chainPem, password: PASSWORD, profile: 'modern' }));
    // Declared as JKS: the server disables the JDK's dual-format fallback, so this must fail.
    await expect(startJavaTlsServer({ keystorePath: path, storeType: 'JKS', password: PASSWORD })).rejects.toThrow('Invalid keystore format');
  });
});
