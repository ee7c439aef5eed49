/**
 * The embedded default's private issuer: a CA whose root key stays in `<CERTFLOW_HOME>/private-ca/`
 * (0600, the folder 0700), behind the same port as AWS Private CA and with its rules: the template
 * of the declared usages gives the EKU, the lifetime is the request's, and in SHORT_LIVED_CERTIFICATE
 * mode (the default, as on AWS) more than 7 days is refused. It issues at once; the state machine's
 * poll still runs (one GetCertificate-like read).
 *
 * The root is made once, atomically (a folder written aside and renamed into place), so concurrent
 * processes agree on one root; every later run reuses it, so hosts keep trusting the same anchor.
 */
import { randomBytes, webcrypto } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Pkcs10CertificateRequest } from '@peculiar/x509';
import { PrivateCaRejected } from '../../core/errors';
import { splitPemChain } from '../../core/certificate';
import { isErrno } from '../../core/errors';
import { lifetimeProblem, templateFor, END_ENTITY_TEMPLATES, type PrivateCaMode } from '../../core/private-ca';
import type { PrivateIssuedChain, PrivateIssuer, PrivateIssueRequest } from '../../ports';
import { peculiarX509 } from './x509';

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const ROOT_YEARS = 10;
const DAY_MS = 86_400_000;
/** The reference's shape: the idempotency token (hex), which also names the issued file. */
const REF = /^[0-9a-f]{1,64}$/;
const DEFAULT_ROOT = 'root';
const DEFAULT_SUBJECT = 'CN=certflow local private CA, O=certflow';
/** `root`, or a rotation's `roots/<date>-<hex>`. */
const ROOT_FOLDER = /^(root|roots\/[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9a-f]{6})$/;

/** The EKUs each template gives, as AWS Private CA's templates define them (RFC 5280 §4.2.1.12 OIDs). */
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const TEMPLATE_EKUS: Readonly<Record<string, string[]>> = {
  [END_ENTITY_TEMPLATES.clientAuth]: [CLIENT_AUTH],
  [END_ENTITY_TEMPLATES.serverAuth]: [SERVER_AUTH],
  [END_ENTITY_TEMPLATES.both]: [SERVER_AUTH, CLIENT_AUTH],
};

/** The local private CA's name where AWS has the CA's ARN (its anchors are `trustAnchors[LOCAL_PRIVATE_CA]`, its rotation record is filed under it). */
export const LOCAL_PRIVATE_CA = 'certflow:local-private-ca';

export interface LocalPrivateCaOptions {
  /** Default SHORT_LIVED_CERTIFICATE, as the config's default. */
  readonly mode?: PrivateCaMode;
  /**
   * The root that issues: a folder under the CA's directory, `root` (the default, made on first use)
   * or one `createRoot` made for a rotation (`roots/<name>`, ADR 0013).
   */
  readonly root?: string;
  readonly now?: () => Date;
}

function pem(label: string, der: ArrayBuffer): string {
  return `-----BEGIN ${label}-----\n${Buffer.from(der).toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;
}

function pemBody(text: string): Buffer {
  return Buffer.from(text.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

export class LocalPrivateCa implements PrivateIssuer {
  private constructor(
    private readonly dir: string,
    /** The folder of the issuing root, relative to the CA's directory (a rotation record's `authority`). */
    readonly authority: string,
    /** The root certificate (PEM): the trust anchor of everything this CA issues. */
    readonly rootPem: string,
    private readonly rootKey: webcrypto.CryptoKey,
    private readonly mode: PrivateCaMode,
    private readonly now: () => Date,
  ) {}

  /** The CA in `dir` (`<CERTFLOW_HOME>/private-ca`), its root made on first use. */
  static async open(dir: string, options: LocalPrivateCaOptions = {}): Promise<LocalPrivateCa> {
    const now = options.now ?? (() => new Date());
    const authority = options.root ?? DEFAULT_ROOT;
    if (!ROOT_FOLDER.test(authority)) throw new PrivateCaRejected(`local private CA: '${authority}' is not a root folder`);
    const rootDir = path.join(dir, authority);
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    if (!(await exists(path.join(rootDir, 'root.pem')))) {
      if (authority !== DEFAULT_ROOT) throw new PrivateCaRejected(`local private CA: no root in ${rootDir}`);
      await makeRoot(dir, rootDir, now(), DEFAULT_SUBJECT);
    }
    const rootPem = await fs.readFile(path.join(rootDir, 'root.pem'), 'utf8');
    const keyPem = await fs.readFile(path.join(rootDir, 'root-key.pem'), 'utf8');
    const rootKey = await webcrypto.subtle.importKey('pkcs8', pemBody(keyPem), ALGORITHM, false, ['sign']);
    await fs.mkdir(path.join(dir, 'issued'), { recursive: true, mode: 0o700 });
    return new LocalPrivateCa(dir, authority, rootPem, rootKey, options.mode ?? 'SHORT_LIVED_CERTIFICATE', now);
  }

  async issue(request: PrivateIssueRequest): Promise<string> {
    const { certificateAuthority, ...rest } = request;
    if (certificateAuthority !== undefined && certificateAuthority !== this.authority) return (await this.sibling(certificateAuthority)).issue(rest);
    const { csrPem, usages, lifetimeDays, idempotencyToken } = rest;
    const ref = idempotencyToken.toLowerCase();
    if (!REF.test(ref)) throw new PrivateCaRejected(`idempotency token '${idempotencyToken}' is not hex`);
    const file = this.issuedFile(ref);
    if (await exists(file)) return ref; // the same token: the first call's certificate
    const problem = lifetimeProblem(lifetimeDays, this.mode);
    if (problem) throw new PrivateCaRejected(`local private CA: ${problem}`);
    const x509 = await peculiarX509();
    const root = new x509.X509Certificate(this.rootPem);
    let csr: Pkcs10CertificateRequest;
    try {
      csr = new x509.Pkcs10CertificateRequest(csrPem);
    } catch (error) {
      throw new PrivateCaRejected(`local private CA: the CSR does not parse (${(error as Error).message})`);
    }
    if (!(await csr.verify())) throw new PrivateCaRejected('local private CA: the CSR signature does not verify');
    // The SAN as the CSR asks it (AWS Private CA's end-entity templates pass it through).
    const san = csr.extensions.find((extension) => extension instanceof x509.SubjectAlternativeNameExtension);
    const now = this.now();
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: serialNumber(),
      subject: csr.subject,
      issuer: root.subject,
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + lifetimeDays * DAY_MS),
      publicKey: csr.publicKey,
      signingKey: this.rootKey,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension(TEMPLATE_EKUS[templateFor(usages)]!),
        ...(san ? [san] : []),
        await x509.SubjectKeyIdentifierExtension.create(csr.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(root),
      ],
    });
    const temporary = `${file}.tmp-${randomBytes(4).toString('hex')}`;
    // The leaf with its root: fetch answers with the root that issued it, whichever issues now.
    await fs.writeFile(temporary, certificate.toString('pem') + '\n' + this.rootPem);
    await fs.rename(temporary, file);
    return ref;
  }

  async fetch(certificateRef: string): Promise<PrivateIssuedChain | undefined> {
    if (!REF.test(certificateRef)) throw new PrivateCaRejected(`local private CA: no certificate '${certificateRef}'`);
    try {
      const chain = splitPemChain(await fs.readFile(this.issuedFile(certificateRef), 'utf8'));
      return { chain: chain.length > 1 ? chain : [...chain, this.rootPem] };
    } catch (error) {
      if (isErrno(error, 'ENOENT')) throw new PrivateCaRejected(`local private CA: no certificate '${certificateRef}'`);
      throw error;
    }
  }

  /**
   * A new root for a rotation, beside the others in `roots/<name>` (its key 0600): it issues only
   * once a rotation record names it. Returns its folder (the record's `authority`) and certificate.
   */
  static async createRoot(dir: string, now = new Date()): Promise<{ authority: string; pem: string }> {
    const name = `${now.toISOString().slice(0, 10)}-${randomBytes(3).toString('hex')}`;
    const authority = `roots/${name}`;
    await fs.mkdir(path.join(dir, 'roots'), { recursive: true, mode: 0o700 });
    await makeRoot(dir, path.join(dir, authority), now, `CN=certflow local private CA ${name}, O=certflow`);
    return { authority, pem: await fs.readFile(path.join(dir, authority, 'root.pem'), 'utf8') };
  }

  private readonly siblings = new Map<string, Promise<LocalPrivateCa>>();

  /** Another root of the same CA folder (a rotation's phase names it), opened once. */
  private sibling(authority: string): Promise<LocalPrivateCa> {
    let opened = this.siblings.get(authority);
    if (!opened) {
      opened = LocalPrivateCa.open(this.dir, { root: authority, mode: this.mode, now: this.now });
      this.siblings.set(authority, opened);
    }
    return opened;
  }

  private issuedFile(ref: string): string {
    return path.join(this.dir, 'issued', `${ref}.pem`);
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

/** 16 random bytes, positive (RFC 5280 §4.1.2.2). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0]! &= 0x7f;
  return bytes.toString('hex');
}

/** A root key (0600) and its self-signed certificate, written aside and renamed into place: the first process's root wins. */
async function makeRoot(dir: string, rootDir: string, now: Date, subject: string): Promise<void> {
  const x509 = await peculiarX509();
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: subject,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + ROOT_YEARS * 365 * DAY_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const aside = await fs.mkdtemp(path.join(dir, 'root.tmp-'));
  try {
    await fs.writeFile(path.join(aside, 'root-key.pem'), pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)), { mode: 0o600 });
    await fs.writeFile(path.join(aside, 'root.pem'), root.toString('pem') + '\n');
    await fs.rename(aside, rootDir);
  } catch (error) {
    await fs.rm(aside, { recursive: true, force: true });
    // Another process made the root first: use theirs.
    if (!isErrno(error, 'EEXIST', 'ENOTEMPTY')) throw error;
  }
}
