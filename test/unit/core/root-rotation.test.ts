/**
 * The root rotation's phases (domain/core/root-rotation.ts): which root issues and which the
 * truststores hold in each phase, and the gate out of each phase, judged on host reports.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileRootRotations, RotationConflict } from '../../../domain/adapters/local/file-rotations';
import { LocalPrivateCa } from '../../../domain/adapters/local/local-private-ca';
import type { HostState } from '../../../domain/core/host-inventory';
import {
  certificateFingerprint,
  certificatesBehind,
  certificatesUnder,
  HOLD_REASONS,
  nextRotationPhase,
  rotationHolders,
  rotationTrust,
  startRotation,
  type RotationPhase,
  type RotationRecord,
  type RotationRoot,
} from '../../../domain/core/root-rotation';

const NOW = new Date('2026-12-06T12:00:00Z');
let dir: string;
let oldRoot: RotationRoot;
let newRoot: RotationRoot;
let OLD: string;
let NEW: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-rotation-unit-'));
  const ca = await LocalPrivateCa.open(path.join(dir, 'private-ca'));
  const made = await LocalPrivateCa.createRoot(path.join(dir, 'private-ca'), NOW);
  oldRoot = { authority: ca.authority, pem: ca.rootPem, fingerprintSha256: certificateFingerprint(ca.rootPem) };
  newRoot = { ...made, fingerprintSha256: certificateFingerprint(made.pem) };
  OLD = oldRoot.fingerprintSha256;
  NEW = newRoot.fingerprintSha256;
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

type Report = { trust?: string[]; anchor?: string; reloaded?: boolean; served?: true | 'unknown'; failed?: boolean };

function state(host: string, report: Report | undefined, certificateId = host): HostState {
  const at = NOW.toISOString();
  return {
    certificateId,
    host,
    ...(report
      ? {
          installed: {
            version: '3', serialNumber: '0a', notBefore: at, notAfter: at, reloaded: report.reloaded ?? true, served: report.served ?? true,
            ...(report.trust ? { trustAnchorsSha256: report.trust } : {}),
            ...(report.anchor ? { anchorSha256: report.anchor } : {}),
            at,
          },
        }
      : {}),
    ...(report?.failed ? { failure: { stage: 'reload', version: '4', error: 'reload command exited with code 1', at } } : {}),
    lastReportAt: at,
  } as HostState;
}

function record(phase: RotationPhase, hosts = ['a', 'b', 'c']): RotationRecord {
  return {
    ca: 'certflow:local-private-ca',
    phase,
    oldRoot,
    newRoot,
    certificateIds: hosts,
    members: hosts.map((host) => ({ certificateId: host, host })),
    startedAt: NOW.toISOString(),
    phaseSince: NOW.toISOString(),
    history: [{ phase, at: NOW.toISOString() }],
  };
}

describe('rotationTrust: which root issues, which roots the truststores hold', () => {
  it.each([
    ['distribute', 'old', ['old', 'new']],
    ['issue-new', 'new', ['new', 'old']],
    ['retire-old', 'new', ['new']],
    ['done', 'new', ['new']],
  ] as const)('%s: issues from the %s root, trusts %j', (phase, issuing, trusted) => {
    const pick = (which: 'old' | 'new') => (which === 'old' ? oldRoot : newRoot);
    const trust = rotationTrust(record(phase));
    expect(trust.issuing).toBe(pick(issuing));
    expect(trust.trusted).toEqual(trusted.map(pick));
  });

  it('no record: the configured CA as it is', () => {
    expect(rotationTrust(undefined)).toEqual({});
  });
});

describe('rotationHolders: the gate out of each phase', () => {
  // Fingerprints by name: the roots are made in beforeAll, after the table is built.
  const both = () => ['old', 'new'];
  it.each<[RotationPhase, Report | undefined, string | undefined]>([
    ['distribute', { trust: both(), anchor: 'old' }, undefined],
    ['distribute', { trust: both(), anchor: 'old', reloaded: false, served: 'unknown' }, HOLD_REASONS.notReloaded],
    ['distribute', { trust: ['old'], anchor: 'old' }, HOLD_REASONS.missingNewRoot],
    ['distribute', { anchor: 'old' }, HOLD_REASONS.missingNewRoot],
    ['distribute', undefined, HOLD_REASONS.noReport],
    ['distribute', { trust: both(), anchor: 'old', failed: true }, HOLD_REASONS.failed],
    ['issue-new', { trust: both(), anchor: 'new' }, undefined],
    ['issue-new', { trust: both(), anchor: 'old' }, HOLD_REASONS.oldRootLeaf],
    ['issue-new', { trust: both(), anchor: 'new', served: 'unknown' }, HOLD_REASONS.servedUnknown],
    ['retire-old', { trust: ['new'], anchor: 'new' }, undefined],
    ['retire-old', { trust: both(), anchor: 'new' }, HOLD_REASONS.stillTrustsOld],
    ['retire-old', { trust: ['new'], anchor: 'new', reloaded: false, served: 'unknown' }, HOLD_REASONS.notReloaded],
    ['done', undefined, undefined],
  ])('%s, host reports %j: held %s', (phase, report, reason) => {
    const fingerprint = (value: string) => (value === 'old' ? OLD : value === 'new' ? NEW : value);
    const resolved = report ? { ...report, trust: report.trust?.map(fingerprint), anchor: report.anchor ? fingerprint(report.anchor) : undefined } : undefined;
    const holders = rotationHolders(record(phase, ['a']), [state('a', resolved)]);
    expect(holders.map((holder) => holder.reason)).toEqual(reason ? [reason] : []);
  });
});

describe('nextRotationPhase', () => {
  it('moves on only when no member holds the phase, and records when', () => {
    const later = new Date(NOW.getTime() + 60_000);
    const passing = ['a', 'b', 'c'].map((host) => state(host, { trust: [OLD, NEW], anchor: OLD }));
    const step = nextRotationPhase(record('distribute'), passing, later);
    expect(step.advanced).toBe(true);
    expect(step.record.phase).toBe('issue-new');
    expect(step.record.phaseSince).toBe(later.toISOString());
    expect(step.record.history.map((entry) => entry.phase)).toEqual(['distribute', 'issue-new']);
    // The hosts have not yet installed new-root leaves: the new phase is held by all three.
    expect(step.holders.map((holder) => [holder.host, holder.reason])).toEqual(['a', 'b', 'c'].map((host) => [host, HOLD_REASONS.oldRootLeaf]));
  });

  it('a member that reported before the rotation and is down since holds phase distribute: nothing moves', () => {
    const states = [state('a', { trust: [OLD, NEW], anchor: OLD }), state('b', { trust: [OLD, NEW], anchor: OLD }), state('c', { trust: [OLD], anchor: OLD })];
    const step = nextRotationPhase(record('distribute'), states, NOW);
    expect(step.advanced).toBe(false);
    expect(step.record).toEqual(record('distribute'));
    expect(step.holders).toEqual([{ certificateId: 'c', host: 'c', reason: HOLD_REASONS.missingNewRoot, version: '3' }]);
  });

  it('goes through every phase to done, and done stays done', () => {
    let current = record('distribute');
    const reports: Record<RotationPhase, Report> = {
      distribute: { trust: [OLD, NEW], anchor: OLD },
      'issue-new': { trust: [NEW, OLD], anchor: NEW },
      'retire-old': { trust: [NEW], anchor: NEW },
      done: { trust: [NEW], anchor: NEW },
    };
    const phases = [current.phase];
    for (let step = 0; step < 4; step += 1) {
      current = nextRotationPhase(current, ['a', 'b', 'c'].map((host) => state(host, reports[current.phase])), NOW).record;
      phases.push(current.phase);
    }
    expect(phases).toEqual(['distribute', 'issue-new', 'retire-old', 'done', 'done']);
  });
});

describe('startRotation and certificatesUnder', () => {
  it('members are the reported hosts of the CA\'s certificates only; certificates by recorded anchor, else by issuer name', () => {
    const subject = 'CN=certflow local private CA, O=certflow';
    const inventory = [
      { certificateId: 'recorded', current: { metadata: { anchorSha256: OLD, issuer: 'CN=whatever' } } },
      { certificateId: 'older', current: { metadata: { issuer: subject } } },
      { certificateId: 'other-root', current: { metadata: { anchorSha256: NEW, issuer: subject } } },
      { certificateId: 'acme', current: { metadata: { issuer: 'CN=Pebble Intermediate CA' } } },
      { certificateId: 'failed-only' },
    ];
    const ids = certificatesUnder(oldRoot, inventory);
    expect(ids).toEqual(['recorded', 'older']);
    const started = startRotation({ ca: 'x', oldRoot, newRoot, certificateIds: ids, states: [state('h1', {}, 'recorded'), state('h2', {}, 'acme'), state('h3', {}, 'older')], now: NOW });
    expect(started.members).toEqual([{ certificateId: 'recorded', host: 'h1' }, { certificateId: 'older', host: 'h3' }]);
    expect(started.phase).toBe('distribute');
  });
});

describe('certificatesBehind', () => {
  it('names the certificates whose current version is not what the phase issues', () => {
    const current = new Map([
      ['a', { anchorSha256: OLD, trustAnchorsSha256: [NEW, OLD] }],
      ['b', { anchorSha256: OLD, trustAnchorsSha256: [OLD] }],
      ['c', { anchorSha256: NEW, trustAnchorsSha256: [OLD, NEW] }],
    ]);
    expect(certificatesBehind(record('distribute'), current)).toEqual(['b', 'c']);
    expect(certificatesBehind(record('issue-new'), current)).toEqual(['a', 'b']);
    expect(certificatesBehind(record('retire-old'), new Map([['a', { anchorSha256: NEW, trustAnchorsSha256: [NEW] }]]))).toEqual(['b', 'c']);
  });
});

describe('FileRootRotations', () => {
  it('writes a record only over the phase it expects', async () => {
    const rotations = new FileRootRotations(dir);
    const first = record('distribute');
    await rotations.saveRotation(first, undefined);
    expect(await rotations.rotation(first.ca)).toEqual(first);
    await expect(rotations.saveRotation(record('issue-new'), undefined)).rejects.toThrow(RotationConflict);
    await rotations.saveRotation(record('issue-new'), 'distribute');
    expect((await rotations.rotation(first.ca))?.phase).toBe('issue-new');
    expect(await rotations.rotation('another-ca')).toBeUndefined();
  });
});
