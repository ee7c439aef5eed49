import { parseJks, toPem } from 'jks-js';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeJks } from '../../../domain/keystores';
import { certificateDers, keyAfterJavaImport, keyDer, KEY_TYPES, keytool, listKeystore, removeScratch, scratchFile, testChain } from './fixtures';

afterAll(removeScratch);

const PASSWORD = 'store-secret';
const CREATED = new Date('2026-05-01T12:34:56.789Z');
const TAMPERED = 'Keystore was tampered with, or password was incorrect';

describe.each(KEY_TYPES)('encodeJks with an %s key', (keyType) => {
  const build = async (overrides: Partial<Parameters<typeof encodeJks>[0]> = {}) => {
    const chain = await testChain(keyType, 3);
    const input = { alias: 'Broker', privateKeyPem: chain.keyPem, chainPem: chain.chainPem, storePassword: PASSWORD, created: CREATED, ...overrides };
    const bytes = Buffer.from(encodeJks(input));
    return { chain, bytes, path: scratchFile('jks', bytes) };
  };

  it('is listed by keytool as one PrivateKeyEntry with the full chain', async () => {
    const { path } = await build();
    await expect(listKeystore(path, 'JKS', PASSWORD)).resolves.toEqual({
      storeType: 'JKS',
      entries: [{ alias: 'broker', type: 'PrivateKeyEntry', chainLength: 3 }],
    });
  });

  it('holds a key that keytool decrypts (key password = store password)', async () => {
    const { chain, path } = await build();
    expect(await keyAfterJavaImport(path, 'JKS', PASSWORD)).toEqual(keyDer(chain.keyPem));
  });

  it('holds a key that keytool decrypts with a separate key password', async () => {
    const { chain, path } = await build({ keyPassword: 'key-secret' });
    expect(await keyAfterJavaImport(path, 'JKS', PASSWORD, { alias: 'broker', password: 'key-secret' })).toEqual(keyDer(chain.keyPem));
  });

  it('holds a key that keytool cannot recover with a wrong key password', async () => {
    const { path } = await build({ keyPassword: 'key-secret' });
    const { code, output } = await keytool(
      '-importkeystore', '-srckeystore', path, '-srcstoretype', 'JKS', '-srcstorepass', PASSWORD, '-srcalias', 'broker', '-srckeypass', 'wrong-secret',
      '-destkeystore', scratchFile('p12'), '-deststoretype', 'PKCS12', '-deststorepass', 'scratch-secret', '-noprompt',
    );
    expect(code).not.toBe(0);
    expect(output).toContain('Cannot recover key');
  });

  it('is rejected by keytool with a wrong store password', async () => {
    const { path } = await build();
    const { code, output } = await keytool('-list', '-keystore', path, '-storetype', 'JKS', '-storepass', 'wrong-secret');
    expect(code).not.toBe(0);
    expect(output).toContain(TAMPERED);
  });

  it('reads back with jks-js to the same key, chain, alias and date', async () => {
    const { chain, bytes } = await build({ keyPassword: 'key-secret' });
    const entries = parseJks(bytes, PASSWORD);
    expect(entries.map(({ alias, date }) => ({ alias, date }))).toEqual([{ alias: 'broker', date: CREATED }]);
    const { broker } = toPem(bytes, PASSWORD, 'key-secret');
    expect(keyDer(broker!.key!)).toEqual(keyDer(chain.keyPem));
    expect(certificateDers(broker!.cert!)).toEqual(chain.chainPem.flatMap(certificateDers));
    expect(() => toPem(bytes, 'wrong-secret')).toThrow('Password verification failed');
  });
});

describe('encodeJks input checks', () => {
  it('rejects a key that does not belong to the leaf certificate', async () => {
    const [ec, rsa] = await Promise.all([testChain('ec-p256', 2), testChain('rsa-2048', 2)]);
    expect(() => encodeJks({ alias: 'a', privateKeyPem: rsa.keyPem, chainPem: ec.chainPem, storePassword: PASSWORD, created: CREATED })).toThrow(
      'does not match',
    );
  });

  it.each([
    ['an empty store password', { storePassword: '' }, 'must not be empty'],
    ['an empty key password', { keyPassword: '' }, 'must not be empty'],
    ['an invalid date', { created: new Date(Number.NaN) }, 'invalid keystore entry date'],
    ['an empty chain', { chainPem: [] }, 'does not match'],
  ])('rejects %s', async (_case, overrides, message) => {
    const chain = await testChain('ec-p256', 1);
    const input = { alias: 'a', privateKeyPem: chain.keyPem, chainPem: chain.chainPem, storePassword: PASSWORD, created: CREATED, ...overrides };
    expect(() => encodeJks(input)).toThrow(message);
  });
});

describe('encodeJks with non-ASCII passwords and alias', () => {
  const storePassword = 'pässwörd-✓';
  const keyPassword = 'schlüssel-✓';

  it('is listed and decrypted by keytool, and read by jks-js', async () => {
    const chain = await testChain('ec-p256', 2);
    const bytes = encodeJks({ alias: 'Brökér-✓', privateKeyPem: chain.keyPem, chainPem: chain.chainPem, storePassword, keyPassword, created: CREATED });
    const path = scratchFile('jks', bytes);
    await expect(listKeystore(path, 'JKS', storePassword)).resolves.toEqual({
      storeType: 'JKS',
      entries: [{ alias: 'brökér-✓', type: 'PrivateKeyEntry', chainLength: 2 }],
    });
    expect(await keyAfterJavaImport(path, 'JKS', storePassword, { alias: 'brökér-✓', password: keyPassword })).toEqual(keyDer(chain.keyPem));
    expect(keyDer(toPem(Buffer.from(bytes), storePassword, keyPassword)['brökér-✓']!.key!)).toEqual(keyDer(chain.keyPem));
  });

  it('is rejected when the password differs only in one non-ASCII character', async () => {
    const chain = await testChain('ec-p256', 1);
    const path = scratchFile('jks', encodeJks({ alias: 'a', privateKeyPem: chain.keyPem, chainPem: chain.chainPem, storePassword, created: CREATED }));
    const { code, output } = await keytool('-list', '-keystore', path, '-storetype', 'JKS', '-storepass', 'pässwörd-✗');
    expect(code).not.toBe(0);
    expect(output).toContain(TAMPERED);
  });
});
