import { toPem } from 'jks-js';
import { afterAll, describe, expect, it } from 'vitest';
import { buildKeystoreFiles, encodeJksTruststore, encodePkcs12Truststore, truststoreCertificates } from '../../../domain/keystores';
import { certificateDers, listKeystore, openssl, OPENSSL_INFO, removeScratch, scratchFile, testAuthorities, testChain } from './fixtures';

afterAll(removeScratch);

const PASSWORD = 'trust-secret';
const CREATED = new Date('2026-05-01T00:00:00Z');

async function authorities() {
  const { root, intermediate } = await testAuthorities();
  return [
    { alias: 'Test-Root', pem: root.certificate.toString('pem') },
    { alias: 'Test-Intermediate', pem: intermediate.certificate.toString('pem') },
  ];
}

const FORMATS = [
  {
    name: 'JKS',
    storeType: 'JKS',
    encode: (certificates: { alias: string; pem: string }[]) => encodeJksTruststore({ certificates, storePassword: PASSWORD, created: CREATED }),
  },
  ...(['legacy', 'modern'] as const).map((profile) => ({
    name: `PKCS#12 ${profile}`,
    storeType: 'PKCS12' as const,
    encode: (certificates: { alias: string; pem: string }[]) => encodePkcs12Truststore({ certificates, password: PASSWORD, profile }),
  })),
] as const;

describe.each(FORMATS)('$name truststore', ({ storeType, encode }) => {
  it('lists every CA certificate as a trustedCertEntry', async () => {
    const path = scratchFile('truststore', encode(await authorities()));
    const { storeType: listedType, entries } = await listKeystore(path, storeType, PASSWORD);
    expect(listedType).toBe(storeType);
    expect(entries).toEqual(
      expect.arrayContaining([
        { alias: 'test-root', type: 'trustedCertEntry', chainLength: undefined },
        { alias: 'test-intermediate', type: 'trustedCertEntry', chainLength: undefined },
      ]),
    );
    expect(entries).toHaveLength(2);
  });

  it.each([
    ['no certificates', [], 'at least one certificate'],
    ['aliases differing only in case', [{ alias: 'ca' }, { alias: 'CA' }], 'must be unique'],
  ])('rejects %s', async (_case, aliases, message) => {
    const [root] = await authorities();
    expect(() => encode(aliases.map(({ alias }) => ({ alias, pem: root!.pem })))).toThrow(message);
  });
});

it('JKS truststore reads back with jks-js', async () => {
  const certificates = await authorities();
  const entries = toPem(Buffer.from(encodeJksTruststore({ certificates, storePassword: PASSWORD, created: CREATED })), PASSWORD);
  expect(Object.keys(entries).sort()).toEqual(['test-intermediate', 'test-root']);
  expect(certificateDers(entries['test-root']!.ca!)).toEqual(certificateDers(certificates[0]!.pem));
});

it.each(['legacy', 'modern'] as const)('PKCS#12 %s truststore shows its algorithms and certificates to OpenSSL', async (profile) => {
  const certificates = await authorities();
  const path = scratchFile('p12', encodePkcs12Truststore({ certificates, password: PASSWORD, profile }));
  const info = await openssl('pkcs12', '-info', '-noout', '-in', path, '-passin', `pass:${PASSWORD}`);
  expect(info.code).toBe(0);
  // Truststores hold public certificates only: plain SafeContents, integrity from the MAC.
  const expected = OPENSSL_INFO[profile].filter((line) => line.startsWith('MAC'));
  expect(info.output.split('\n')).toEqual(expect.arrayContaining([...expected, 'PKCS7 Data']));
  expect(info.output).not.toContain('PKCS7 Encrypted data');
  const dump = await openssl('pkcs12', '-in', path, '-passin', `pass:${PASSWORD}`, '-nokeys');
  expect(certificateDers(dump.output)).toEqual(certificates.flatMap(({ pem }) => certificateDers(pem)));
});

describe('what the truststores of a bundle hold', () => {
  async function pems() {
    const { chainPem } = await testChain('ec-p256', 3);
    const [leaf, intermediate, root] = chainPem as [string, string, string];
    return { leaf, intermediate, root };
  }

  it.each<[string, (c: { leaf: string; intermediate: string; root: string }) => [string[], string[]], (c: { intermediate: string; root: string }) => string[]]>([
    ['the anchors first, then the intermediates', ({ leaf, intermediate, root }) => [[leaf, intermediate], [root]], ({ intermediate, root }) => [root, intermediate]],
    ['the anchor once when the chain carries it too', ({ leaf, intermediate, root }) => [[leaf, intermediate, root], [root]], ({ intermediate, root }) => [root, intermediate]],
    ['each anchor once', ({ leaf, intermediate, root }) => [[leaf, intermediate], [root, root]], ({ intermediate, root }) => [root, intermediate]],
    ['the chain\'s issuers alone without anchors', ({ leaf, intermediate, root }) => [[leaf, intermediate, root], []], ({ intermediate, root }) => [intermediate, root]],
  ])('%s', async (_case, input, expected) => {
    const certificates = await pems();
    const [chain, anchors] = input(certificates);
    expect(truststoreCertificates(chain, anchors)).toEqual(expected(certificates));
  });

  it('buildKeystoreFiles puts the root in truststore.jks and truststore.p12 when given as anchor', async () => {
    const { chainPem, keyPem, rootPem } = await testChain('ec-p256', 3);
    const files = buildKeystoreFiles({
      chain: chainPem.slice(0, 2),
      trustAnchors: [rootPem],
      privateKeyPem: keyPem,
      password: PASSWORD,
      options: { alias: 'broker', profile: 'legacy' },
      created: CREATED,
    });
    const jks = toPem(Buffer.from(files['truststore.jks']!), PASSWORD);
    expect(Object.keys(jks).sort()).toEqual(['ca-certflow-test-intermediate', 'ca-certflow-test-root']);
    expect(certificateDers(jks['ca-certflow-test-root']!.ca!)).toEqual(certificateDers(rootPem));
    const dump = await openssl('pkcs12', '-in', scratchFile('p12', files['truststore.p12']!), '-passin', `pass:${PASSWORD}`, '-nokeys');
    expect(certificateDers(dump.output)).toEqual([...certificateDers(rootPem), ...certificateDers(chainPem[1]!)]);
  });
});
