import { afterAll, describe, expect, it } from 'vitest';
import { encodePkcs12 } from '../../../domain/keystores';
import { certificateDers, keyAfterJavaImport, keyDer, KEY_TYPES, keytool, listKeystore, openssl, OPENSSL_INFO, removeScratch, scratchFile, testChain } from './fixtures';

afterAll(removeScratch);

const PASSWORD = 'store-secret';

const PROFILES = ['legacy', 'modern'] as const;
const CASES = KEY_TYPES.flatMap((keyType) => PROFILES.map((profile) => ({ keyType, profile })));

describe.each(CASES)('encodePkcs12 with an $keyType key, $profile profile', ({ keyType, profile }) => {
  const build = async () => {
    const chain = await testChain(keyType, 3);
    const bytes = encodePkcs12({ alias: 'Broker', privateKeyPem: chain.keyPem, chainPem: chain.chainPem, password: PASSWORD, profile });
    return { chain, path: scratchFile('p12', bytes) };
  };

  it('is listed by keytool as one PrivateKeyEntry with the full chain', async () => {
    const { path } = await build();
    await expect(listKeystore(path, 'PKCS12', PASSWORD)).resolves.toEqual({
      storeType: 'PKCS12',
      entries: [{ alias: 'broker', type: 'PrivateKeyEntry', chainLength: 3 }],
    });
  });

  it('holds a key that keytool decrypts', async () => {
    const { chain, path } = await build();
    expect(await keyAfterJavaImport(path, 'PKCS12', PASSWORD)).toEqual(keyDer(chain.keyPem));
  });

  it('is rejected by keytool with a wrong password', async () => {
    const { path } = await build();
    const { code, output } = await keytool('-list', '-keystore', path, '-storetype', 'PKCS12', '-storepass', 'wrong-secret');
    expect(code).not.toBe(0);
    // With encrypted certificates Java fails on decryption first; with plain ones, on the MAC.
    expect(output).toMatch(profile === 'modern' ? /keystore password was incorrect/ : /Failed PKCS12 integrity checking/);
  });

  it('shows the profile algorithms to OpenSSL, which decrypts key and certificates', async () => {
    const { chain, path } = await build();
    const info = await openssl('pkcs12', '-info', '-noout', '-in', path, '-passin', `pass:${PASSWORD}`);
    expect(info.code).toBe(0);
    expect(info.output.split('\n')).toEqual(expect.arrayContaining(OPENSSL_INFO[profile]));
    const dump = await openssl('pkcs12', '-in', path, '-passin', `pass:${PASSWORD}`, '-noenc');
    expect(dump.code).toBe(0);
    expect(keyDer(dump.output)).toEqual(keyDer(chain.keyPem));
    expect(certificateDers(dump.output)).toEqual(chain.chainPem.flatMap(certificateDers));
    expect(dump.output).toContain('friendlyName: broker');
  });
});

describe('encodePkcs12 input checks', () => {
  it('rejects a key that does not belong to the leaf certificate', async () => {
    const [ec, rsa] = await Promise.all([testChain('ec-p256', 2), testChain('rsa-2048', 2)]);
    expect(() => encodePkcs12({ alias: 'a', privateKeyPem: ec.keyPem, chainPem: rsa.chainPem, password: PASSWORD, profile: 'modern' })).toThrow(
      'does not match',
    );
  });

  // The JDK cannot open such files: its PBE keys reject anything but printable ASCII.
  it.each(['', 'pässwörd-✓', 'tab\tinside'])('rejects the password %j', async (password) => {
    const chain = await testChain('ec-p256', 1);
    expect(() => encodePkcs12({ alias: 'a', privateKeyPem: chain.keyPem, chainPem: chain.chainPem, password, profile: 'legacy' })).toThrow(
      'printable ASCII',
    );
  });

  it('(keytool itself cannot create a PKCS#12 keystore with a non-ASCII password)', async () => {
    const { code, output } = await keytool(
      '-genkeypair', '-keyalg', 'EC', '-alias', 'a', '-dname', 'CN=a', '-storetype', 'PKCS12', '-keystore', scratchFile('p12'), '-storepass', 'pässwörd-✓',
    );
    expect(code).not.toBe(0);
    expect(output).toContain('Password is not ASCII');
  });
});
