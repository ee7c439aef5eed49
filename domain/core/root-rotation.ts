/**
 * Replacing a private root without a dropped link (issue #19 point 5, ADR 0013). Pure: the record
 * and the hosts' reports come in, the next record and who holds it up go out; nothing is read.
 *
 *   distribute  truststores hold old + new; leaves still from the old root
 *      │ every member reported a truststore with both, reloaded
 *   issue-new   leaves from the new root; truststores still hold both
 *      │ every member served (--verify-tls) a leaf chaining to the new root
 *   retire-old  truststores hold the new root only
 *      │ every member reported a truststore without the old root, reloaded
 *   done        the new root is the CA's root
 *
 * Members are the (certificate, host) pairs that had reported a certificate of this CA when the
 * rotation started: a host that is down then still counts, and holds the rotation where it is
 * instead of being cut off by the next phase.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { CertificateIdSchema } from '../contracts/ids';
import { FingerprintSha256Schema, TimestampSchema } from '../contracts/certificate';
import { HostSchema } from '../contracts/events';
import type { HostState } from './host-inventory';
import { lifetimeDays, type CertificateMetadata } from './certificate';
import type { KeyType } from './key-types';
import { USAGES, type Usage } from '../contracts/request';

const ROTATION_PHASES = ['distribute', 'issue-new', 'retire-old', 'done'] as const;
export type RotationPhase = (typeof ROTATION_PHASES)[number];

const RotationRootSchema = z.object({
  fingerprintSha256: FingerprintSha256Schema.describe('SHA-256 of the root certificate (DER), lowercase hex'),
  pem: z.string().min(1).describe('The root certificate (public)'),
  authority: z.string().min(1).describe('What issues under this root: the AWS Private CA ARN, or the local CA\'s root folder (`root`, `roots/<name>`)'),
});
export type RotationRoot = Readonly<z.output<typeof RotationRootSchema>>;

const RotationMemberSchema = z.object({ certificateId: CertificateIdSchema, host: HostSchema });
type RotationMember = Readonly<z.output<typeof RotationMemberSchema>>;

export const RotationRecordSchema = z.object({
  ca: z.string().min(1).describe('The private CA as the config names it (certificateAuthorityArn; locally certflow:local-private-ca)'),
  phase: z.enum(ROTATION_PHASES),
  oldRoot: RotationRootSchema,
  newRoot: RotationRootSchema,
  certificateIds: z.array(CertificateIdSchema).describe('The certificates of this CA when the rotation started: each phase reissues them'),
  members: z.array(RotationMemberSchema).describe('The (certificate, host) pairs that gate each phase, fixed when the rotation started'),
  startedAt: TimestampSchema,
  phaseSince: TimestampSchema,
  history: z.array(z.object({ phase: z.enum(ROTATION_PHASES), at: TimestampSchema })).describe('Each phase entered, in order'),
});
export type RotationRecord = Readonly<z.output<typeof RotationRecordSchema>>;

/** Another writer changed the record first (RootRotations.saveRotation): nothing was written. */
export class RotationConflict extends Error {
  override readonly name = 'RotationConflict';
}

/** SHA-256 of a certificate's DER, lowercase hex (as metadata's fingerprintSha256). */
export function certificateFingerprint(pem: string): string {
  return createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');
}

/** Which root issues and which roots the truststores hold; undefined fields: the configured CA as it is. */
export interface RotationTrust {
  readonly issuing?: RotationRoot;
  readonly trusted?: readonly RotationRoot[];
}

export function rotationTrust(record: RotationRecord | undefined): RotationTrust {
  if (!record) return {};
  switch (record.phase) {
    case 'distribute':
      return { issuing: record.oldRoot, trusted: [record.oldRoot, record.newRoot] };
    case 'issue-new':
      return { issuing: record.newRoot, trusted: [record.newRoot, record.oldRoot] };
    case 'retire-old':
    case 'done':
      return { issuing: record.newRoot, trusted: [record.newRoot] };
  }
}

/** The phase after `phase` (done stays done). */
function phaseAfter(phase: RotationPhase): RotationPhase {
  return ROTATION_PHASES[Math.min(ROTATION_PHASES.indexOf(phase) + 1, ROTATION_PHASES.length - 1)]!;
}

/** What a host has that the phase does not accept yet. */
export const HOLD_REASONS = {
  noReport: 'no report since the rotation started',
  failed: 'last report a failure',
  notReloaded: 'installed, service not reloaded',
  missingNewRoot: 'truststore without the new root',
  oldRootLeaf: 'leaf not from the new root',
  servedUnknown: 'new-root leaf not confirmed served (--verify-tls)',
  stillTrustsOld: 'truststore still holds the old root',
} as const;
type HoldReason = (typeof HOLD_REASONS)[keyof typeof HOLD_REASONS];

export interface Holder extends RotationMember {
  readonly reason: HoldReason;
  /** The version it last reported installed, when any. */
  readonly version?: string;
}

/** The members whose last report does not yet pass the gate out of the record's phase. */
export function rotationHolders(record: RotationRecord, states: readonly HostState[]): Holder[] {
  const old = record.oldRoot.fingerprintSha256;
  const next = record.newRoot.fingerprintSha256;
  return record.members.flatMap((member): Holder[] => {
    const reason = holdReason(record.phase, states.find((state) => state.certificateId === member.certificateId && state.host === member.host), old, next);
    if (!reason) return [];
    const version = states.find((state) => state.certificateId === member.certificateId && state.host === member.host)?.installed?.version;
    return [{ ...member, reason, ...(version ? { version } : {}) }];
  });
}

function holdReason(phase: RotationPhase, state: HostState | undefined, old: string, next: string): HoldReason | undefined {
  if (phase === 'done') return undefined;
  if (!state?.installed) return HOLD_REASONS.noReport;
  if (state.failure) return HOLD_REASONS.failed;
  const { trustAnchorsSha256: trusted = [], anchorSha256, reloaded, served } = state.installed;
  switch (phase) {
    case 'distribute':
      if (!trusted.includes(old) || !trusted.includes(next)) return HOLD_REASONS.missingNewRoot;
      return reloaded || served === true ? undefined : HOLD_REASONS.notReloaded;
    case 'issue-new':
      if (anchorSha256 !== next) return HOLD_REASONS.oldRootLeaf;
      // "Serves": seen on the endpoint; a reload alone does not say a listener took it.
      return served === true ? undefined : HOLD_REASONS.servedUnknown;
    case 'retire-old':
      if (trusted.includes(old) || !trusted.includes(next)) return HOLD_REASONS.stillTrustsOld;
      return reloaded || served === true ? undefined : HOLD_REASONS.notReloaded;
  }
}

export interface RotationStep {
  readonly record: RotationRecord;
  /** True when the phase changed: the certificates of the members are then reissued. */
  readonly advanced: boolean;
  /** Who holds the record's (new) phase up now. */
  readonly holders: readonly Holder[];
}

/** One step: to the next phase when nobody holds the current one up, else the same record and its holders. */
export function nextRotationPhase(record: RotationRecord, states: readonly HostState[], now: Date): RotationStep {
  const holders = rotationHolders(record, states);
  if (record.phase === 'done' || holders.length > 0) return { record, advanced: false, holders };
  const phase = phaseAfter(record.phase);
  const at = now.toISOString();
  const advanced = { ...record, phase, phaseSince: at, history: [...record.history, { phase, at }] };
  return { record: advanced, advanced: true, holders: rotationHolders(advanced, states) };
}

/** A new rotation, in phase distribute: the members are every reported (certificate, host) of `certificateIds`. */
export function startRotation(
  { ca, oldRoot, newRoot, certificateIds, states, now }: {
    ca: string;
    oldRoot: RotationRoot;
    newRoot: RotationRoot;
    certificateIds: readonly string[];
    states: readonly HostState[];
    now: Date;
  },
): RotationRecord {
  const members = states.filter((state) => certificateIds.includes(state.certificateId)).map(({ certificateId, host }) => ({ certificateId, host }));
  const at = now.toISOString();
  return { ca, phase: 'distribute', oldRoot, newRoot, certificateIds: [...certificateIds], members, startedAt: at, phaseSince: at, history: [{ phase: 'distribute', at }] };
}

/**
 * The certificates a CA issued, from the store's inventory: the current leaf chains to `root`
 * (metadata anchorSha256), or, for versions stored before certflow recorded it, names it as issuer.
 */
export function certificatesUnder(root: Pick<RotationRoot, 'fingerprintSha256' | 'pem'>, inventory: readonly { certificateId: string; current?: { metadata: { anchorSha256?: string; issuer: string } } }[]): string[] {
  const subject = new X509Certificate(root.pem).subject.replaceAll('\n', ', ');
  return inventory
    .filter(({ current }) => current && (current.metadata.anchorSha256 !== undefined ? current.metadata.anchorSha256 === root.fingerprintSha256 : current.metadata.issuer === subject))
    .map(({ certificateId }) => certificateId);
}

/**
 * The record's certificates whose current version is not what its phase issues (a reissue that
 * failed, or a renewal that raced the phase change): `ca rotate --advance` reissues them while held.
 */
export function certificatesBehind(record: RotationRecord, current: ReadonlyMap<string, { anchorSha256?: string; trustAnchorsSha256?: readonly string[] }>): string[] {
  const { issuing, trusted } = rotationTrust(record);
  const wanted = [...(trusted ?? [])].map((root) => root.fingerprintSha256).sort().join();
  return record.certificateIds.filter((certificateId) => {
    const metadata = current.get(certificateId);
    return metadata?.anchorSha256 !== issuing?.fingerprintSha256 || [...(metadata?.trustAnchorsSha256 ?? [])].sort().join() !== wanted;
  });
}

/** Whether a rotation is under way (a record not done). */
export const rotating = (record: RotationRecord | undefined): boolean => record !== undefined && record.phase !== 'done';

/** A reissue a phase needs, as a RenewCertificate input: a declared id alone, else what its current version was issued with. */
export interface RotationReissue {
  readonly certificateId: string;
  readonly names?: string[];
  readonly keyType?: KeyType;
  readonly issuer?: 'privateCa';
  readonly usages?: Usage[];
  readonly lifetimeDays?: number;
}

/**
 * The RenewCertificate inputs of `certificateIds`: a declared certificate renews as declared; one
 * issued by `certflow issue` (not declared) as its current version (names, key type, usages, lifetime).
 * A certificate with no current version is left out (nothing of it is served).
 */
export function rotationReissues(
  certificateIds: readonly string[],
  declared: readonly { readonly id: string }[],
  current: ReadonlyMap<string, Pick<CertificateMetadata, 'names' | 'keyType' | 'usages' | 'notBefore' | 'notAfter'>>,
): RotationReissue[] {
  const declaredIds = new Set(declared.map((certificate) => certificate.id));
  return certificateIds.flatMap((certificateId): RotationReissue[] => {
    if (declaredIds.has(certificateId)) return [{ certificateId }];
    const metadata = current.get(certificateId);
    if (!metadata) return [];
    const usages = metadata.usages?.filter((usage): usage is Usage => (USAGES as readonly string[]).includes(usage));
    return [{ certificateId, names: [...metadata.names], keyType: metadata.keyType, issuer: 'privateCa', ...(usages?.length ? { usages } : {}), lifetimeDays: Math.max(1, lifetimeDays(metadata)) }];
  });
}
