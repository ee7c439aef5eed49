/**
 * Certificate store on AWS Secrets Manager, encrypted with the stack's customer-managed KMS key.
 *
 *   <prefix>certificates/<id>   one secret per certificate; one secret version per issuance:
 *                               - the new key is written as a version labelled AWSPENDING;
 *                               - at store time the complete bundle (lambdas/core/bundle.ts:
 *                                 PEMs, keystores base64, password, metadata) is written as a new
 *                                 version and promoted to AWSCURRENT; the previous current
 *                                 becomes AWSPREVIOUS. Rollback = move AWSCURRENT back.
 *   <prefix>accounts/<hash>     the ACME account key (+ URL once registered), per directory URL.
 *
 * Version ids are derived from the order URL, so a retried step writes the same version again
 * (Secrets Manager treats a repeated ClientRequestToken as the same request).
 *
 * Minimal IAM (see infra/iam.ts): secretsmanager:CreateSecret (name condition on the prefix),
 * GetSecretValue, PutSecretValue, DescribeSecret, UpdateSecretVersionStage, TagResource on
 * `<prefix>*`; kms:Encrypt/Decrypt/GenerateDataKey on the key via secretsmanager only.
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
import { BUNDLE_SCHEMA, materialFiles, toBundle, type CertificateBundle } from '../../core/bundle';
import { StoreInconsistent, StoreRejected, StoreUnavailable } from '../../core/errors';
import { namesHash } from '../../core/scan-plan';
import type { CertificateMetadata } from '../../core/certificate';
import type { CertificateMaterial, CertificateStore, PendingKey, RenewalFailureRecord, StoredAccount, StoredCertificateState, StoredVersion } from '../../ports';

export const SECRET_VALUE_LIMIT_BYTES = 65_536;
const TRANSIENT = new Set(['ThrottlingException', 'InternalServiceError', 'TooManyRequestsException', 'RequestTimeout']);

export interface SecretsStoreOptions {
  /** Name prefix of every secret the pipeline owns, e.g. `certflow/`. */
  readonly prefix: string;
  readonly kmsKeyId: string;
}

interface PendingKeyDocument {
  readonly kind: 'pending-key';
  readonly certificateId: string;
  readonly privateKeyPem: string;
}

interface AccountDocument {
  readonly directoryUrl: string;
  readonly keyPem: string;
  readonly url?: string;
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
} as const;
const TAG_VALUE_LIMIT = 256;


function inventoryTags(metadata: CertificateMetadata, version: string): Tag[] {
  const names = metadata.names.join(',');
  return [
    { Key: TAG.serial, Value: metadata.serialNumber },
    { Key: TAG.notBefore, Value: metadata.notBefore },
    { Key: TAG.notAfter, Value: metadata.notAfter },
    { Key: TAG.keyType, Value: metadata.keyType },
    { Key: TAG.version, Value: version },
    { Key: TAG.namesHash, Value: namesHash(metadata.names) },
    // Tag values hold 256 characters: longer name lists are known by their hash only.
    ...(names.length <= TAG_VALUE_LIMIT ? [{ Key: TAG.names, Value: names }] : []),
    ...(metadata.ariCertId && metadata.ariCertId.length <= TAG_VALUE_LIMIT ? [{ Key: TAG.ariCertId, Value: metadata.ariCertId }] : []),
  ];
}

function stateFromTags(certificateId: string, tags: readonly Tag[]): StoredCertificateState {
  const tag = (key: string) => tags.find((candidate) => candidate.Key === key)?.Value;
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
  };
  return { certificateId, current: { version, metadata }, namesSha256: tag(TAG.namesHash), ...lastFailure };
}

/** A Secrets Manager ClientRequestToken (UUID-shaped) derived from `seed`. */
export function versionToken(seed: string): string {
  const h = hash(seed);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

const errorName = (error: unknown) => (error as { name?: string }).name ?? '';
const isNotFound = (error: unknown) => errorName(error) === 'ResourceNotFoundException';
const isExisting = (error: unknown) => errorName(error) === 'ResourceExistsException';

async function sm<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isNotFound(error) || isExisting(error)) throw error; // callers decide
    const message = `Secrets Manager ${what}: ${(error as Error).message}`;
    if (TRANSIENT.has(errorName(error))) throw new StoreUnavailable(message);
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
            Tags: [{ Key: 'managed-by', Value: 'certflow' }, ...tags],
            ...(secretString === undefined ? {} : { SecretString: secretString }),
          }),
        ),
      );
    } catch (error) {
      if (!isExisting(error)) throw error; // another execution created it first
    }
  }

  async account(directoryUrl: string, generate: () => Promise<string>): Promise<StoredAccount> {
    const name = this.accountSecret(directoryUrl);
    try {
      const { keyPem, url } = JSON.parse((await this.getString(name, { VersionStage: 'AWSCURRENT' })).value) as AccountDocument;
      return url ? { keyPem, url } : { keyPem };
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    const document: AccountDocument = { directoryUrl, keyPem: await generate() };
    await this.createSecret(name, [{ Key: 'certflow:acme-directory', Value: directoryUrl.slice(0, 256) }], JSON.stringify(document));
    // Whoever won the race, the stored key is the one.
    const { keyPem } = JSON.parse((await this.getString(name, { VersionStage: 'AWSCURRENT' })).value) as AccountDocument;
    return { keyPem };
  }

  async saveAccountUrl(directoryUrl: string, accountUrl: string): Promise<void> {
    const name = this.accountSecret(directoryUrl);
    const current = JSON.parse((await this.getString(name, { VersionStage: 'AWSCURRENT' })).value) as AccountDocument;
    const document: AccountDocument = { ...current, url: accountUrl };
    await sm('PutSecretValue', () =>
      this.client.send(new PutSecretValueCommand({ SecretId: name, ClientRequestToken: versionToken(`account:${accountUrl}`), SecretString: JSON.stringify(document) })),
    );
  }

  async pendingKey(certificateId: string, orderUrl: string, generate: () => Promise<string>) {
    const pending: PendingKey = { certificateId, pendingId: versionToken(`pending:${orderUrl}`) };
    const existing = await this.readPendingKey(pending).catch((error: unknown) => {
      if (error instanceof StoreInconsistent) return undefined;
      throw error;
    });
    if (existing) return { pending, privateKeyPem: existing };

    const name = this.certificateSecret(certificateId);
    const document: PendingKeyDocument = { kind: 'pending-key', certificateId, privateKeyPem: await generate() };
    const put = () =>
      sm('PutSecretValue', () =>
        this.client.send(
          new PutSecretValueCommand({ SecretId: name, ClientRequestToken: pending.pendingId, SecretString: JSON.stringify(document), VersionStages: ['AWSPENDING'] }),
        ),
      );
    try {
      await put();
    } catch (error) {
      if (isNotFound(error)) {
        await this.createSecret(name, [{ Key: 'certflow:certificate-id', Value: certificateId }]);
        await put();
      } else if (!isExisting(error)) throw error;
    }
    return { pending, privateKeyPem: await this.readPendingKey(pending) };
  }

  async readPendingKey(pending: PendingKey): Promise<string> {
    try {
      const { value } = await this.getString(this.certificateSecret(pending.certificateId), { VersionId: pending.pendingId });
      return (JSON.parse(value) as PendingKeyDocument).privateKeyPem;
    } catch (error) {
      if (isNotFound(error)) throw new StoreInconsistent(`no pending key ${pending.pendingId} for ${pending.certificateId}`);
      throw error;
    }
  }

  private async describeSecret(secretId: string): Promise<{ arn: string; stages: Record<string, string[]> }> {
    const { ARN, VersionIdsToStages = {} } = await sm('DescribeSecret', () => this.client.send(new DescribeSecretCommand({ SecretId: secretId })));
    return { arn: ARN ?? secretId, stages: VersionIdsToStages };
  }

  private async stages(secretId: string): Promise<Record<string, string[]>> {
    return (await this.describeSecret(secretId)).stages;
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

    try {
      await sm('PutSecretValue', () =>
        this.client.send(new PutSecretValueCommand({ SecretId: name, ClientRequestToken: version, SecretString: secretString, VersionStages: ['AWSPENDING'] })),
      );
    } catch (error) {
      if (!isExisting(error)) throw error; // a retried step already wrote this version: promote that one
    }
    const { arn, stages } = await this.describeSecret(name);
    if (!stages[version]) throw new StoreInconsistent(`version ${version} of ${certificateId} is missing after it was written`);
    const current = SecretsManagerCertificateStore.versionWith(stages, 'AWSCURRENT');
    if (current !== version) await this.moveStage(name, 'AWSCURRENT', version, current);
    await this.moveStage(name, 'AWSPENDING', undefined, version);
    await sm('TagResource', () =>
      this.client.send(
        new TagResourceCommand({
          SecretId: name,
          Tags: inventoryTags(material.metadata, version),
        }),
      ),
    );
    return { certificateId, version, location: arn, metadata: material.metadata, formats: bundle.formats };
  }

  async discardPending(pending: PendingKey): Promise<void> {
    const name = this.certificateSecret(pending.certificateId);
    try {
      const stages = await this.stages(name);
      if (stages[pending.pendingId]?.includes('AWSPENDING')) await this.moveStage(name, 'AWSPENDING', undefined, pending.pendingId);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  private async currentBundle(certificateId: string): Promise<{ bundle: CertificateBundle; arn: string } | undefined> {
    try {
      const { value, arn } = await this.getString(this.certificateSecret(certificateId), { VersionStage: 'AWSCURRENT' });
      const bundle = JSON.parse(value) as CertificateBundle;
      if (bundle.schema !== BUNDLE_SCHEMA) throw new StoreInconsistent(`current version of ${certificateId} is not a ${BUNDLE_SCHEMA} document`);
      return { bundle, arn };
    } catch (error) {
      if (isNotFound(error)) return undefined; // no secret yet, or only a pending key
      throw error;
    }
  }

  async current(certificateId: string): Promise<StoredVersion | undefined> {
    const found = await this.currentBundle(certificateId);
    if (!found) return undefined;
    const { bundle, arn } = found;
    return { certificateId, version: bundle.version, location: arn, metadata: bundle.metadata, formats: bundle.formats };
  }

  async currentKeystorePassword(certificateId: string): Promise<string | undefined> {
    const password = (await this.currentBundle(certificateId))?.bundle.files['keystore.pass'];
    return password === undefined ? undefined : Buffer.from(password, 'base64').toString('utf8').replace(/\n$/, '');
  }

  /** Make the previous version current again (AWSCURRENT ⇄ AWSPREVIOUS). */
  async rollback(certificateId: string): Promise<{ from: string; to: string }> {
    const name = this.certificateSecret(certificateId);
    const stages = await this.stages(name);
    const from = SecretsManagerCertificateStore.versionWith(stages, 'AWSCURRENT');
    const to = SecretsManagerCertificateStore.versionWith(stages, 'AWSPREVIOUS');
    if (!from || !to) throw new StoreInconsistent(`${certificateId} has no previous version to roll back to`);
    await this.moveStage(name, 'AWSCURRENT', to, from);
    return { from, to };
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
