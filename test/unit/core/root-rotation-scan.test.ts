/**
 * The scan's side of a root rotation (ADR 0013): AdvanceRotation with the real file adapters (the
 * record in the store folder, the hosts' reports in events.jsonl), and the reissue inputs it hands
 * the scan. The AWS adapters of the same ports are run against the emulator in
 * test/e2e/aws-root-rotation.test.ts.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendEvent } from '../../../domain/adapters/local/event-log';
import { FileRootRotations } from '../../../domain/adapters/local/file-rotations';
import { LocalHostReports } from '../../../domain/adapters/local/host-reports';
import { LocalPrivateCa } from '../../../domain/adapters/local/local-private-ca';
import { DETAIL_TYPES } from '../../../domain/contracts/events';
import type { CertificateMetadata } from '../../../domain/core/certificate';
import { certificateFingerprint, rotationReissues, startRotation, type RotationRecord } from '../../../domain/core/root-rotation';
import type { StoredCertificateState } from '../../../domain/ports';
import { advanceRotation } from '../../../lambdas/handlers/advance-rotation';
import type { StepDeps } from '../../../lambdas/deps';

const CA = 'certflow:local-private-ca';
const T0 = new Date('2026-12-06T12:00:00Z');
let dir: string;
let record: RotationRecord;

const metadata = (names: string[], anchor: string, trusted: string[]): CertificateMetadata => ({
  names, serialNumber: '0a', notBefore: T0.toISOString(), notAfter: new Date(T0.getTime() + 7 * 86_400_000 + 60_000).toISOString(),
  fingerprintSha256: '', keyType: 'ec-p256', issuer: 'CN=x', usages: ['clientAuth', '1.2.3.4'], anchorSha256: anchor, trustAnchorsSha256: trusted,
});

async function report(host: string, at: Date, installed: { trust: string[]; anchor: string }): Promise<void> {
  const detail = { certificateId: host, host, version: '2', serialNumber: '0b', notBefore: at.toISOString(), notAfter: at.toISOString(), reloaded: true, served: true, trustAnchorsSha256: installed.trust, anchorSha256: installed.anchor };
  await appendEvent(path.join(dir, 'events.jsonl'), DETAIL_TYPES.installed, detail, at);
}

function deps(stored: StoredCertificateState[], logs: string[] = []) {
  return {
    settings: { privateCa: { certificateAuthorityArn: CA }, certificates: [{ id: 'a', names: ['a.mq.internal'] }] },
    rotations: new FileRootRotations(dir),
    hosts: LocalHostReports.ofFile(path.join(dir, 'events.jsonl')),
    store: { inventory: async () => stored },
    log: { info: (message: string) => logs.push(message), warn: (message: string) => logs.push(message), error: (message: string) => logs.push(message) },
    now: () => new Date(T0.getTime() + 60_000),
  } as unknown as Parameters<typeof advanceRotation>[1] & StepDeps;
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-rotation-scan-'));
  const ca = await LocalPrivateCa.open(path.join(dir, 'private-ca'));
  const made = await LocalPrivateCa.createRoot(path.join(dir, 'private-ca'), T0);
  record = startRotation({
    ca,
    oldRoot: { authority: ca.authority, pem: ca.rootPem, fingerprintSha256: certificateFingerprint(ca.rootPem) },
    newRoot: { ...made, fingerprintSha256: certificateFingerprint(made.pem) },
    certificateIds: ['a', 'b'],
    states: [{ certificateId: 'a', host: 'a', lastReportAt: T0.toISOString() }, { certificateId: 'b', host: 'b', lastReportAt: T0.toISOString() }],
    now: T0,
  } as unknown as Parameters<typeof startRotation>[0]);
  record = { ...record, ca: CA };
  await new FileRootRotations(dir).saveRotation(record, undefined);
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

describe('rotationReissues: what the scan starts for a phase', () => {
  it('renews a declared certificate by its id alone, an undeclared one as its current version, and leaves out one with none', () => {
    const current = new Map([['b', metadata(['b.mq.internal'], 'x', ['x'])]]);
    expect(rotationReissues(['a', 'b', 'gone'], [{ id: 'a' }], current)).toEqual([
      { certificateId: 'a' },
      // Usages certflow knows only (an unknown OID cannot be asked for); the lifetime in whole days.
      { certificateId: 'b', names: ['b.mq.internal'], keyType: 'ec-p256', issuer: 'privateCa', usages: ['clientAuth'], lifetimeDays: 7 },
    ]);
  });
});

describe('AdvanceRotation on the file store and events.jsonl', () => {
  const both = () => [record.oldRoot.fingerprintSha256, record.newRoot.fingerprintSha256];
  const distributed = (): StoredCertificateState[] =>
    ['a', 'b'].map((id) => ({ certificateId: id, current: { version: '2', metadata: metadata([`${id}.mq.internal`], record.oldRoot.fingerprintSha256, both()) } }));

  it('does nothing without a private CA or a rotation under way', async () => {
    const none = { ...deps([]), settings: {} } as unknown as Parameters<typeof advanceRotation>[1];
    expect(await advanceRotation({}, none)).toEqual({ active: false, reissue: [] });
  });

  it('holds while a member has no report since the rotation started (a report before it does not count), reissuing nothing up to date', async () => {
    // b reported both roots, but before the rotation started: stale.
    await report('b', new Date(T0.getTime() - 60_000), { trust: both(), anchor: record.oldRoot.fingerprintSha256 });
    await report('a', new Date(T0.getTime() + 1_000), { trust: both(), anchor: record.oldRoot.fingerprintSha256 });
    const held = await advanceRotation({}, deps(distributed()));
    expect(held).toMatchObject({ active: true, from: 'distribute', phase: 'distribute', advanced: false, reissue: [] });
    expect(held.heldBy).toEqual([{ certificateId: 'b', host: 'b', reason: 'no report since the rotation started' }]);
    expect((await new FileRootRotations(dir).rotation(CA))!.phase).toBe('distribute');
  });

  it('reissues, while held, a certificate whose current version is behind the phase (its reissue failed)', async () => {
    const behind = distributed();
    behind[1] = { certificateId: 'b', current: { version: '1', metadata: metadata(['b.mq.internal'], record.oldRoot.fingerprintSha256, [record.oldRoot.fingerprintSha256]) } };
    const held = await advanceRotation({}, deps(behind));
    expect(held.reissue.map((entry) => entry.certificateId)).toEqual(['b']);
  });

  it('moves to issue-new once every member reported both roots since the start, saves the record, and hands the scan every certificate', async () => {
    await report('b', new Date(T0.getTime() + 2_000), { trust: both(), anchor: record.oldRoot.fingerprintSha256 });
    const logs: string[] = [];
    const moved = await advanceRotation({}, deps(distributed(), logs));
    expect(moved).toMatchObject({ active: true, from: 'distribute', phase: 'issue-new', advanced: true });
    expect(moved.reissue).toEqual([{ certificateId: 'a' }, expect.objectContaining({ certificateId: 'b', issuer: 'privateCa' })]);
    expect((await new FileRootRotations(dir).rotation(CA))!.phase).toBe('issue-new');
    expect(logs).toContain('root rotation advanced');
  });
});
