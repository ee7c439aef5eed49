/**
 * Certificate source on AWS: each stored version is one version of the certificate's secret,
 * its SecretString exactly `JSON.stringify(bundle)` and `bundle.version` its VersionId.
 *
 * Minimal IAM for the host (what infra/subscriber.ts grants):
 *   secretsmanager:GetSecretValue  on the certificates' secret ARNs
 *   kms:Decrypt                    on the secrets' KMS key, with kms:ViaService = secretsmanager.<region>.amazonaws.com
 */
import { GetSecretValueCommand, type GetSecretValueCommandInput, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { isRecord } from '../../../domain/contracts/parse';
import type { CertificateBundle } from '../../../domain/core/bundle';
import { parseBundle } from '../../bundle-check';
import { BundleRejected, VersionNotFound } from '../../errors';
import type { CertificateSource } from '../../ports';

/** Where the pipeline keeps certificate `<id>`: `<secretPrefix>certificates/<id>` (domain/adapters/aws/secrets-store.ts). */
export const DEFAULT_SECRET_PREFIX = 'certflow/';

export interface SecretLocations {
  /** The pipeline's secret name prefix. Default `certflow/`. */
  readonly secretPrefix?: string;
  /** Per certificate id: a secret ARN or name that overrides the prefix rule. */
  readonly secretIds?: Readonly<Record<string, string>>;
}

export class SecretsManagerCertificateSource implements CertificateSource {
  constructor(
    private readonly client: Pick<SecretsManagerClient, 'send'>,
    private readonly locations: SecretLocations = {},
  ) {}

  /** A version named by an event, read from this certificate's configured secret (whatever secret the event names). */
  async version(certificateId: string, version: string): Promise<CertificateBundle> {
    const secretId = this.secretIdFor(certificateId);
    const bundle = await this.read(certificateId, { SecretId: secretId, VersionId: version });
    if (bundle === undefined) throw new VersionNotFound(`secret ${secretId} has no version ${version}`);
    return bundle;
  }

  /** The version labelled AWSCURRENT. */
  current(certificateId: string): Promise<CertificateBundle | undefined> {
    return this.read(certificateId, { SecretId: this.secretIdFor(certificateId) }, { keyOnlyIsAbsent: true });
  }

  /** The version's own stages (GetSecretValue returns VersionStages): AWSCURRENT is on it or not. */
  async isCurrent(certificateId: string, version: string): Promise<boolean> {
    try {
      const { VersionStages = [] } = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretIdFor(certificateId), VersionId: version }));
      return VersionStages.includes('AWSCURRENT');
    } catch (error) {
      if ((error as Error).name === 'ResourceNotFoundException') return false;
      throw error;
    }
  }

  private secretIdFor(certificateId: string): string {
    return this.locations.secretIds?.[certificateId] ?? `${this.locations.secretPrefix ?? DEFAULT_SECRET_PREFIX}certificates/${certificateId}`;
  }

  private async read(certificateId: string, input: GetSecretValueCommandInput, { keyOnlyIsAbsent = false } = {}): Promise<CertificateBundle | undefined> {
    let output;
    try {
      output = await this.client.send(new GetSecretValueCommand(input));
    } catch (error) {
      if ((error as Error).name === 'ResourceNotFoundException') return undefined;
      throw error;
    }
    const where = `secret ${input.SecretId} version ${output.VersionId}`;
    if (output.SecretString === undefined) throw new BundleRejected(`${where} holds no SecretString`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(output.SecretString);
    } catch {
      throw new BundleRejected(`${where} is not JSON`);
    }
    // certflow before issue #9 could leave a first order's key-only document as AWSCURRENT: no certificate yet.
    if (keyOnlyIsAbsent && isRecord(parsed) && parsed.kind === 'pending-key') return undefined;
    const bundle = parseBundle(parsed);
    if (bundle.certificateId !== certificateId) throw new BundleRejected(`${where} holds certificate '${bundle.certificateId}', expected '${certificateId}'`);
    if (bundle.version !== output.VersionId) throw new BundleRejected(`${where} names itself version ${bundle.version}`);
    return bundle;
  }
}
