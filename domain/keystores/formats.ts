/**
 * The registry of a version's files: each file certflow writes into a version is named here and
 * nowhere else, with whether it is public, how its bytes read, what builds it and what checks it.
 * The stores (file and Secrets Manager), the bundle (domain/core/bundle.ts), the keystore builder
 * (./bundle.ts), the agent's checks (agent/bundle-check.ts, agent/install) and the contracts
 * (domain/contracts, hence schemas/) all derive from it; test/unit/keystores/formats.test.ts fails
 * when a file name is written as a literal anywhere else in the code.
 *
 * Data only, without imports: the contracts reach it from every Lambda. The keystore encoders and
 * checks (node-forge's ASN.1 behind them) are bound per format in ./codecs.ts.
 */

/** A version's formats, in the order `formats` lists them: PEM always, then the keystores. */
export const FORMATS = ['pem', 'pkcs12', 'jks'] as const;
export type Format = (typeof FORMATS)[number];
export type KeystoreFormat = Exclude<Format, 'pem'>;

/** The PEM text a version is made of (CertificateMaterial in domain/ports.ts). */
export interface PemMaterial {
  readonly certificatePem: string;
  /** The issuers, leaf's issuer first. */
  readonly chainPem: string;
  readonly privateKeyPem: string;
}

/** How a file's bytes read (in a bundle every file is base64 of these bytes). */
type Encoding = 'pem-text' | 'binary' | 'password-text';

/**
 * What builds a file: PEM text from the issued material (the store writes it), a keystore or
 * truststore from the encoder of its format (PackageAndStore), or the password line.
 */
type Builder =
  | { readonly pem: (material: PemMaterial) => string }
  | { readonly keystore: KeystoreFormat }
  | { readonly truststore: KeystoreFormat }
  | { readonly password: true };

/**
 * What checks a file: PEM certificates that parse (`certificate`: exactly one), a PEM private key,
 * the keystore of its format opened with the version's password, or a password line.
 */
export type Check = 'certificate' | 'certificates' | 'private-key' | 'keystore' | 'password';

export interface VersionFile {
  readonly name: string;
  /** The formats that need the file: a version listing one of them in `formats` holds it. */
  readonly formats: readonly Format[];
  /** Public files are 0644; secret ones 0600 (or the host's --key-mode). */
  readonly visibility: 'public' | 'secret';
  readonly encoding: Encoding;
  readonly builder: Builder;
  readonly check: Check;
  /** Truststores exist only when the chain has issuers or the directory anchors to trust. */
  readonly optional?: true;
  /** One line for docs/reference/layout.md and the bundle schema. */
  readonly holds: string;
}

const KEYSTORE_FORMATS: readonly KeystoreFormat[] = ['pkcs12', 'jks'];

/** Every file of a version, by role, in the order a bundle holds them and docs/reference/layout.md lists them. */
export const VERSION_FILES = {
  certificate: {
    name: 'cert.pem',
    formats: ['pem'],
    visibility: 'public',
    encoding: 'pem-text',
    builder: { pem: (material) => material.certificatePem },
    check: 'certificate',
    holds: 'leaf',
  },
  chain: {
    name: 'chain.pem',
    formats: ['pem'],
    visibility: 'public',
    encoding: 'pem-text',
    builder: { pem: (material) => material.chainPem },
    check: 'certificates',
    holds: "issuing chain (leaf's issuer first)",
  },
  fullchain: {
    name: 'fullchain.pem',
    formats: ['pem'],
    visibility: 'public',
    encoding: 'pem-text',
    builder: { pem: (material) => material.certificatePem + material.chainPem },
    check: 'certificates',
    holds: 'leaf + chain',
  },
  privateKey: {
    name: 'privkey.pem',
    formats: ['pem'],
    visibility: 'secret',
    encoding: 'pem-text',
    builder: { pem: (material) => material.privateKeyPem },
    check: 'private-key',
    holds: 'PKCS#8 private key',
  },
  pkcs12Keystore: {
    name: 'keystore.p12',
    formats: ['pkcs12'],
    visibility: 'secret',
    encoding: 'binary',
    builder: { keystore: 'pkcs12' },
    check: 'keystore',
    holds: 'key + full chain under the alias (PKCS#12)',
  },
  jksKeystore: {
    name: 'keystore.jks',
    formats: ['jks'],
    visibility: 'secret',
    encoding: 'binary',
    builder: { keystore: 'jks' },
    check: 'keystore',
    holds: 'the same as a true JKS v2 keystore',
  },
  password: {
    name: 'keystore.pass',
    formats: KEYSTORE_FORMATS,
    visibility: 'secret',
    encoding: 'password-text',
    builder: { password: true },
    check: 'password',
    holds: 'the password of all four stores (and of the keys)',
  },
  pkcs12Truststore: {
    name: 'truststore.p12',
    formats: ['pkcs12'],
    visibility: 'public',
    encoding: 'binary',
    builder: { truststore: 'pkcs12' },
    check: 'keystore',
    optional: true,
    holds: "the directory's trust anchors (roots), then the issuing intermediates (PKCS#12)",
  },
  jksTruststore: {
    name: 'truststore.jks',
    formats: ['jks'],
    visibility: 'public',
    encoding: 'binary',
    builder: { truststore: 'jks' },
    check: 'keystore',
    optional: true,
    holds: 'the same as a JKS truststore',
  },
} as const satisfies Record<string, VersionFile>;

export type VersionFileRole = keyof typeof VERSION_FILES;

/** A version's file names by role: `FILE.password` is `keystore.pass`. */
export const FILE = Object.fromEntries(Object.entries(VERSION_FILES).map(([role, file]) => [role, file.name])) as {
  readonly [Role in VersionFileRole]: (typeof VERSION_FILES)[Role]['name'];
};

/** A version's description, written by whoever installs the version (never part of a bundle); public. */
export const METADATA_FILE = 'metadata.json';

const ALL: readonly VersionFile[] = Object.values(VERSION_FILES);

export const versionFile = (name: string): VersionFile | undefined => ALL.find((file) => file.name === name);

/** The files PackageAndStore builds (keystores, their password, truststores), in the order it builds them. */
export const keystoreFiles = (): readonly VersionFile[] => ALL.filter((file) => !('pem' in file.builder));

/** The files built from the issued material's PEM text. */
export const pemFiles = (): readonly (VersionFile & { builder: { pem: (material: PemMaterial) => string } })[] =>
  ALL.filter((file): file is VersionFile & { builder: { pem: (material: PemMaterial) => string } } => 'pem' in file.builder);

/** Known to be public: world-readable; anything else (an unknown file could be a key) is `privateMode`. */
export const isPublic = (name: string): boolean => name === METADATA_FILE || versionFile(name)?.visibility === 'public';

/** The files a complete version holds besides metadata.json, for its formats (PEM always). */
export function requiredFiles(formats: readonly string[]): string[] {
  return ALL.filter((file) => !file.optional && file.formats.some((format) => format === 'pem' || formats.includes(format))).map((file) => file.name);
}

/** A version's formats from its file names: PEM, and each format whose keystore or truststore it holds. */
export function formatsOf(fileNames: readonly string[]): Format[] {
  const stores = fileNames.flatMap((name) => {
    const builder = versionFile(name)?.builder;
    return builder && 'keystore' in builder ? [builder.keystore] : builder && 'truststore' in builder ? [builder.truststore] : [];
  });
  return FORMATS.filter((format) => format === 'pem' || stores.includes(format));
}

/** keystore.pass's bytes: the password and a newline (what `cat` and broker configs expect). */
export const passwordFileText = (password: string): Buffer => Buffer.from(`${password}\n`, 'utf8');

/** The password a keystore.pass holds. */
export const passwordOf = (data: Uint8Array | string): string => (typeof data === 'string' ? data : Buffer.from(data).toString('utf8')).replace(/\n$/, '');
