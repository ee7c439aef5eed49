/**
 * `certflow ca rotate|status` on the embedded local default: replace the local private CA's root in
 * the phases of domain/core/root-rotation.ts (ADR 0013). Each phase change reissues the CA's
 * certificates through the synthesized RenewCertificate (the environment reads the record: which
 * root issues, which roots the truststores hold); the hosts' "Certificate Installed" reports in
 * events.jsonl gate each change.
 */
import * as path from 'node:path';
import { LocalEventLog } from '../../domain/adapters/local/event-log';
import { FileCertificateStore } from '../../domain/adapters/local/file-store';
import { FileRootRotations } from '../../domain/adapters/local/file-rotations';
import { LOCAL_PRIVATE_CA, LocalPrivateCa } from '../../domain/adapters/local/local-private-ca';
import { lifetimeDays, type CertificateMetadata } from '../../domain/core/certificate';
import type { LocalRenewalRequest } from '../../local/declared';
import { hostInventory } from '../../domain/core/host-inventory';
import {
  certificateFingerprint,
  certificatesBehind,
  certificatesUnder,
  nextRotationPhase,
  rotating,
  rotationHolders,
  rotationTrust,
  startRotation,
  type Holder,
  type RotationRecord,
  type RotationRoot,
} from '../../domain/core/root-rotation';
import { certflowHome } from '../../local/home';
import { messageOf } from './cause';
import { EXIT } from './exit';

const home = certflowHome;
const out = (line = '') => process.stdout.write(`${line}\n`);

interface Options {
  readonly json?: boolean;
}

const rotations = () => new FileRootRotations(home());
const privateCaDir = () => path.join(home(), 'private-ca');

async function hostStates() {
  return hostInventory(await new LocalEventLog(path.join(home(), 'events.jsonl')).read());
}

/** The root that issues now (the last rotation's new root, else the CA's first). */
async function currentRoot(record: RotationRecord | undefined): Promise<RotationRoot> {
  const issuing = rotationTrust(record).issuing;
  if (issuing) return issuing;
  const ca = await LocalPrivateCa.open(privateCaDir());
  return { authority: ca.authority, pem: ca.rootPem, fingerprintSha256: certificateFingerprint(ca.rootPem) };
}

export function holderLine(holder: Holder): string {
  return `${holder.host} (${holder.certificateId}${holder.version ? ` version ${holder.version}` : ''}: ${holder.reason})`;
}

function rotationView(record: RotationRecord, holders: readonly Holder[]) {
  const root = (r: RotationRoot) => ({ fingerprintSha256: r.fingerprintSha256, authority: r.authority });
  return {
    ca: record.ca,
    phase: record.phase,
    phaseSince: record.phaseSince,
    startedAt: record.startedAt,
    oldRoot: root(record.oldRoot),
    newRoot: root(record.newRoot),
    certificateIds: record.certificateIds,
    members: record.members,
    heldBy: holders,
    history: record.history,
  };
}

function printRotation(record: RotationRecord, holders: readonly Holder[]): void {
  out(`root rotation of ${record.ca}: phase ${record.phase} since ${record.phaseSince} (started ${record.startedAt})`);
  out(`  old root  ${record.oldRoot.fingerprintSha256.slice(0, 16)}… (${record.oldRoot.authority})`);
  out(`  new root  ${record.newRoot.fingerprintSha256.slice(0, 16)}… (${record.newRoot.authority})`);
  out(`  hosts     ${record.members.length} (${[...new Set(record.members.map((member) => member.host))].join(', ') || 'none reported'}); certificates ${record.certificateIds.join(', ') || 'none'}`);
  if (record.phase !== 'done') out(holders.length ? `  held by   ${holders.map(holderLine).join(', ')}` : '  held by   nobody: certflow ca rotate --advance moves on');
}

/** As declared in certflow.config.ts (keystore options too); a certificate issued by `certflow issue`: as its current version. */
async function reissueRequest(certificateId: string, metadata: CertificateMetadata): Promise<LocalRenewalRequest> {
  const { declaredCertificate, NotDeclared } = await import('../../local/declared');
  try {
    const declared = await declaredCertificate(certificateId);
    if (declared.issuer === 'privateCa') return declared;
  } catch (error) {
    if (!(error instanceof NotDeclared)) throw error;
  }
  const { names, keyType, usages } = metadata;
  return { certificateId, names: [...names], keyType, issuer: 'privateCa', lifetimeDays: lifetimeDays(metadata), ...(usages ? { usages: [...usages] } : {}) };
}

/** Reissue the record's certificates as the record's phase says (the environment reads the record). */
async function reissue(record: RotationRecord, write: (text: string) => void): Promise<string[]> {
  if (record.certificateIds.length === 0) return [];
  const store = new FileCertificateStore(home());
  const { startLocalDefault } = await import('../../local/default');
  const pipeline = await startLocalDefault({ root: home(), write });
  const failed: string[] = [];
  try {
    for (const certificateId of record.certificateIds) {
      const current = await store.current(certificateId);
      if (!current) {
        failed.push(`${certificateId} (no current version)`);
        continue;
      }
      const started = performance.now();
      const result = await pipeline.executor.run(await reissueRequest(certificateId, current.metadata));
      const ms = Math.round(performance.now() - started);
      if (result.status === 'SUCCEEDED') {
        const renewed = (await store.current(certificateId))!;
        write(`  ✓ ${certificateId} version ${renewed.version} serial ${renewed.metadata.serialNumber} (${record.phase}) ${ms} ms\n`);
      } else {
        failed.push(`${certificateId} (${result.error}: ${messageOf(result.cause)})`);
        write(`  ✗ ${certificateId} ${result.error}: ${messageOf(result.cause)}\n`);
      }
    }
  } finally {
    await pipeline.stop();
  }
  return failed;
}

/** `certflow ca rotate`: a new root, phase distribute, the CA's certificates reissued with truststores holding both roots. */
export async function startRotationCommand(options: Options): Promise<number> {
  const store = rotations();
  const previous = await store.rotation(LOCAL_PRIVATE_CA);
  if (previous && rotating(previous)) {
    process.stderr.write(`certflow ca rotate: a rotation is in phase ${previous.phase} since ${previous.phaseSince}: certflow ca rotate --advance moves it on\n`);
    return EXIT.failed;
  }
  const oldRoot = await currentRoot(previous);
  const made = await LocalPrivateCa.createRoot(privateCaDir());
  const newRoot = { ...made, fingerprintSha256: certificateFingerprint(made.pem) };
  const inventory = await new FileCertificateStore(home()).inventory();
  const record = startRotation({ ca: LOCAL_PRIVATE_CA, oldRoot, newRoot, certificateIds: certificatesUnder(oldRoot, inventory), states: await hostStates(), now: new Date() });
  await store.saveRotation(record, previous?.phase);
  return finish(record, rotationHolders(record, await hostStates()), await reissue(record, progress(options)), options);
}

/** `certflow ca rotate --advance`: the next phase when every host passed this one's gate; otherwise who holds it. */
export async function advanceRotationCommand(options: Options): Promise<number> {
  const store = rotations();
  const record = await store.rotation(LOCAL_PRIVATE_CA);
  if (!record || !rotating(record)) {
    process.stderr.write(`certflow ca rotate --advance: no rotation in progress${record ? ` (the last one is done since ${record.phaseSince})` : ''}: certflow ca rotate starts one\n`);
    return EXIT.failed;
  }
  const step = nextRotationPhase(record, await hostStates(), new Date());
  if (!step.advanced) {
    // Held: a certificate whose reissue for this phase failed gets it now (the hosts cannot pass otherwise).
    const behind = certificatesBehind(record, await currentMetadata(record));
    const failed = behind.length ? await reissue({ ...record, certificateIds: behind }, progress(options)) : [];
    if (options.json) out(JSON.stringify({ advanced: false, ...rotationView(record, step.holders), reissued: behind, failed }, null, 2));
    else out(`Held at phase ${record.phase} by ${step.holders.map(holderLine).join(', ')}${behind.length ? `; reissued for this phase: ${behind.join(', ')}` : ''}`);
    return EXIT.failed;
  }
  await store.saveRotation(step.record, record.phase);
  // Done changes nothing on the hosts: the last phase already left the old root out.
  const failed = step.record.phase === 'done' ? [] : await reissue(step.record, progress(options));
  return finish(step.record, step.holders, failed, options);
}

async function currentMetadata(record: RotationRecord): Promise<Map<string, { anchorSha256?: string; trustAnchorsSha256?: readonly string[] }>> {
  const store = new FileCertificateStore(home());
  const entries = await Promise.all(record.certificateIds.map(async (id) => [id, (await store.current(id))?.metadata ?? {}] as const));
  return new Map(entries);
}

export async function rotationStatusCommand(options: Options): Promise<number> {
  const record = await rotations().rotation(LOCAL_PRIVATE_CA);
  if (!record) {
    if (options.json) out(JSON.stringify({ ca: LOCAL_PRIVATE_CA, phase: null }, null, 2));
    else out(`The root of ${LOCAL_PRIVATE_CA} was never rotated (certflow ca rotate starts a rotation)`);
    return EXIT.ok;
  }
  const holders = rotationHolders(record, await hostStates());
  if (options.json) out(JSON.stringify(rotationView(record, holders), null, 2));
  else printRotation(record, holders);
  return EXIT.ok;
}

/** The line `certflow status <id>` adds for a certificate in a rotation under way. */
export async function rotationOf(certificateId: string): Promise<{ phase: string; phaseSince: string; heldBy: Holder[] } | undefined> {
  const record = await rotations().rotation(LOCAL_PRIVATE_CA);
  if (!record || !rotating(record) || !record.certificateIds.includes(certificateId)) return undefined;
  const heldBy = rotationHolders(record, hostInventory(await new LocalEventLog(path.join(home(), 'events.jsonl')).read())).filter((holder) => holder.certificateId === certificateId);
  return { phase: record.phase, phaseSince: record.phaseSince, heldBy };
}

function progress(options: Options): (text: string) => void {
  return options.json ? (text) => process.stderr.write(text) : (text) => process.stdout.write(text);
}

function finish(record: RotationRecord, holders: readonly Holder[], failed: readonly string[], options: Options): number {
  if (options.json) out(JSON.stringify({ advanced: true, ...rotationView(record, holders), failed }, null, 2));
  else {
    out(`Phase ${record.phase}${record.phase === 'done' ? `: the root of ${record.ca} is ${record.newRoot.fingerprintSha256.slice(0, 16)}… (${record.newRoot.authority})` : ''}`);
    if (record.phase !== 'done') printRotation(record, holders);
    if (failed.length) out(`Reissue failed: ${failed.join(', ')} (certflow ca rotate --advance does not retry it; certflow issue/renew it, then advance)`);
  }
  return failed.length ? EXIT.failed : EXIT.ok;
}
