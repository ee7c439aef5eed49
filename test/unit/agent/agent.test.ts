/** The agent's core against an in-memory source, a recording reload action and a real install directory. */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyBundle } from '../../../agent/bundle-check';
import { CertificateAgent, isDone } from '../../../agent/certificate-agent';
import { InstallDir } from '../../../agent/install/install-dir';
import { NotServed } from '../../../agent/errors';
import type { PresentedLeaf, ReceivedEvent, ServedVerifier } from '../../../agent/ports';
import type { CertificateBundle } from '../../../domain/core/bundle';
import { issueBundle, MemorySource, otherRootPem, testAuthorityPem, recordingLog, RecordingReload, RecordingReporter, renewedEnvelope, rolledBackEnvelope, tempDir } from './fixtures';

const ID = 'broker';
const HOUR = 3_600_000;
let root: string;
let installDir: InstallDir;
let source: MemorySource;
let reload: RecordingReload;
let reporter: RecordingReporter;
let log: ReturnType<typeof recordingLog>;

beforeEach(async () => {
  root = await tempDir('agent');
  installDir = new InstallDir(root);
  source = new MemorySource();
  reload = new RecordingReload();
  reporter = new RecordingReporter();
  log = recordingLog();
});
afterEach(async () => fs.rm(root, { recursive: true, force: true }));

function agent(options: { withReload?: boolean; keepVersions?: number; trustAnchors?: string[]; served?: ServedVerifier; group?: string } = {}) {
  return new CertificateAgent({
    certificateIds: [ID],
    source,
    installDir,
    reload: options.withReload === false ? undefined : reload,
    reporter,
    log,
    now: () => new Date(),
    keepVersions: options.keepVersions ?? 5,
    host: 'broker-1',
    ...(options.trustAnchors ? { trustAnchors: options.trustAnchors } : {}),
    ...(options.served ? { served: options.served } : {}),
    ...(options.group ? { group: options.group } : {}),
  });
}

let eventCount = 0;
const delivery = (bundle: CertificateBundle, overrides: Record<string, unknown> = {}): ReceivedEvent => {
  const id = `m${++eventCount}`;
  return { id, receipt: `r-${id}`, envelope: renewedEnvelope(bundle, overrides), receiveCount: 1 };
};
/** Versions issued an hour apart, oldest first, as successive renewals. */
const renewals = (count: number) =>
  Promise.all(Array.from({ length: count }, (_, i) => issueBundle(ID, `v${i + 1}`, { notBefore: new Date(Date.now() - (count - i) * HOUR) })));
const liveMetadata = async () => JSON.parse(await fs.readFile(path.join(root, 'live', ID, 'metadata.json'), 'utf8')) as { version: string };

describe('start-up', () => {
  it('installs the current version when nothing is on disk (a host that was off catches up)', async () => {
    source.add((await renewals(1))[0]!);
    expect(await agent().start(ID)).toEqual({ status: 'installed', n: 1, version: 'v1' });
    expect((await liveMetadata()).version).toBe('v1');
    expect(reload.versions()).toEqual(['v1']);
    expect(await installDir.readReloaded(ID)).toBe(1);
  });

  it('never makes live a version planted in archive/ that the store does not hold (issue #12)', async () => {
    const [v1] = await renewals(1);
    source.add(v1!);
    await agent().start(ID);
    // Someone writes a complete, self-consistent version 2 (its own key and certificate) and breaks live.
    const planted = await issueBundle(ID, 'v2');
    await installDir.writeVersion(planted, verifyBundle(planted, { certificateId: ID }, new Date()));
    await fs.rm(path.join(root, 'archive', ID, '1', 'privkey.pem'));

    const outcome = await agent().start(ID);

    expect((await liveMetadata()).version).toBe('v1'); // the store's version, installed again
    expect(outcome).toMatchObject({ version: 'v1' });
    expect(log.lines.find((line) => line.message === 'repaired install directory')?.fields).toMatchObject({ unknownToStore: [2] });
  });

  it('is quiet when the installed version is current, and says so when the store has none', async () => {
    expect(await agent().start(ID)).toEqual({ status: 'absent' });
    source.add((await renewals(1))[0]!);
    await agent().start(ID);
    expect(await agent().start(ID)).toEqual({ status: 'current', n: 1, version: 'v1' });
    expect(reload.versions()).toEqual(['v1']);
  });

  it('reloads a version a crash switched to but never loaded', async () => {
    const [v1, v2] = await renewals(2);
    source.add(v1!);
    await agent().start(ID);
    source.add(v2!);
    // The crash: v2 written and live switched (state still says 1), the process died before the reload.
    await installDir.switchLive(ID, await installDir.writeVersion(v2!, verifyBundle(v2!, { certificateId: ID }, new Date())));

    expect(await agent().start(ID)).toEqual({ status: 'current', n: 2, version: 'v2' });
    expect(reload.versions()).toEqual(['v1', 'v2']);
    expect(await installDir.readReloaded(ID)).toBe(2);
    expect(reporter.installs.map((report) => report.version)).toEqual(['v1', 'v2']); // once each, not again for "current"
    reporter.installs.length = 0;
    expect(await agent().start(ID)).toEqual({ status: 'current', n: 2, version: 'v2' });
    expect(reporter.installs).toEqual([expect.objectContaining({ version: 'v2', reloaded: true, served: 'unknown' })]); // a restart says what it has
  });
});

describe('events', () => {
  it('installs a newer version, then ignores duplicates and older ones without fetching', async () => {
    const [v1, v2] = await renewals(2);
    source.add(v1!);
    source.add(v2!);
    const subject = agent();
    expect(await subject.handleEvent(delivery(v1!))).toMatchObject({ status: 'installed', version: 'v1' });
    expect(await subject.handleEvent(delivery(v2!))).toMatchObject({ status: 'installed', version: 'v2', n: 2 });
    source.calls.length = 0;
    expect(await subject.handleEvent(delivery(v2!))).toEqual({ status: 'current', n: 2, version: 'v2' });
    expect(await subject.handleEvent(delivery(v1!))).toEqual({ status: 'older', version: 'v1' });
    expect(source.calls).toEqual([]);
    expect(reload.versions()).toEqual(['v1', 'v2']);
  });

  it('breaks a same-second tie with the store: its current version wins, whatever the serials', async () => {
    const second = new Date(Math.floor(Date.now() / 1000) * 1000 - HOUR);
    const v1 = await issueBundle(ID, 'v1', { notBefore: second, serial: '01ff' });
    const v2 = await issueBundle(ID, 'v2', { notBefore: second, serial: '0101' });
    source.add(v1);
    const subject = agent();
    await subject.start(ID);
    source.add(v2);
    expect(await subject.handleEvent(delivery(v2))).toMatchObject({ status: 'installed', version: 'v2' });
    expect(await subject.handleEvent(delivery(v1))).toEqual({ status: 'older', version: 'v1' });
    expect(source.calls).toEqual([`current ${ID}`, `current ${ID}`, `current ${ID}`]);
  });

  it('ignores certificates it does not manage and rejects malformed events (acknowledged: retrying cannot help), each with a warning', async () => {
    const other = await issueBundle('other', 'v1');
    expect(await agent().handleEvent(delivery(other))).toEqual({ status: 'ignored', reason: "certificate 'other' is not managed here" });
    const malformed = { id: 'x', receipt: 'rx', envelope: 'not json', receiveCount: 3 };
    const outcome = await agent().handleEvent(malformed);
    expect(outcome).toMatchObject({ status: 'rejected', reason: expect.stringContaining('invalid event') });
    expect(isDone(outcome)).toBe(true);
    expect(source.calls).toEqual([]);
    expect(log.lines.filter((line) => line.level === 'warn').map((line) => line.message)).toEqual([
      'event ignored: certificate not managed here',
      'event ignored: not a certflow store event',
    ]);
  });

  it('refuses a version that fails verification and leaves the disk alone', async () => {
    const [v1, v2] = await renewals(2);
    source.add(v1!);
    await agent().start(ID);
    const tampered = { ...v2!, files: { ...v2!.files, 'privkey.pem': v1!.files['privkey.pem']! } };
    source.add(tampered);
    const outcome = await agent().handleEvent(delivery(v2!));
    expect(outcome).toMatchObject({ status: 'rejected', reason: expect.stringContaining('does not match') });
    expect(await installDir.versionNumbers(ID)).toEqual([1]);
    expect(await installDir.liveVersion(ID)).toBe(1);
    expect(reload.versions()).toEqual(['v1']);
    expect(reporter.reports).toEqual([{ certificateId: ID, host: 'broker-1', stage: 'verify', version: 'v2', error: expect.stringContaining('does not match') }]);
  });

  it('names its group in every report when it has one (which NotServed alarm counts it, ADR 0016)', async () => {
    const [v1, v2] = await renewals(2);
    source.add(v1!);
    await agent({ group: 'brokers' }).start(ID);
    source.add({ ...v2!, files: { ...v2!.files, 'privkey.pem': v1!.files['privkey.pem']! } });
    await agent({ group: 'brokers' }).handleEvent(delivery(v2!));
    expect(reporter.installs).toEqual([expect.objectContaining({ host: 'broker-1', group: 'brokers', version: 'v1' })]);
    expect(reporter.reports).toEqual([expect.objectContaining({ host: 'broker-1', group: 'brokers', stage: 'verify', version: 'v2' })]);
  });

  it('refuses a bundle other than the one the event announced', async () => {
    const [v1, v2] = await renewals(2);
    source.add({ ...v1!, version: 'v2' }); // the store answers v2 with v1's certificate
    expect(await agent().handleEvent(delivery(v2!))).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/announced serialNumber/) });
  });
});

describe('events are hints, never authority (issue #10)', () => {
  /** Installed v2 (the newest), with v1 still in the store. */
  async function onV2() {
    const [v1, v2] = await renewals(2);
    source.add(v1!);
    source.add(v2!);
    const subject = agent();
    await subject.start(ID);
    reload.loaded.length = 0;
    reporter.installs.length = 0;
    log.lines.length = 0;
    return { v1: v1!, v2: v2!, subject };
  }
  const untouched = async () => {
    expect(await installDir.versionNumbers(ID)).toEqual([1]);
    expect((await liveMetadata()).version).toBe('v2');
    expect(reload.loaded).toEqual([]);
    expect(reporter.installs).toEqual([]);
  };
  const warnings = () => log.lines.filter((line) => line.level === 'warn').map((line) => line.message);

  it('reads the version from its own secret: a location naming another secret is not followed', async () => {
    const { subject } = await onV2();
    const elsewhere = await issueBundle(ID, 'v3', { notBefore: new Date() });
    source.calls.length = 0;
    const outcome = await subject.handleEvent(delivery(elsewhere, { location: 'arn:aws:secretsmanager:eu-west-1:999999999999:secret:evil-AbCdEf' }));
    expect(outcome).toMatchObject({ status: 'failed', reason: expect.stringContaining('no version v3') });
    expect(source.calls).toEqual([`version ${ID} v3`]);
    await untouched();
  });

  it('refuses an older version announced with a future notBefore (no downgrade, no reload, a warning and a report), however often it comes', async () => {
    const { v1, subject } = await onV2();
    const future = new Date(Date.now() + 30 * 24 * HOUR).toISOString();
    for (let attempt = 0; attempt < 3; attempt++) {
      expect(await subject.handleEvent(delivery(v1, { notBefore: future }))).toMatchObject({ status: 'rejected', reason: expect.stringContaining('announced notBefore') });
    }
    await untouched();
    expect(warnings()).toEqual(['version refused: nothing installed', 'version refused: nothing installed', 'version refused: nothing installed']);
    expect(reporter.reports.map((report) => [report.stage, report.version])).toEqual([['verify', 'v1'], ['verify', 'v1'], ['verify', 'v1']]);
  });

  it('ignores another certificate id and garbage, with a warning each', async () => {
    const { subject } = await onV2();
    const other = await issueBundle('other', 'v9');
    const outcomes = [
      await subject.handleEvent(delivery(other)),
      await subject.handleEvent({ id: 'g1', receipt: 'r', envelope: '\u0000garbage', receiveCount: 1 }),
      await subject.handleEvent({ id: 'g2', receipt: 'r', envelope: { source: 'certflow', 'detail-type': 'Certificate Renewed', detail: { certificateId: ID } }, receiveCount: 1 }),
    ];
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['ignored', 'rejected', 'rejected']);
    expect(outcomes.every(isDone)).toBe(true);
    await untouched();
    expect(warnings()).toEqual(['event ignored: certificate not managed here', 'event ignored: not a certflow store event', 'event ignored: not a certflow store event']);
  });

  it('publishes "Certificate Installed" with its host id after every install', async () => {
    const [v1, v2] = await renewals(2);
    source.add(v1!);
    const subject = agent();
    await subject.start(ID);
    source.add(v2!);
    await subject.handleEvent(delivery(v2!));
    expect(reporter.installs).toEqual([v1!, v2!].map(({ version, metadata }) => ({
      certificateId: ID, host: 'broker-1', version, serialNumber: metadata.serialNumber, notBefore: metadata.notBefore, notAfter: metadata.notAfter, reloaded: true, served: 'unknown',
    })));
  });

  it('reports an install that fails (disk full) and leaves the event for retry', async () => {
    const [v1, v2] = await renewals(2);
    source.add(v1!);
    const subject = agent();
    await subject.start(ID);
    source.add(v2!);
    const writeVersion = installDir.writeVersion.bind(installDir);
    installDir.writeVersion = async () => {
      throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    };
    expect(await subject.handleEvent(delivery(v2!))).toMatchObject({ status: 'failed', reason: expect.stringContaining('ENOSPC') });
    expect(reporter.reports).toEqual([{ certificateId: ID, host: 'broker-1', stage: 'install', version: 'v2', serialNumber: v2!.metadata.serialNumber, error: 'ENOSPC: no space left on device' }]);
    installDir.writeVersion = writeVersion;
    expect(await subject.handleEvent(delivery(v2!))).toMatchObject({ status: 'installed', version: 'v2' });
  });
});

describe('trust anchors pinned on the host (issue #12 point 4)', () => {
  it('installs a chain that leads to a pinned root, and refuses one that does not (reported, nothing on disk)', async () => {
    const [v1] = await renewals(1);
    source.add(v1!);
    expect(await agent({ trustAnchors: [await otherRootPem()] }).start(ID)).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/trust anchor|anchor/i) });
    expect(await installDir.liveVersion(ID)).toBeUndefined();
    expect(reporter.reports).toEqual([expect.objectContaining({ stage: 'verify', version: 'v1' })]);
    expect(await agent({ trustAnchors: [await otherRootPem(), await testAuthorityPem()] }).start(ID)).toMatchObject({ status: 'installed', version: 'v1' });
  });
});

describe('rollbacks are followed (the store says so, the event only wakes the agent)', () => {
  it('installs the version the store made current again when a rollback is announced', async () => {
    const [v1, v2] = await renewals(2);
    source.add(v1!);
    source.add(v2!);
    const subject = agent();
    await subject.start(ID);
    source.rollBackTo(ID, 'v1');
    expect(await subject.handleEvent({ id: 'rb', receipt: 'r', envelope: rolledBackEnvelope(v1!, 'v2'), receiveCount: 1 })).toEqual({ status: 'installed', n: 2, version: 'v1' });
    expect((await liveMetadata()).version).toBe('v1');
    expect(reload.versions()).toEqual(['v2', 'v1']);
  });

  it('ignores a rollback event the store does not agree with', async () => {
    const [v1, v2] = await renewals(2);
    source.add(v1!);
    source.add(v2!);
    const subject = agent();
    await subject.start(ID);
    expect(await subject.handleEvent({ id: 'rb', receipt: 'r', envelope: rolledBackEnvelope(v1!, 'v2'), receiveCount: 1 })).toMatchObject({ status: 'ignored' });
    expect((await liveMetadata()).version).toBe('v2');
    expect(reload.versions()).toEqual(['v2']);
    expect(log.lines.some((line) => line.level === 'warn' && line.message.startsWith('rollback event ignored'))).toBe(true);
  });

  it('a host that missed the rollback follows it when it reconciles; a stale read of the store does not move it', async () => {
    const [v1, v2] = await renewals(2);
    source.add(v1!);
    source.add(v2!);
    const subject = agent();
    await subject.start(ID);
    const staleCurrent = source.current.bind(source);
    source.current = async () => v1; // a read that still sees v1 as current, while the store calls v2 current
    expect(await subject.reconcile(ID)).toEqual({ status: 'older', version: 'v1' });
    source.current = staleCurrent;
    source.rollBackTo(ID, 'v1');
    expect(await subject.reconcile(ID)).toEqual({ status: 'installed', n: 2, version: 'v1' });
    expect((await liveMetadata()).version).toBe('v1');
  });
});

describe('reload failure', () => {
  it('switches live back, reloads the previous version, reports, and asks for a retry; the retry reuses the written version', async () => {
    const [v1, v2] = await renewals(2);
    source.add(v1!);
    const subject = agent();
    await subject.start(ID);
    source.add(v2!);
    reload.failFor.add('v2');

    const outcome = await subject.handleEvent(delivery(v2!));

    expect(outcome).toEqual({ status: 'failed', reason: 'reload of version v2 failed: service refused version v2' });
    expect(await installDir.liveVersion(ID)).toBe(1);
    expect(reload.versions()).toEqual(['v1', 'v2', 'v1']);
    expect(reporter.reports).toEqual([
      { certificateId: ID, host: 'broker-1', stage: 'reload', version: 'v2', serialNumber: v2!.metadata.serialNumber, error: 'service refused version v2', rolledBackTo: 'v1', rollbackReloaded: true },
    ]);
    expect(log.lines.filter((line) => line.level === 'error').map((line) => line.message)).toEqual(['Certificate Reload Failed']);

    reload.failFor.clear();
    expect(await subject.handleEvent(delivery(v2!))).toEqual({ status: 'installed', n: 2, version: 'v2' });
    expect(await installDir.versionNumbers(ID)).toEqual([1, 2]);
  });

  it('reports a rollback whose reload failed too', async () => {
    const [v1, v2] = await renewals(2);
    source.add(v1!);
    const subject = agent();
    await subject.start(ID);
    source.add(v2!);
    reload.failFor.add('v2').add('v1');
    await subject.handleEvent(delivery(v2!));
    expect(reporter.reports[0]).toMatchObject({ rolledBackTo: 'v1', rollbackReloaded: false, rollbackError: 'service refused version v1' });
  });

  it('keeps the first version live when there is nothing to roll back to, and reloads it on the next delivery', async () => {
    const [v1] = await renewals(1);
    source.add(v1!);
    reload.failFor.add('v1');
    const subject = agent();
    expect(await subject.handleEvent(delivery(v1!))).toMatchObject({ status: 'failed' });
    expect(await installDir.liveVersion(ID)).toBe(1);
    expect(reporter.reports[0]).not.toHaveProperty('rolledBackTo');

    reload.failFor.clear();
    expect(await subject.handleEvent(delivery(v1!))).toEqual({ status: 'reloaded', n: 1, version: 'v1' });
    expect(reload.versions()).toEqual(['v1', 'v1']);
  });
});

describe('reconcile and housekeeping', () => {
  it('catches up with a version whose event never came', async () => {
    const [v1, v2] = await renewals(2);
    source.add(v1!);
    const subject = agent();
    await subject.start(ID);
    source.add(v2!);
    expect(await subject.reconcile(ID)).toEqual({ status: 'installed', n: 2, version: 'v2' });
    expect(await subject.reconcile(ID)).toEqual({ status: 'current', n: 2, version: 'v2' });
  });

  it('handles events and reconciles of one certificate one at a time', async () => {
    const [v1, v2] = await renewals(2);
    source.add(v1!);
    source.add(v2!);
    const subject = agent();
    const outcomes = await Promise.all([subject.handleEvent(delivery(v1!)), subject.reconcile(ID), subject.handleEvent(delivery(v2!))]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['installed', 'installed', 'current']);
    expect(await installDir.versionNumbers(ID)).toEqual([1, 2]);
  });

  it('without a reload action, installing is switching live', async () => {
    source.add((await renewals(1))[0]!);
    expect(await agent({ withReload: false }).start(ID)).toEqual({ status: 'installed', n: 1, version: 'v1' });
    expect(reload.versions()).toEqual([]);
  });

  it('keeps the last N versions', async () => {
    const subject = agent({ keepVersions: 3 });
    for (const bundle of await renewals(6)) {
      source.add(bundle);
      await subject.handleEvent(delivery(bundle));
    }
    expect(await installDir.versionNumbers(ID)).toEqual([4, 5, 6]);
    expect((await liveMetadata()).version).toBe('v6');
  });
});

/** A verifier whose endpoint presents what `presenting` says (the version the test's "server" loaded). */
function fakeServed(presenting: () => PresentedLeaf | undefined): ServedVerifier & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    endpoints: ['127.0.0.1:8883'],
    async confirm(expected) {
      asked.push(expected.serialNumber);
      const leaf = presenting();
      if (leaf?.fingerprintSha256 === expected.fingerprintSha256) return [{ endpoint: '127.0.0.1:8883', serialNumber: leaf.serialNumber }];
      throw new NotServed(`127.0.0.1:8883 did not present serial ${expected.serialNumber} within 50 ms`, { endpoint: '127.0.0.1:8883', ...(leaf ? { servedSerialNumber: leaf.serialNumber } : {}) });
    },
  };
}

describe('what is served (--verify-tls, issue #20 point 1)', () => {
  /** The "server" presents the last version it was asked to reload, unless told to keep the old one. */
  function servingLastReload(bundles: CertificateBundle[], stuck = new Set<string>()) {
    let presenting: PresentedLeaf | undefined;
    const reloadOf = reload.reload.bind(reload);
    reload.reload = async (context) => {
      await reloadOf(context);
      if (!stuck.has(context.version)) presenting = bundles.find((bundle) => bundle.version === context.version)!.metadata;
    };
    return fakeServed(() => presenting);
  }

  it('reports served true with the endpoint and the served serial once the endpoint presents the new leaf', async () => {
    const [v1, v2] = await renewals(2);
    const served = servingLastReload([v1!, v2!]);
    source.add(v1!);
    const subject = agent({ served });
    await subject.start(ID);
    source.add(v2!);
    expect(await subject.handleEvent(delivery(v2!))).toEqual({ status: 'installed', n: 2, version: 'v2' });
    expect(reporter.installs.at(-1)).toEqual(expect.objectContaining({ version: 'v2', served: true, endpoints: [{ endpoint: '127.0.0.1:8883', serialNumber: v2!.metadata.serialNumber }] }));
    expect(log.lines.filter((line) => line.message === 'service reloaded').at(-1)?.fields).toMatchObject({ served: true, version: 'v2' });
    expect(served.asked).toEqual([v1!.metadata.serialNumber, v2!.metadata.serialNumber]);
  });

  it('a reload that does not lead to the new leaf being served is a failed reload (stage serve): rolled back, reloaded, reported', async () => {
    const [v1, v2] = await renewals(2);
    const served = servingLastReload([v1!, v2!], new Set(['v2']));
    source.add(v1!);
    const subject = agent({ served });
    await subject.start(ID);
    source.add(v2!);

    const outcome = await subject.handleEvent(delivery(v2!));

    expect(outcome).toMatchObject({ status: 'failed', reason: expect.stringContaining('serving of version v2 failed') });
    expect(await installDir.liveVersion(ID)).toBe(1);
    expect(await installDir.readReloaded(ID)).toBe(1);
    expect(reload.versions()).toEqual(['v1', 'v2', 'v1']);
    expect(reporter.reports).toEqual([
      {
        certificateId: ID, host: 'broker-1', stage: 'serve', version: 'v2', serialNumber: v2!.metadata.serialNumber,
        error: expect.stringContaining('did not present serial'), endpoint: '127.0.0.1:8883', servedSerialNumber: v1!.metadata.serialNumber,
        rolledBackTo: 'v1', rollbackReloaded: true,
      },
    ]);
    expect(isDone(outcome)).toBe(false); // left for redelivery
  });

  it('without --verify-tls, installs report served "unknown" and no endpoint', async () => {
    source.add((await renewals(1))[0]!);
    await agent().start(ID);
    expect(reporter.installs).toEqual([expect.objectContaining({ served: 'unknown' })]);
    expect(reporter.installs[0]).not.toHaveProperty('endpoints');
  });

  it('is not asked without a reload action (files only): nothing was reloaded to check', async () => {
    const served = fakeServed(() => undefined);
    source.add((await renewals(1))[0]!);
    expect(await agent({ withReload: false, served }).start(ID)).toMatchObject({ status: 'installed' });
    expect(served.asked).toEqual([]);
    expect(reporter.installs).toEqual([expect.objectContaining({ reloaded: false, served: 'unknown' })]);
  });
});

describe('first boot (issue #20 point 6)', () => {
  it('a failed reload followed by a files-only start leaves the host reported installed last, not failed', async () => {
    const [v1] = await renewals(1);
    source.add(v1!);
    reload.failFor.add('v1'); // first boot with a reload flag: no service to reload yet
    expect(await agent().start(ID)).toMatchObject({ status: 'failed' });
    expect(reporter.reports.map((report) => report.stage)).toEqual(['reload']);

    expect(await agent({ withReload: false }).start(ID)).toEqual({ status: 'current', n: 1, version: 'v1' });
    expect(reporter.installs).toEqual([expect.objectContaining({ version: 'v1', reloaded: false, served: 'unknown' })]);
  });
});
