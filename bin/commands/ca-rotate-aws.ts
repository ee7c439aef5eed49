/**
 * `certflow ca rotate --aws --to <ca arn>` and `certflow ca status --aws`: start a private root's
 * rotation on AWS (ADR 0013). The new root is a second AWS Private CA, which the config must already
 * name (`privateCa.nextCertificateAuthorityArn`, deployed: the steps' IAM follows the config). This
 * writes the configured CA's record in phase distribute; the next scheduled scan (AdvanceRotation)
 * reissues every certificate behind the phase, and moves it on as the hosts report.
 *
 * API reference: GetCertificateAuthorityCertificate (the CA's certificate and, for a subordinate,
 * its chain up to the root) https://docs.aws.amazon.com/privateca/latest/APIReference/API_GetCertificateAuthorityCertificate.html.
 *
 * IAM of the operator: acm-pca:GetCertificateAuthorityCertificate on both CAs; secretsmanager:ListSecrets;
 * CreateSecret (name condition), GetSecretValue, PutSecretValue, TagResource on `<prefix>rotations/*`
 * with kms:Encrypt/GenerateDataKey/Decrypt via Secrets Manager; logs:FilterLogEvents on the host
 * inventory log group.
 */
import { GetCertificateAuthorityCertificateCommand, type ACMPCAClient } from '@aws-sdk/client-acm-pca';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CloudWatchHostReports } from '../../domain/adapters/aws/host-reports';
import { SecretsManagerRootRotations } from '../../domain/adapters/aws/secrets-rotations';
import { SecretsManagerCertificateStore } from '../../domain/adapters/aws/secrets-store';
import { splitPemChain } from '../../domain/core/certificate';
import { certificateFingerprint, certificatesUnder, rotating, rotationHolders, startRotation, type Holder, type RotationRecord, type RotationRoot } from '../../domain/core/root-rotation';

export interface AwsRotationContext {
  readonly clients: { readonly acmPca: Pick<ACMPCAClient, 'send'>; readonly secrets: SecretsManagerClient; readonly logs: Pick<CloudWatchLogsClient, 'send'> };
  readonly secretPrefix: string;
  readonly kmsKeyId?: string;
  readonly hostInventoryLogGroup: string;
  /** The config's privateCa. */
  readonly privateCa: { readonly certificateAuthorityArn: string; readonly nextCertificateAuthorityArn?: string };
  /** The declared certificates with issuer privateCa (versions stored before the inventory tags named their root). */
  readonly declaredPrivate: readonly string[];
  readonly now?: () => Date;
}

/** A refusal of the operator's to fix (exit 1), with what to do. */
export class RotationRefused extends Error {
  override readonly name = 'RotationRefused';
}

/** The root a CA's certificate leads to: itself for a root CA, the last of its chain for a subordinate one. */
async function rootOf(acmPca: AwsRotationContext['clients']['acmPca'], arn: string): Promise<RotationRoot> {
  const { Certificate, CertificateChain } = await acmPca.send(new GetCertificateAuthorityCertificateCommand({ CertificateAuthorityArn: arn }));
  const chain = [...splitPemChain(Certificate ?? ''), ...splitPemChain(CertificateChain ?? '')];
  const pem = chain.at(-1);
  if (!pem) throw new RotationRefused(`${arn} has no CA certificate yet (install it: the CA must be ACTIVE)`);
  return { authority: arn, pem, fingerprintSha256: certificateFingerprint(pem) };
}

const rotationsOf = (ctx: AwsRotationContext) => new SecretsManagerRootRotations(ctx.clients.secrets, { prefix: ctx.secretPrefix, ...(ctx.kmsKeyId ? { kmsKeyId: ctx.kmsKeyId } : {}) });
const reportsOf = (ctx: AwsRotationContext) => new CloudWatchHostReports(ctx.clients.logs, ctx.hostInventoryLogGroup);

/** Start: the record in phase distribute, its members every host that reported a certificate of the CA. */
export async function startAwsRotation(ctx: AwsRotationContext, to: string): Promise<RotationRecord> {
  const { certificateAuthorityArn: ca, nextCertificateAuthorityArn: next } = ctx.privateCa;
  if (to === ca) throw new RotationRefused(`--to ${to} is the configured CA itself`);
  if (to !== next) throw new RotationRefused(`--to ${to} is not privateCa.nextCertificateAuthorityArn (${next ?? 'unset'}): name it in the config and deploy first, so the steps may issue from it`);
  const rotations = rotationsOf(ctx);
  const previous = await rotations.rotation(ca);
  if (previous && rotating(previous)) throw new RotationRefused(`a rotation of ${ca} is in phase ${previous.phase} since ${previous.phaseSince}: the scheduled scan moves it on`);
  if (previous?.phase === 'done') throw new RotationRefused(`the last rotation of ${ca} is done: make ${previous.newRoot.authority} the certificateAuthorityArn before rotating again`);
  const [oldRoot, newRoot] = await Promise.all([rootOf(ctx.clients.acmPca, ca), rootOf(ctx.clients.acmPca, to)]);
  const inventory = await new SecretsManagerCertificateStore(ctx.clients.secrets, { prefix: ctx.secretPrefix, kmsKeyId: ctx.kmsKeyId ?? '' }).inventory();
  const stored = new Set(inventory.filter((state) => state.current).map((state) => state.certificateId));
  const certificateIds = [...new Set([...certificatesUnder(oldRoot, inventory), ...ctx.declaredPrivate.filter((id) => stored.has(id))])].sort();
  const now = (ctx.now ?? (() => new Date()))();
  const record = startRotation({ ca, oldRoot, newRoot, certificateIds, states: await reportsOf(ctx).hostStates(new Date(0)), now });
  await rotations.saveRotation(record, previous?.phase);
  return record;
}

/** The record and who holds its phase up, from the reports since it started; undefined when the CA's root was never rotated. */
export async function awsRotationStatus(ctx: AwsRotationContext): Promise<{ record: RotationRecord; holders: Holder[] } | undefined> {
  const record = await rotationsOf(ctx).rotation(ctx.privateCa.certificateAuthorityArn);
  if (!record) return undefined;
  return { record, holders: rotationHolders(record, await reportsOf(ctx).hostStates(new Date(record.startedAt))) };
}

export interface AwsCaOptions {
  readonly to?: string;
  readonly config?: string;
  readonly secretPrefix?: string;
  readonly kmsKeyId?: string;
  readonly hostInventoryLogGroup?: string;
  readonly json?: boolean;
}

/** The context from the flags and the config (its privateCa, its declared private certificates), with the SDK's default chain. */
async function contextFromFlags(options: AwsCaOptions): Promise<AwsRotationContext> {
  const { loadConfigFile, formatConfigProblems } = await import('../../infra/config-file');
  const loaded = await loadConfigFile(options.config);
  if (!loaded.ok) throw new RotationRefused(formatConfigProblems(loaded));
  const { privateCa, certificates, secretPrefix } = loaded.config;
  if (!privateCa) throw new RotationRefused(`${loaded.file} has no privateCa: there is no private root to rotate`);
  if (!options.hostInventoryLogGroup) throw new RotationRefused('--host-inventory-log-group is required (the stack output HostInventoryLogGroupName): the rotation\'s hosts are those that reported there');
  const [{ ACMPCAClient }, { SecretsManagerClient }, { CloudWatchLogsClient }] = await Promise.all([
    import('@aws-sdk/client-acm-pca'),
    import('@aws-sdk/client-secrets-manager'),
    import('@aws-sdk/client-cloudwatch-logs'),
  ]);
  return {
    clients: { acmPca: new ACMPCAClient({}), secrets: new SecretsManagerClient({}), logs: new CloudWatchLogsClient({}) },
    secretPrefix: options.secretPrefix ?? secretPrefix,
    ...(options.kmsKeyId ? { kmsKeyId: options.kmsKeyId } : {}),
    hostInventoryLogGroup: options.hostInventoryLogGroup,
    privateCa,
    declaredPrivate: certificates.filter((certificate) => certificate.issuer === 'privateCa').map((certificate) => certificate.id),
  };
}

const print = (line: string) => process.stdout.write(`${line}\n`);

/** `certflow ca rotate --aws --to <arn>`: exit 0 started, 1 refused (why on stderr), 2 usage. */
export async function awsRotateCommand(options: AwsCaOptions): Promise<number> {
  if (!options.to) {
    process.stderr.write('certflow ca rotate --aws: --to <ca arn> is required (the CA the config names as privateCa.nextCertificateAuthorityArn); the scheduled scan advances a rotation on AWS, there is no --advance\n');
    return 2;
  }
  try {
    const record = await startAwsRotation(await contextFromFlags(options), options.to);
    if (options.json) print(JSON.stringify(record, null, 2));
    else {
      print(`root rotation of ${record.ca}: phase distribute since ${record.phaseSince}; new root ${record.newRoot.fingerprintSha256.slice(0, 16)}… (${record.newRoot.authority})`);
      print(`  hosts ${record.members.length}; certificates ${record.certificateIds.join(', ') || 'none'}: the next scheduled scan reissues them and moves the rotation on as the hosts report`);
    }
    return 0;
  } catch (error) {
    if (!(error instanceof RotationRefused)) throw error;
    process.stderr.write(`certflow ca rotate --aws: ${error.message}\n`);
    return 1;
  }
}

/** `certflow ca status --aws`: the phase and who holds it up (reports since the start). */
export async function awsRotationStatusCommand(options: AwsCaOptions): Promise<number> {
  try {
    const ctx = await contextFromFlags(options);
    const status = await awsRotationStatus(ctx);
    if (options.json) print(JSON.stringify(status ? { ...status.record, heldBy: status.holders } : { ca: ctx.privateCa.certificateAuthorityArn, phase: null }, null, 2));
    else if (!status) print(`The root of ${ctx.privateCa.certificateAuthorityArn} was never rotated (certflow ca rotate --aws --to <ca arn> starts a rotation)`);
    else {
      const { record, holders } = status;
      print(`root rotation of ${record.ca}: phase ${record.phase} since ${record.phaseSince} (started ${record.startedAt})`);
      if (record.phase !== 'done') print(holders.length ? `  held by ${holders.map((holder) => `${holder.host} (${holder.certificateId}: ${holder.reason})`).join(', ')}` : '  held by nobody: the next scheduled scan moves it on');
    }
    return 0;
  } catch (error) {
    if (!(error instanceof RotationRefused)) throw error;
    process.stderr.write(`certflow ca status --aws: ${error.message}\n`);
    return 1;
  }
}
