/**
 * Root rotation records on AWS Secrets Manager: `<prefix>rotations/<sha256(ca) prefix>`, one JSON
 * version per change (public data: roots, fingerprints, host names), AWSCURRENT the record.
 * Compare-and-set as the renewal lease does (secrets-store.ts replaceLease): a change is written
 * with a ClientRequestToken derived from the version it replaces, so of two writers replacing the
 * same version one gets ResourceExistsException (PutSecretValue: "If a version with this value
 * already exists and that version's SecretString … values differ … the request fails"); the first
 * record is a CreateSecret, which fails the same way for the second creator.
 *
 * IAM (the operator who runs the rotation; no Lambda role holds it yet): secretsmanager:CreateSecret
 * (name condition), GetSecretValue, PutSecretValue on `<prefix>rotations/*`, TagResource for the
 * managed-by tag, kms:Encrypt/Decrypt/GenerateDataKey via secretsmanager.
 */
import { createHash } from 'node:crypto';
import { CreateSecretCommand, GetSecretValueCommand, PutSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseContract } from '../../contracts/parse';
import { StoreInconsistent } from '../../core/errors';
import { RotationConflict, RotationRecordSchema, type RotationPhase, type RotationRecord } from '../../core/root-rotation';
import type { RootRotations } from '../../ports';
import { CREATION_TAG, versionToken } from './secrets-store';

const errorName = (error: unknown) => (error as { name?: string }).name ?? '';

export class SecretsManagerRootRotations implements RootRotations {
  constructor(
    private readonly client: Pick<SecretsManagerClient, 'send'>,
    private readonly options: { readonly prefix: string; readonly kmsKeyId?: string },
  ) {}

  secretName(ca: string): string {
    return `${this.options.prefix}rotations/${createHash('sha256').update(ca).digest('hex').slice(0, 16)}`;
  }

  async rotation(ca: string): Promise<RotationRecord | undefined> {
    return (await this.current(ca))?.record;
  }

  async saveRotation(record: RotationRecord, expected: RotationPhase | undefined): Promise<void> {
    const name = this.secretName(record.ca);
    const current = await this.current(record.ca);
    const conflict = (stored: string) => new RotationConflict(`the rotation of '${record.ca}' is in phase ${stored}, expected ${expected ?? '(none)'}: another run changed it`);
    if (current?.record.phase !== expected) throw conflict(current?.record.phase ?? '(none)');
    const SecretString = JSON.stringify(record);
    try {
      if (current) {
        await this.client.send(new PutSecretValueCommand({ SecretId: name, ClientRequestToken: versionToken(`rotation-after:${current.versionId}`), SecretString }));
      } else {
        const kms = this.options.kmsKeyId ? { KmsKeyId: this.options.kmsKeyId } : {};
        await this.client.send(new CreateSecretCommand({ Name: name, Description: 'Managed by certflow', Tags: [CREATION_TAG.managedBy], SecretString, ...kms }));
      }
    } catch (error) {
      if (errorName(error) === 'ResourceExistsException') throw conflict('(changed meanwhile)');
      throw error;
    }
  }

  private async current(ca: string): Promise<{ record: RotationRecord; versionId: string } | undefined> {
    const name = this.secretName(ca);
    let response;
    try {
      response = await this.client.send(new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSCURRENT' }));
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException') return undefined;
      throw error;
    }
    const invalid = (why: string) => new StoreInconsistent(`${name} is not a root rotation record: ${why}`);
    let json: unknown;
    try {
      json = JSON.parse(response.SecretString ?? '');
    } catch {
      throw invalid('it is not JSON');
    }
    const record = parseContract(RotationRecordSchema, json, invalid, { name: 'the record', showValues: false });
    if (record.ca !== ca) throw invalid(`it is the record of '${record.ca}'`);
    return { record, versionId: response.VersionId ?? '' };
  }
}
