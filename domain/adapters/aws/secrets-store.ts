/**
 * Certificate store on AWS Secrets Manager, encrypted with the stack's customer-managed KMS key.
 *
 *   <prefix>certificates/<id>   one secret per certificate, one version per issuance, and only
 *                               complete bundles (domain/core/bundle.ts: PEMs, keystores base64,
 *                               password, metadata). promote writes the bundle as AWSCURRENT; the
 *                               previous current becomes AWSPREVIOUS. Rollback = move AWSCURRENT back.
 *   <prefix>pending/<id>        the private keys of orders in flight, one version per order (read by
 *                               VersionId, latest labelled AWSPENDING). Its first version, the one
 *                               Secrets Manager makes AWSCURRENT, is a marker: no key is ever current.
 *   <prefix>accounts/<hash>     the ACME account key (+ URL once registered), per directory URL.
 *   <prefix>leases/<id>         the renewal lease: which execution renews the certificate, until when
 *                               (its AWSCURRENT version; see acquireLease). No private material.
 *
 * A revoked version is marked by a tag on its certificate secret, `certflow:revoked:<VersionId>` =
 * `<reason> <revokedAt>` (tags are per secret, so the version is in the key): the bundle is never
 * rewritten, and reading the mark needs no secret value. Tag keys count against the 50 tags a
 * secret may have: about 40 revocations of one certificate.
 *
 * Keys live apart because the first version of a secret becomes AWSCURRENT whatever stages are
 * named (docs/adr/0004-secrets-manager-versions.md). Version ids are derived from the order URL,
 * so a retried step writes the same version again (a repeated ClientRequestToken is the same request).
 *
 * Minimal IAM (see infra/iam.ts): on `<prefix>certificates/*` CreateSecret (name condition),
 * GetSecretValue, PutSecretValue, DescribeSecret, UpdateSecretVersionStage, TagResource; on
 * `<prefix>pending/*` CreateSecret (name condition), TagResource, GetSecretValue, PutSecretValue,
 * and DescribeSecret, UpdateSecretVersionStage to discard; kms:Encrypt/Decrypt/GenerateDataKey on
 * the key via secretsmanager only. CreateSecret's Tags are authorized as TagResource: where no
 * other statement allows it, only for the CREATION_TAG keys with managed-by=certflow.
 */
import { createHash } from 'node:crypto';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  TagResourceCommand,
  UpdateSecretVersionStageCommand,
  type SecretsManagerClient,
  type Tag,
} from '@aws-sdk/client-secrets-manager';
import type { z } from 'zod';
import { CertificateBundleSchema } from '../../contracts/bundle';
import { RevocationMarkSchema } from '../../contracts/revocation';
import { parseContract } from '../../contracts/parse';
import {
  AriRecordSchema,
  AccountDocumentSchema,
  LeaseDocumentSchema,
  PendingKeyDocumentSchema,
  type AccountDocument,
  type LeaseDocument,
  type PendingKeyDocument,
  type PendingKeysMarker,
} from '../../contracts/store-documents';
import { materialFiles, toBundle, type CertificateBundle } from '../../core/bundle';
import { FILE, passwordOf } from '../../keystores/formats';
import { RenewalInProgress, StoreInconsistent, StoreRejected, StoreUnavailable } from '../../core/errors';
import { namesHash } from '../../core/scan-plan';
import { leaseOf, leaseRecord, leaseVerdict, nextLease } from '../../core/lease';
import type { CertificateMetadata } from '../../core/certificate';
import type { AriRecord } from '../../core/ari-checks';
import type { CertificateMaterial, CertificateStore, IssuedCertificate, LeaseOptions, PendingKey, RenewalFailureRecord, RenewalLease, RevocationMark, StoredAccount, StoredCertificateState, StoredVersion } from '../../ports';
import { awsErrorName, isThrottled } from './throttling';

const SECRET_VALUE_LIMIT_BYTES = 65_536;
/** Besides throttling: Secrets Manager's own failure, and a request that timed out. */
const TRANSIENT = new Set(['InternalServiceError', 'RequestTimeout']);

export interface SecretsStoreOptions {
  /** Name prefix of every secret the pipeline owns, e.g. `certflow/`. */
  readonly prefix: string;
  readonly kmsKeyId: string;
}

/**
 * A stored JSON document (domain/contracts/store-documents.ts), parsed, not cast. They hold
 * private keys: messages name the field, never quote the value.
 */
function parseDocument<S extends z.ZodType>(schema: S, text: string, fail: (why: string) => Error): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw fail('it is not JSON');
  }
  return parseContract(schema, json, fail, { name: 'the document', showValues: false });
}

const hash = (text: string) => createHash('sha256').update(text).digest('hex');

/** Inventory tags: what the scheduled scan reads with ListSecrets instead of every value. */
export const TAG = {
  serial: 'certflow:serial',
  notBefore: 'certflow:not-before',
  notAfter: 'certflow:not-after',
  keyType: 'certflow:key-type',
  version: 'certflow:version',
  names: 'certflow:names',
  namesHash: 'certflow:names-sha256',
  lastFailure: 'certflow:last-failure',
  ariCertId: 'certflow:ari-cert-id',
  /** The CA's last renewalInfo answer: `<certID> <start> <end> <checkedAt> <nextCheckAt>[ <explanationURL>]` (ariTag). */
  ari: 'certflow:ari',
  /** The ACME profile the version was issued under ('' = the CA named none). */
  profile: 'certflow:profile',
  /** The leaf's extended key usages, comma-separated (`certflow list --aws` shows them). */
  usages: 'certflow:usages',
  /** Private issuer: the root the leaf chains to (a root rotation's AdvanceRotation reads it, ADR 0013). */
  anchor: 'certflow:anchor-sha256',
  /** Private issuer: the roots the truststores hold, comma-separated. */
  trustAnchors: 'certflow:trust-anchors-sha256',
  /** `certflow:revoked:<VersionId>`: that version's revocation mark. */
  revokedPrefix: 'certflow:revoked:',
} as const;
const TAG_VALUE_LIMIT = 256;

/**
 * The tags a secret is created with. CreateSecret with Tags is also authorized as TagResource, so
 * infra/iam.ts allows TagResource on creation for exactly these keys, with `managed-by=certflow`.
 */
export const CREATION_TAG = {
  managedBy: { Key: 'managed-by', Value: 'certflow' },
  certificateId: 'certflow:certificate-id',
  acmeDirectory: 'certflow:acme-directory',
} as const;


/**
 * Every inventory key, always: TagResource only adds and overwrites, so an optional value this
 * version lacks is written empty ("absent") rather than left over from another version.
 */
function inventoryTags(metadata: CertificateMetadata, version: string): Tag[] {
  const names = metadata.names.join(',');
  const ariCertId = metadata.ariCertId ?? '';
  const usages = metadata.usages?.join(',') ?? '';
  const trustAnchors = metadata.trustAnchorsSha256?.join(',') ?? '';
  return [
    { Key: TAG.serial, Value: metadata.serialNumber },
    { Key: TAG.notBefore, Value: metadata.notBefore },
    { Key: TAG.notAfter, Value: metadata.notAfter },
    { Key: TAG.keyType, Value: metadata.keyType },
    { Key: TAG.version, Value: version },
    { Key: TAG.namesHash, Value: namesHash(metadata.names) },
    // Tag values hold 256 characters: longer name lists are known by their hash only.
    { Key: TAG.names, Value: names.length <= TAG_VALUE_LIMIT ? names : '' },
    { Key: TAG.ariCertId, Value: ariCertId.length <= TAG_VALUE_LIMIT ? ariCertId : '' },
    { Key: TAG.profile, Value: metadata.profile ?? '' },
    { Key: TAG.usages, Value: usages.length <= TAG_VALUE_LIMIT ? usages : '' },
    { Key: TAG.anchor, Value: metadata.anchorSha256 ?? '' },
    // Three roots at most fit (65 characters each): a rotation never has more than two.
    { Key: TAG.trustAnchors, Value: trustAnchors.length <= TAG_VALUE_LIMIT ? trustAnchors : '' },
  ];
}

function stateFromTags(certificateId: string, tags: readonly Tag[]): StoredCertificateState {
  const tag = (key: string) => tags.find((candidate) => candidate.Key === key)?.Value || undefined; // '' = absent
  const failure = tag(TAG.lastFailure)?.split(' ');
  const lastFailure = failure && failure.length >= 3 ? { lastFailure: { at: failure[0]!, step: failure[1]!, error: failure.slice(2).join(' ') } } : {};
  const [serialNumber, notBefore, notAfter, keyType, version] = [tag(TAG.serial), tag(TAG.notBefore), tag(TAG.notAfter), tag(TAG.keyType), tag(TAG.version)];
  if (!serialNumber || !notAfter || !version) return { certificateId, ...lastFailure }; // never completed
  if (!notBefore || !keyType) return { certificateId, unreadable: 'inventory tags incomplete', ...lastFailure };
  const metadata: CertificateMetadata = {
    names: tag(TAG.names)?.split(',') ?? [],
    serialNumber,
    notBefore,
    notAfter,
    fingerprintSha256: '',
    keyType: keyType as CertificateMetadata['keyType'],
    issuer: '',
    ...(tag(TAG.ariCertId) ? { ariCertId: tag(TAG.ariCertId) } : {}),
    ...(tag(TAG.profile) ? { profile: tag(TAG.profile) } : {}),
    ...(tag(TAG.usages) ? { usages: tag(TAG.usages)!.split(',') } : {}),
    ...(tag(TAG.anchor) ? { anchorSha256: tag(TAG.anchor) } : {}),
    ...(tag(TAG.trustAnchors) ? { trustAnchorsSha256: tag(TAG.trustAnchors)!.split(',') } : {}),
  };
  // A malformed mark does not hide the certificate from the scan: certflow status reports it.
  const revoked = revocationMark(tags, version);
  const ari = ariFromTag(tag(TAG.ari));
  return {
    certificateId,
    current: { version, metadata },
    namesSha256: tag(TAG.namesHash),
    ...lastFailure,
    ...(revoked?.success ? { currentRevoked: revoked.data } : {}),
    ...(ari ? { ari } : {}),
  };
}

/** Characters a tag value may hold (Secrets Manager's Tag.Value): an explanation URL with others is left out. */
const TAG_VALUE_CHARACTERS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** The `certflow:ari` value: ISO timestamps and a base64url CertID fit in well under 256 characters. */
function ariTag(record: AriRecord): string {
  const value = [record.certId, record.start, record.end, record.checkedAt, record.nextCheckAt].join(' ');
  const url = record.explanationUrl;
  const withUrl = url && !/\s/.test(url) && TAG_VALUE_CHARACTERS.test(url) ? `${value} ${url}` : value;
  return withUrl.length <= TAG_VALUE_LIMIT ? withUrl : value;
}

/** The tag back as a record; undefined when absent or malformed (the scan then asks the CA). */
function ariFromTag(value: string | undefined): AriRecord | undefined {
  if (!value) return undefined;
  const [certId, start, end, checkedAt, nextCheckAt, explanationUrl] = value.split(' ');
  const parsed = AriRecordSchema.safeParse({ certId, start, end, checkedAt, nextCheckAt, ...(explanationUrl ? { explanationUrl } : {}) });
  return parsed.success ? parsed.data : undefined;
}

/** The mark `certflow:revoked:<version>` = `<reason> <revokedAt>`, parsed; undefined when the version has none. */
function revocationMark(tags: readonly Tag[], version: string) {
  const value = tags.find((tag) => tag.Key === `${TAG.revokedPrefix}${version}`)?.Value;
  if (!value) return undefined;
  const [reason, revokedAt] = value.split(' ');
  return RevocationMarkSchema.safeParse({ reason, revokedAt });
}

/** A Secrets Manager ClientRequestToken (UUID-shaped) derived from `seed`. */
export function versionToken(seed: string): string {
  const h = hash(seed);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

const isNotFound = (error: unknown) => awsErrorName(error) === 'ResourceNotFoundException';
const isExisting = (error: unknown) => awsErrorName(error) === 'ResourceExistsException';

async function sm<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isNotFound(error) || isExisting(error)) throw error; // callers decide
    const message = `Secrets Manager ${what}: ${(error as Error).message}`;
    if (isThrottled(error) || TRANSIENT.has(awsErrorName(error))) throw new StoreUnavailable(message);
    throw new StoreRejected(message, { cause: error });
  }
}

export class SecretsManagerCertificateStore implements CertificateStore {
  constructor(
    private readonly client: SecretsManagerClient,
    private readonly options: SecretsStoreOptions,
  ) {}

  certificateSecret(certificateId: string): string {
    return `${this.options.prefix}certificates/${certificateId}`;
  }

  private pendingSecret(certificateId: string): string {
    return `${this.options.prefix}pending/${certificateId}`;
  }

  private leaseSecret(certificateId: string): string {
    return `${this.options.prefix}leases/${certificateId}`;
  }

  private accountSecret(directoryUrl: string): string {
    return `${this.options.prefix}accounts/${hash(directoryUrl).slice(0, 16)}`;
  }

  private async getString(secretId: string, selector: { VersionId: string } | { VersionStage: string }) {
    const response = await sm('GetSecretValue', () => this.client.send(new GetSecretValueCommand({ SecretId: secretId, ...selector })));
    return { value: response.SecretString ?? '', versionId: response.VersionId ?? '', arn: response.ARN ?? secretId };
  }

  private async createSecret(name: string, tags: Tag[], secretString?: string): Promise<void> {
    try {
      await sm('CreateSecret', () =>
        this.client.send(
          new CreateSecretCommand({
            Name: name,
            KmsKeyId: this.options.kmsKeyId,
            Description: 'Managed by certflow',
            Tags: [CREATION_TAG.managedBy, ...tags],
            ...(secretString === undefined ? {} : { SecretString: secretString }),
          }),
        ),
      );
    } catch (error) {
      if (!isExisting(error)) throw error; // another execution created it first
    }
  }

  private async readAccount(name: string): Promise<AccountDocument> {
    const { value } = await this.getString(name, { VersionStage: 'AWSCURRENT' });
    return parseDocument(AccountDocumentSchema, value, (why) => new StoreInconsistent(`${name} is not an ACME account document: ${why}`));
  }

  async account(directoryUrl: string, generate: () => Promise<string>): Promise<StoredAccount> {
    const name = this.accountSecret(directoryUrl);
    try {
      const { keyPem, url } = await this.readAccount(name);
      return url ? { keyPem, url } : { keyPem };
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    const document: AccountDocument = { directoryUrl, keyPem: await generate() };
    await this.createSecret(name, [{ Key: CREATION_TAG.acmeDirectory, Value: directoryUrl.slice(0, 256) }], JSON.stringify(document));
    // Whoever won the race, the stored key is the one.
    const { keyPem } = await this.readAccount(name);
    return { keyPem };
  }

  async saveAccountUrl(directoryUrl: string, accountUrl: string): Promise<void> {
    const name = this.accountSecret(directoryUrl);
    const current = await this.readAccount(name);
    const document: AccountDocument = { ...current, url: accountUrl };
    await sm('PutSecretValue', () =>
      this.client.send(new PutSecretValueCommand({ SecretId: name, ClientRequestToken: versionToken(`account:${accountUrl}`), SecretString: JSON.stringify(document) })),
    );
  }

  pendingFor(certificateId: string, orderUrl: string): PendingKey {
    return { certificateId, pendingId: versionToken(`pending:${orderUrl}`) };
  }

  async pendingKey(certificateId: string, orderUrl: string, generate: () => Promise<string>) {
    const pending = this.pendingFor(certificateId, orderUrl);
    const existing = await this.findPendingKey(pending);
    if (existing !== undefined) return { pending, privateKeyPem: existing };

    const name = this.pendingSecret(certificateId);
    const document: PendingKeyDocument = { kind: 'pending-key', certificateId, privateKeyPem: await generate() };
    const put = () => this.putVersion(name, pending.pendingId, JSON.stringify(document), ['AWSPENDING']);
    await put().catch(async (error: unknown) => {
      if (!isNotFound(error)) throw error;
      const tags = [{ Key: CREATION_TAG.certificateId, Value: certificateId }];
      const marker: PendingKeysMarker = { kind: 'pending-keys', certificateId };
      await this.createSecret(name, tags, JSON.stringify(marker));
      // The certificate secret, empty until promote, so a failed first issuance can be recorded.
      await this.createSecret(this.certificateSecret(certificateId), tags);
      return put();
    });
    // Whoever won a race for this order, the stored key is the one.
    return { pending, privateKeyPem: await this.readPendingKey(pending) };
  }

  /** The lease document and its version; undefined when no execution ever took the lease. */
  private async currentLease(certificateId: string): Promise<{ document: LeaseDocument; versionId: string } | undefined> {
    const name = this.leaseSecret(certificateId);
    let found: { value: string; versionId: string };
    try {
      found = await this.getString(name, { VersionStage: 'AWSCURRENT' });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    const document = parseDocument(LeaseDocumentSchema, found.value, (why) => new StoreInconsistent(`${name} is not a renewal lease: ${why}`));
    return { document, versionId: found.versionId };
  }

  /**
   * Compare and swap: the new document is written with a ClientRequestToken derived from the version
   * it replaces, so of two executions replacing the same version exactly one write goes through (the
   * other's, other data under the same token, is ResourceExists). It becomes AWSCURRENT
   * (PutSecretValue's default). False when another write came first.
   */
  private async replaceLease(certificateId: string, after: string, document: LeaseDocument): Promise<boolean> {
    try {
      await sm('PutSecretValue', () =>
        this.client.send(
          new PutSecretValueCommand({ SecretId: this.leaseSecret(certificateId), ClientRequestToken: versionToken(`lease-after:${after}`), SecretString: JSON.stringify(document) }),
        ),
      );
      return true;
    } catch (error) {
      if (isExisting(error)) return false;
      throw error;
    }
  }

  async acquireLease(lease: RenewalLease, now: Date, options: LeaseOptions = {}): Promise<RenewalLease | undefined> {
    const { certificateId, holder } = lease;
    const documentOf = (next: RenewalLease): LeaseDocument => ({ kind: 'renewal-lease', certificateId, lease: leaseRecord(next) });
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const current = await this.currentLease(certificateId);
      if (current === undefined) {
        // Of racing creators one wins; read back who holds it.
        await this.createSecret(this.leaseSecret(certificateId), [{ Key: CREATION_TAG.certificateId, Value: certificateId }], JSON.stringify(documentOf(nextLease(undefined, lease, 'free'))));
        continue;
      }
      const held = current.document.lease && leaseOf(certificateId, current.document.lease);
      const verdict = leaseVerdict(held, holder, now, options.takeOverFrom);
      if (verdict === 'held') throw new RenewalInProgress(`${certificateId} is being renewed by ${held!.holder} (lease until ${held!.expiresAt.toISOString()})`, held!.holder);
      const next = nextLease(held, lease, verdict);
      // Nothing to write when the holder takes its own lease again unchanged (a retried step).
      if (verdict === 'mine' && JSON.stringify(current.document) === JSON.stringify(documentOf(next))) return undefined;
      if (await this.replaceLease(certificateId, current.versionId, documentOf(next))) return verdict === 'expired' || verdict === 'gone' ? held : undefined;
    }
    throw new RenewalInProgress(`${certificateId}: the renewal lease changed hands while it was being taken`);
  }

  async releaseLease(certificateId: string, holder: string): Promise<void> {
    const current = await this.currentLease(certificateId);
    if (current?.document.lease?.holder !== holder) return;
    // A takeover in between (only once expired or gone) wins: then it was not ours to release any more.
    await this.replaceLease(certificateId, current.versionId, { kind: 'renewal-lease', certificateId });
  }

  async heldLease(certificateId: string): Promise<RenewalLease | undefined> {
    const record = (await this.currentLease(certificateId))?.document.lease;
    return record && leaseOf(certificateId, record);
  }

  async readPendingKey(pending: PendingKey): Promise<string> {
    const key = await this.findPendingKey(pending);
    if (key === undefined) throw new StoreInconsistent(`no pending key ${pending.pendingId} for ${pending.certificateId}`);
    return key;
  }

  private async findPendingKey({ certificateId, pendingId }: PendingKey): Promise<string | undefined> {
    let value: string;
    try {
      ({ value } = await this.getString(this.pendingSecret(certificateId), { VersionId: pendingId }));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    const notOurs = (why: string) => new StoreInconsistent(`version ${pendingId} of ${this.pendingSecret(certificateId)} is not a pending key of ${certificateId}: ${why}`);
    const document = parseDocument(PendingKeyDocumentSchema, value, notOurs);
    if (document.certificateId !== certificateId) throw notOurs(`it names ${document.certificateId}`);
    return document.privateKeyPem;
  }

  /** PutSecretValue; undefined when the version exists already with other data (versions are immutable). */
  private async putVersion(secretId: string, version: string, secretString: string, stages: string[]): Promise<{ arn: string; stages: string[] } | undefined> {
    try {
      const { ARN, VersionStages = [] } = await sm('PutSecretValue', () =>
        this.client.send(new PutSecretValueCommand({ SecretId: secretId, ClientRequestToken: version, SecretString: secretString, VersionStages: stages })),
      );
      return { arn: ARN ?? secretId, stages: VersionStages };
    } catch (error) {
      if (isExisting(error)) return undefined;
      throw error;
    }
  }

  private async describeSecret(secretId: string): Promise<{ arn: string; stages: Record<string, string[]>; tags: Tag[] }> {
    const { ARN, VersionIdsToStages = {}, Tags = [] } = await sm('DescribeSecret', () => this.client.send(new DescribeSecretCommand({ SecretId: secretId })));
    return { arn: ARN ?? secretId, stages: VersionIdsToStages, tags: Tags };
  }

  private static versionWith(stages: Record<string, string[]>, stage: string): string | undefined {
    return Object.entries(stages).find(([, labels]) => labels.includes(stage))?.[0];
  }

  private async moveStage(secretId: string, stage: string, to: string | undefined, from: string | undefined): Promise<void> {
    await sm('UpdateSecretVersionStage', () =>
      this.client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretId,
          VersionStage: stage,
          ...(to ? { MoveToVersionId: to } : {}),
          ...(from ? { RemoveFromVersionId: from } : {}),
        }),
      ),
    );
  }

  private async tagInventory(secretId: string, metadata: CertificateMetadata, version: string): Promise<void> {
    await sm('TagResource', () => this.client.send(new TagResourceCommand({ SecretId: secretId, Tags: inventoryTags(metadata, version) })));
  }

  /**
   * Write the bundle as AWSCURRENT: one call makes it current, and AWSPREVIOUS follows by itself.
   * Idempotent: a retry finds the version written (same data: a no-op; other data, e.g. keystores
   * packaged again: ResourceExists) and moves AWSCURRENT only if it is not there yet.
   */
  async promote(pending: PendingKey, material: CertificateMaterial): Promise<StoredVersion> {
    const { certificateId } = pending;
    const name = this.certificateSecret(certificateId);
    const version = versionToken(`issued:${pending.pendingId}`);
    const bundle = toBundle(certificateId, version, material.metadata, materialFiles(material));
    const secretString = JSON.stringify(bundle);
    const size = Buffer.byteLength(secretString);
    if (size > SECRET_VALUE_LIMIT_BYTES) {
      throw new StoreRejected(`certificate bundle is ${size} bytes, over Secrets Manager's ${SECRET_VALUE_LIMIT_BYTES}-byte limit (fewer names or formats)`);
    }

    const put = () => this.putVersion(name, version, secretString, ['AWSCURRENT']);
    const written = await put().catch(async (error: unknown) => {
      if (!isNotFound(error)) throw error;
      await this.createSecret(name, [{ Key: CREATION_TAG.certificateId, Value: certificateId }]);
      return put();
    });
    const arn = written?.stages.includes('AWSCURRENT') ? written.arn : await this.makeCurrent(name, version);
    await this.tagInventory(name, material.metadata, version);
    return { certificateId, version, location: arn, metadata: material.metadata, formats: bundle.formats };
  }

  private async makeCurrent(name: string, version: string): Promise<string> {
    const { arn, stages } = await this.describeSecret(name);
    if (!stages[version]) throw new StoreInconsistent(`version ${version} of ${name} is missing after it was written`);
    const current = SecretsManagerCertificateStore.versionWith(stages, 'AWSCURRENT');
    if (current !== version) await this.moveStage(name, 'AWSCURRENT', version, current);
    return arn;
  }

  async discardPending(pending: PendingKey): Promise<void> {
    const name = this.pendingSecret(pending.certificateId);
    try {
      const { stages } = await this.describeSecret(name);
      if (stages[pending.pendingId]?.includes('AWSPENDING')) await this.moveStage(name, 'AWSPENDING', undefined, pending.pendingId);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  /** The bundle at that version or stage; undefined when there is none or it is not a bundle of this certificate. */
  private async bundleAt(certificateId: string, selector: { VersionId: string } | { VersionStage: string }): Promise<{ bundle: CertificateBundle; arn: string } | undefined> {
    let found: { value: string; versionId: string; arn: string };
    try {
      found = await this.getString(this.certificateSecret(certificateId), selector);
    } catch (error) {
      if (isNotFound(error)) return undefined; // no secret, or an empty one
      throw error;
    }
    let json: unknown;
    try {
      json = JSON.parse(found.value);
    } catch {
      return undefined;
    }
    // Not a bundle: e.g. the key-only document that certflow before issue #9 left as AWSCURRENT.
    const parsed = CertificateBundleSchema.safeParse(json);
    if (!parsed.success) return undefined;
    const bundle = parsed.data;
    if (bundle.certificateId !== certificateId || bundle.version !== found.versionId) return undefined;
    return { bundle, arn: found.arn };
  }

  async current(certificateId: string): Promise<StoredVersion | undefined> {
    const found = await this.bundleAt(certificateId, { VersionStage: 'AWSCURRENT' });
    if (!found) return undefined;
    const { bundle, arn } = found;
    return { certificateId, version: bundle.version, location: arn, metadata: bundle.metadata, formats: bundle.formats };
  }

  async currentKeystorePassword(certificateId: string): Promise<string | undefined> {
    const password = (await this.bundleAt(certificateId, { VersionStage: 'AWSCURRENT' }))?.bundle.files[FILE.password];
    return password === undefined ? undefined : passwordOf(Buffer.from(password, 'base64'));
  }

  /**
   * Make the previous certificate current again (AWSCURRENT ⇄ AWSPREVIOUS) and rewrite the
   * inventory tags from it. Only ever onto a bundle: otherwise nothing moves.
   */
  async rollback(certificateId: string): Promise<{ from: string; to: string }> {
    const name = this.certificateSecret(certificateId);
    const nothing = (why: string) => new StoreInconsistent(`${certificateId}: nothing to roll back to (${why})`);
    let stages: Record<string, string[]>;
    let tags: Tag[];
    try {
      ({ stages, tags } = await this.describeSecret(name));
    } catch (error) {
      if (isNotFound(error)) throw nothing('no certificate was ever stored');
      throw error;
    }
    const from = SecretsManagerCertificateStore.versionWith(stages, 'AWSCURRENT');
    const to = SecretsManagerCertificateStore.versionWith(stages, 'AWSPREVIOUS');
    if (!from || !to) throw nothing('no previous version');
    // Hosts would install it again: a revoked certificate (after a key compromise, its key too) never comes back.
    const revoked = SecretsManagerCertificateStore.revocationOf(tags, to);
    if (revoked) throw nothing(`the previous version ${to} is revoked (${revoked.reason}, ${revoked.revokedAt}); renew instead: certflow renew ${certificateId}`);
    const target = await this.bundleAt(certificateId, { VersionId: to });
    if (!target) throw nothing(`the previous version ${to} is not a certificate`);
    await this.moveStage(name, 'AWSCURRENT', to, from);
    await this.tagInventory(name, target.bundle.metadata, to);
    return { from, to };
  }

  /** The secret's tags (DescribeSecret: no value, no KMS); undefined when there is no secret. */
  private async tagsOf(secretId: string): Promise<Tag[] | undefined> {
    try {
      const { Tags = [] } = await sm('DescribeSecret', () => this.client.send(new DescribeSecretCommand({ SecretId: secretId })));
      return Tags;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  private static revocationOf(tags: readonly Tag[], version: string): RevocationMark | undefined {
    const parsed = revocationMark(tags, version);
    if (parsed && !parsed.success) throw new StoreInconsistent(`tag ${TAG.revokedPrefix}${version} is not a revocation mark ('<reason> <revokedAt>')`);
    return parsed?.data;
  }

  /**
   * The bundle of `version` (default AWSCURRENT), its leaf and metadata, and its mark from the tags.
   * The whole bundle is read (Secrets Manager has no partial reads); only the public parts leave.
   */
  async issuedCertificate(certificateId: string, version?: string): Promise<IssuedCertificate | undefined> {
    // A VersionId is 32–64 characters (certflow's are UUID-shaped): anything else names no version.
    if (version !== undefined && !/^[A-Za-z0-9-]{32,64}$/.test(version)) return undefined;
    const found = await this.bundleAt(certificateId, version ? { VersionId: version } : { VersionStage: 'AWSCURRENT' });
    if (!found) return undefined;
    const { bundle } = found;
    const leaf = bundle.files[FILE.certificate];
    if (leaf === undefined) throw new StoreInconsistent(`version ${bundle.version} of ${this.certificateSecret(certificateId)} holds no ${FILE.certificate}`);
    const revoked = SecretsManagerCertificateStore.revocationOf((await this.tagsOf(this.certificateSecret(certificateId))) ?? [], bundle.version);
    return {
      certificateId,
      version: bundle.version,
      certificatePem: Buffer.from(leaf, 'base64').toString('utf8'),
      metadata: bundle.metadata,
      ...(revoked ? { revoked } : {}),
    };
  }

  /** Tags the secret with the mark unless the version has one already (TagResource overwrites: read first). */
  async markRevoked(certificateId: string, version: string, mark: RevocationMark): Promise<RevocationMark> {
    const name = this.certificateSecret(certificateId);
    const tags = await this.tagsOf(name);
    if (tags === undefined) throw new StoreInconsistent(`${name}: no such secret, nothing to mark revoked`);
    const existing = SecretsManagerCertificateStore.revocationOf(tags, version);
    if (existing) return existing;
    await sm('TagResource', () =>
      this.client.send(new TagResourceCommand({ SecretId: name, Tags: [{ Key: `${TAG.revokedPrefix}${version}`, Value: `${mark.reason} ${mark.revokedAt}` }] })),
    );
    return mark;
  }

  async recordFailure(certificateId: string, failure: RenewalFailureRecord): Promise<void> {
    try {
      await sm('TagResource', () =>
        this.client.send(
          new TagResourceCommand({
            SecretId: this.certificateSecret(certificateId),
            Tags: [{ Key: TAG.lastFailure, Value: `${failure.at} ${failure.step} ${failure.error}`.slice(0, 256) }],
          }),
        ),
      );
    } catch (error) {
      if (!isNotFound(error)) throw error; // a first issuance that failed has no secret yet
    }
  }

  /** A tag like the failure's: no value written, no KMS (IAM: ariRecord, this tag key only). */
  async recordAri(certificateId: string, record: AriRecord): Promise<void> {
    try {
      await sm('TagResource', () => this.client.send(new TagResourceCommand({ SecretId: this.certificateSecret(certificateId), Tags: [{ Key: TAG.ari, Value: ariTag(record) }] })));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  /** From the inventory tag `certflow:version` (DescribeSecret): no secret value is read. */
  async currentVersion(certificateId: string): Promise<string | undefined> {
    try {
      const { Tags = [] } = await sm('DescribeSecret', () => this.client.send(new DescribeSecretCommand({ SecretId: this.certificateSecret(certificateId) })));
      return Tags.find((tag) => tag.Key === TAG.version)?.Value || undefined; // '' = never completed
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** From tags alone (ListSecrets, 100 per page): no secret value is read. */
  async inventory(): Promise<StoredCertificateState[]> {
    const prefix = this.certificateSecret('');
    const states: StoredCertificateState[] = [];
    let NextToken: string | undefined;
    do {
      const page = await sm('ListSecrets', () =>
        this.client.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [prefix] }], MaxResults: 100, ...(NextToken ? { NextToken } : {}) })),
      );
      for (const secret of page.SecretList ?? []) {
        if (!secret.Name?.startsWith(prefix)) continue;
        states.push(stateFromTags(secret.Name.slice(prefix.length), secret.Tags ?? []));
      }
      NextToken = page.NextToken;
    } while (NextToken);
    return states;
  }

  async readSecret(secretRef: string): Promise<string> {
    try {
      return (await this.getString(secretRef, { VersionStage: 'AWSCURRENT' })).value;
    } catch (error) {
      if (isNotFound(error)) throw new StoreInconsistent(`no secret '${secretRef}'`);
      throw error;
    }
  }
}

SecretsManagerCertificateStore satisfies new (client: SecretsManagerClient, options: SecretsStoreOptions) => CertificateStore;
