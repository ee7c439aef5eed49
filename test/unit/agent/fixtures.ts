/**
 * Agent test fixtures: real certificate versions from a test CA built at run time (a fresh
 * EC P-256 key per version, like a renewal), as bundles, in a file store, or behind an
 * in-memory CertificateSource; a recording reload action and reporter.
 */
import { randomBytes, webcrypto } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as x509 from '@peculiar/x509';
import type { FileCertificateStore } from '../../../domain/adapters/local/file-store';
import { materialFiles, toBundle, type CertificateBundle } from '../../../domain/core/bundle';
import { describeCertificate } from '../../../domain/core/certificate';
import { buildKeystoreFiles } from '../../../domain/keystores';
import type { CertificateMaterial, Logger } from '../../../domain/ports';
import type { CertificateSource, HostReporter, ReloadAction, ReloadContext } from '../../../agent/ports';
import type { CertificateInstalledEvent, CertificateReloadFailedEvent } from '../../../domain/contracts/events';
import { ReloadFailed, VersionNotFound } from '../../../agent/errors';

x509.cryptoProvider.set(webcrypto as never);

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;
export const PASSWORD = 'Alphanumeric0123456789abcdefghij';
export const NAMES = ['broker.certflow.test', '*.broker.certflow.test'];

const generateKeys = () => webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']) as Promise<webcrypto.CryptoKeyPair>;
const pem = (certificate: x509.X509Certificate) => `${certificate.toString('pem')}\n`;

let authority: Promise<{ keys: webcrypto.CryptoKeyPair; certificate: x509.X509Certificate }> | undefined;

function testAuthority() {
  authority ??= (async () => {
    const keys = await generateKeys();
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: `01${randomBytes(8).toString('hex')}`, name: 'CN=certflow agent test CA', keys: keys as never, signingAlgorithm: EC,
      notBefore: new Date(Date.now() - 400 * DAY), notAfter: new Date(Date.now() + 400 * DAY),
      extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
    });
    return { keys, certificate };
  })();
  return authority;
}

/** The test CA's root, as a host would pin it (--trust-anchor). */
export async function testAuthorityPem(): Promise<string> {
  return pem((await testAuthority()).certificate);
}

/** Another root, unrelated to the test CA. */
export async function otherRootPem(): Promise<string> {
  const keys = await generateKeys();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: `01${randomBytes(8).toString('hex')}`, name: 'CN=some other root', keys: keys as never, signingAlgorithm: EC,
    notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + 400 * DAY),
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
  return pem(certificate);
}

export interface IssueOptions {
  /** Default: now minus one hour. */
  readonly notBefore?: Date;
  readonly names?: string[];
  /** Hex, leading 01 keeps it positive. Default random. */
  readonly serial?: string;
}

/** A certificate with a fresh key, signed by the test CA, as the pipeline would store it. */
export async function issueMaterial(options: IssueOptions = {}): Promise<CertificateMaterial> {
  const { keys: caKeys, certificate: ca } = await testAuthority();
  const keys = await generateKeys();
  const notBefore = options.notBefore ?? new Date(Date.now() - 3_600_000);
  const names = options.names ?? NAMES;
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: options.serial ?? `01${randomBytes(8).toString('hex')}`,
    subject: `CN=${names[0]}`, issuer: ca.subject, publicKey: keys.publicKey as never, signingKey: caKeys.privateKey as never, signingAlgorithm: EC,
    notBefore, notAfter: new Date(notBefore.getTime() + 90 * DAY),
    extensions: [new x509.SubjectAlternativeNameExtension(names.map((value) => ({ type: 'dns' as const, value })))],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  const privateKeyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
  const chain = [pem(leaf), pem(ca)];
  return {
    certificatePem: chain[0]!,
    chainPem: chain[1]!,
    privateKeyPem,
    metadata: describeCertificate(chain[0]!, 'ec-p256'),
    files: buildKeystoreFiles({ chain, privateKeyPem, password: PASSWORD, options: { alias: 'broker', profile: 'legacy' }, created: notBefore }),
  };
}

export async function issueBundle(certificateId: string, version: string, options: IssueOptions = {}): Promise<CertificateBundle> {
  const material = await issueMaterial(options);
  return toBundle(certificateId, version, material.metadata, materialFiles(material));
}

/** Store a version in a file store, as PackageAndStore does. */
export async function storeVersion(store: FileCertificateStore, certificateId: string, options: IssueOptions = {}) {
  const material = await issueMaterial(options);
  const { pending } = await store.pendingKey(certificateId, `order-${randomBytes(4).toString('hex')}`, async () => material.privateKeyPem);
  return store.promote(pending, material);
}

/** CertificateSource over bundles in memory; the last one added is current. */
export class MemorySource implements CertificateSource {
  readonly bundles: CertificateBundle[] = [];
  readonly calls: string[] = [];

  add(bundle: CertificateBundle): CertificateBundle {
    this.bundles.push(bundle);
    return bundle;
  }

  async version(certificateId: string, version: string): Promise<CertificateBundle> {
    this.calls.push(`version ${certificateId} ${version}`);
    const found = this.bundles.find((bundle) => bundle.certificateId === certificateId && bundle.version === version);
    if (!found) throw new VersionNotFound(`no version ${version}`);
    return found;
  }

  async current(certificateId: string): Promise<CertificateBundle | undefined> {
    this.calls.push(`current ${certificateId}`);
    return this.bundles.filter((bundle) => bundle.certificateId === certificateId).at(-1);
  }

  async isCurrent(certificateId: string, version: string): Promise<boolean> {
    this.calls.push(`isCurrent ${certificateId} ${version}`);
    return this.bundles.filter((bundle) => bundle.certificateId === certificateId).at(-1)?.version === version;
  }

  /** A store rollback: `version` becomes the last one added, i.e. current again. */
  rollBackTo(certificateId: string, version: string): CertificateBundle {
    const index = this.bundles.findIndex((bundle) => bundle.certificateId === certificateId && bundle.version === version);
    const [bundle] = this.bundles.splice(index, 1);
    this.bundles.push(bundle!);
    return bundle!;
  }
}

/** Reload action that records what it was asked to load and fails for chosen versions. */
export class RecordingReload implements ReloadAction {
  readonly description = 'recording reload';
  readonly loaded: ReloadContext[] = [];
  readonly failFor = new Set<string>();

  async reload(context: ReloadContext): Promise<void> {
    this.loaded.push(context);
    if (this.failFor.has(context.version)) throw new ReloadFailed(`service refused version ${context.version}`);
  }

  versions(): string[] {
    return this.loaded.map((context) => context.version);
  }
}

export class RecordingReporter implements HostReporter {
  /** "Certificate Reload Failed" details. */
  readonly reports: CertificateReloadFailedEvent[] = [];
  /** "Certificate Installed" details. */
  readonly installs: CertificateInstalledEvent[] = [];

  async installed(event: CertificateInstalledEvent): Promise<void> {
    this.installs.push(event);
  }

  async failed(event: CertificateReloadFailedEvent): Promise<void> {
    this.reports.push(event);
  }
}

export function recordingLog(): Logger & { lines: { level: string; message: string; fields: Record<string, unknown> }[] } {
  const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const at = (level: string) => (message: string, fields: Record<string, unknown> = {}) => void lines.push({ level, message, fields });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

export function renewedEnvelope(bundle: CertificateBundle, overrides: Record<string, unknown> = {}) {
  const { metadata } = bundle;
  return {
    version: '0',
    id: randomBytes(8).toString('hex'),
    source: 'certflow',
    'detail-type': 'Certificate Renewed',
    time: new Date().toISOString(),
    detail: {
      certificateId: bundle.certificateId,
      version: bundle.version,
      location: `arn:aws:secretsmanager:eu-west-1:111122223333:secret:certflow/certificates/${bundle.certificateId}-AbCdEf`,
      names: metadata.names,
      serialNumber: metadata.serialNumber,
      notBefore: metadata.notBefore,
      notAfter: metadata.notAfter,
      fingerprintSha256: metadata.fingerprintSha256,
      keyType: metadata.keyType,
      formats: bundle.formats,
      executionId: 'exec-1',
      ...overrides,
    },
  };
}

/** "Certificate Rolled Back" to `bundle` (now current again) from `previousVersion`. */
export function rolledBackEnvelope(bundle: CertificateBundle, previousVersion: string, overrides: Record<string, unknown> = {}) {
  const { serialNumber, notBefore, notAfter, fingerprintSha256 } = bundle.metadata;
  return {
    version: '0',
    id: randomBytes(8).toString('hex'),
    source: 'certflow',
    'detail-type': 'Certificate Rolled Back',
    time: new Date().toISOString(),
    detail: { certificateId: bundle.certificateId, version: bundle.version, previousVersion, serialNumber, notBefore, notAfter, fingerprintSha256, ...overrides },
  };
}

export async function tempDir(prefix: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `certflow-${prefix}-`));
}
