/** Which host serves which version: the hosts' reports folded into the latest state per certificate and host. */
import { describe, expect, it } from 'vitest';
import { announcements, hostInventory, hostsOf, hostVerdict, NOT_SERVED_GRACE_MS, notServed, servedOf, unservedByGroup, type ReportEnvelope } from '../../../domain/core/host-inventory';

const certificate = { notBefore: '2025-01-01T00:00:00.000Z', notAfter: '2025-04-01T00:00:00.000Z' };
const installed = (time: string, host: string, version: string, certificateId = 'broker'): ReportEnvelope => ({
  time,
  source: 'certflow',
  'detail-type': 'Certificate Installed',
  detail: { certificateId, host, version, serialNumber: `0${version}`, ...certificate, reloaded: true },
});
const failed = (time: string, host: string, version: string, extra: Record<string, unknown> = {}): ReportEnvelope => ({
  time,
  source: 'certflow',
  'detail-type': 'Certificate Reload Failed',
  detail: { certificateId: 'broker', host, stage: 'reload', version, serialNumber: `0${version}`, error: 'exit 3', ...extra },
});
const renewed: ReportEnvelope = { time: 't0', source: 'certflow', 'detail-type': 'Certificate Renewed', detail: { certificateId: 'broker', version: '9' } };

describe('hostInventory', () => {
  it.each([
    { case: 'no reports', events: [renewed], expected: [] },
    {
      case: 'the latest install wins',
      events: [installed('t1', 'h1', '1'), installed('t2', 'h1', '2')],
      expected: [{ host: 'h1', installed: { version: '2', serialNumber: '02', at: 't2' }, lastReportAt: 't2' }],
    },
    {
      case: 'a failure after an install: both shown, the host still serves the installed version',
      events: [installed('t1', 'h1', '1'), failed('t2', 'h1', '2', { rolledBackTo: '1', rollbackReloaded: true })],
      expected: [{ host: 'h1', installed: { version: '1', at: 't1' }, failure: { stage: 'reload', version: '2', error: 'exit 3', rolledBackTo: '1', at: 't2' }, lastReportAt: 't2' }],
    },
    {
      case: 'an install after a failure clears it',
      events: [failed('t1', 'h1', '2'), installed('t2', 'h1', '2')],
      expected: [{ host: 'h1', installed: { version: '2', at: 't2' }, lastReportAt: 't2' }],
    },
    {
      case: 'a host that never installed: the failure alone',
      events: [failed('t1', 'h2', '1', { stage: 'verify', serialNumber: undefined })],
      expected: [{ host: 'h2', failure: { stage: 'verify', version: '1' }, lastReportAt: 't1' }],
    },
    {
      case: 'hosts apart, sorted; other sources and malformed details ignored',
      events: [
        installed('t1', 'h2', '1'),
        installed('t2', 'h1', '1'),
        { ...installed('t3', 'h1', '5'), source: 'someone.else' },
        { ...installed('t4', 'h1', '6'), detail: { certificateId: 'broker', host: 'h1' } },
      ],
      expected: [
        { host: 'h1', installed: { version: '1' } },
        { host: 'h2', installed: { version: '1' } },
      ],
    },
  ])('$case', ({ events, expected }) => {
    const states = hostInventory(events);
    expect(states).toHaveLength(expected.length);
    expected.forEach((state, i) => expect(states[i]).toMatchObject({ certificateId: 'broker', ...state }));
    for (const state of states) {
      if (!('installed' in (expected.find((e) => e.host === state.host) ?? {}))) expect(state.installed).toBeUndefined();
      if (!('failure' in (expected.find((e) => e.host === state.host) ?? {}))) expect(state.failure).toBeUndefined();
    }
  });

  it('keeps certificates apart: hostsOf picks one', () => {
    const states = hostInventory([installed('t1', 'h1', '1', 'web'), installed('t2', 'h1', '3', 'broker')]);
    expect(states.map((state) => [state.certificateId, state.installed?.version])).toEqual([
      ['broker', '3'],
      ['web', '1'],
    ]);
    expect(hostsOf(states, 'web').map((state) => state.installed?.version)).toEqual(['1']);
  });
});

describe('hostVerdict', () => {
  const [serving] = hostInventory([installed('t1', 'h1', '2')]);
  const [failing] = hostInventory([installed('t1', 'h1', '2'), failed('t2', 'h1', '3')]);
  it.each([
    { state: serving!, current: '2', verdict: 'current' },
    { state: serving!, current: '3', verdict: 'other' },
    { state: serving!, current: undefined, verdict: 'other' },
    { state: failing!, current: '2', verdict: 'failed' },
  ])('installed $state.installed.version, current $current: $verdict', ({ state, current, verdict }) => {
    expect(hostVerdict(state, current)).toBe(verdict);
  });
});

describe('renewed but not served (issue #20 point 2, locally)', () => {
  const served = (time: string, host: string, version: string): ReportEnvelope => {
    const report = installed(time, host, version);
    return { ...report, detail: { ...(report.detail as object), served: true, endpoints: [{ endpoint: '127.0.0.1:8883', serialNumber: `0${version}` }] } };
  };
  const at = (iso: string) => new Date(iso);
  const states = hostInventory([
    installed('2025-01-01T00:00:00Z', 'h-old', '1'),
    served('2025-01-01T00:01:00Z', 'h-served', '2'),
    installed('2025-01-01T00:01:00Z', 'h-unknown', '2'),
    failed('2025-01-01T00:01:00Z', 'h-failed', '2', { stage: 'serve', endpoint: '127.0.0.1:8883', servedSerialNumber: '01' }),
  ]);

  it('names each host without the current version served, with why, once the grace has passed', () => {
    expect(notServed(states, { currentVersion: '2', renewedAt: '2025-01-01T00:00:30Z', now: at('2025-01-01T00:20:00Z'), graceMs: 600_000 })).toEqual([
      { host: 'h-failed', reason: 'failed' },
      { host: 'h-old', reason: 'not installed' },
      { host: 'h-unknown', reason: 'served unknown' },
    ]);
  });

  it('names a silent host: served the previous version, then reported nothing at all after the renewal (no failure, no install)', () => {
    const silent = hostInventory([served('2025-01-01T00:00:00Z', 'h-silent', '1'), served('2025-01-01T00:00:00Z', 'h-done', '1'), served('2025-01-01T00:01:00Z', 'h-done', '2')]);
    expect(notServed(silent, { currentVersion: '2', renewedAt: '2025-01-01T00:00:30Z', now: at('2025-01-01T00:10:30Z'), graceMs: NOT_SERVED_GRACE_MS })).toEqual([{ host: 'h-silent', reason: 'not installed' }]);
  });

  it('says nothing within the grace (hosts take seconds, a missed event up to a reconcile)', () => {
    expect(notServed(states, { currentVersion: '2', renewedAt: '2025-01-01T00:00:30Z', now: at('2025-01-01T00:05:00Z'), graceMs: 600_000 })).toEqual([]);
  });

  it('reads served from the report: true, "unknown" when absent (agents before #20), nothing without an install', () => {
    expect(states.map((state) => [state.host, servedOf(state)])).toEqual([['h-failed', undefined], ['h-old', 'unknown'], ['h-served', true], ['h-unknown', 'unknown']]);
  });
});

describe('unservedByGroup (the served check, ADR 0016)', () => {
  const at = (iso: string) => new Date(iso);
  const renewed = (time: string, version: string): ReportEnvelope => ({ time, source: 'certflow', 'detail-type': 'Certificate Renewed', detail: { certificateId: 'c', version } });
  const report = (time: string, host: string, version: string, group?: string): ReportEnvelope => ({
    time,
    source: 'certflow',
    'detail-type': 'Certificate Installed',
    detail: { certificateId: 'c', host, ...(group ? { group } : {}), version, serialNumber: '0a', notBefore: '2025-01-01T00:00:00Z', notAfter: '2025-04-01T00:00:00Z', reloaded: true, served: true, endpoints: [{ endpoint: `${host}:443`, serialNumber: '0a' }] },
  });
  const groups = [{ name: 'brokers', certificateIds: ['c'] }, { name: 'web', certificateIds: ['c'] }];
  const events = [
    renewed('2025-01-01T00:00:00Z', '1'),
    report('2025-01-01T00:00:01Z', 'mq-1', '1', 'brokers'),
    report('2025-01-01T00:00:01Z', 'www-1', '1', 'web'),
    report('2025-01-01T00:00:01Z', 'old-1', '1'),
    renewed('2025-01-02T00:00:00Z', '2'),
    report('2025-01-02T00:00:05Z', 'www-1', '2', 'web'),
  ];

  it("counts a silent host in its own group only; a host whose reports name none in every group installing the certificate", () => {
    const unserved = unservedByGroup(events, groups, { now: at('2025-01-02T00:10:00Z'), graceMs: NOT_SERVED_GRACE_MS });
    expect(unserved.get('brokers')!.map((entry) => entry.host)).toEqual(['mq-1', 'old-1']);
    expect(unserved.get('web')!.map((entry) => entry.host)).toEqual(['old-1']);
    expect(unserved.get('brokers')![0]).toEqual({ certificateId: 'c', host: 'mq-1', reason: 'not installed', version: '2', announcedAt: '2025-01-02T00:00:00Z' });
  });

  it('does not count a host that left its group (isMember: on AWS, its queue is gone)', () => {
    const unserved = unservedByGroup(events, groups, { now: at('2025-01-02T00:10:00Z'), graceMs: NOT_SERVED_GRACE_MS, isMember: (group, host) => !(group === 'brokers' && host === 'old-1') });
    expect(unserved.get('brokers')!.map((entry) => entry.host)).toEqual(['mq-1']);
    expect(unserved.get('web')!.map((entry) => entry.host)).toEqual(['old-1']);
  });

  it('counts nothing within the grace, nor for a certificate never announced in the window', () => {
    expect([...unservedByGroup(events, groups, { now: at('2025-01-02T00:09:59Z'), graceMs: NOT_SERVED_GRACE_MS }).values()].flat()).toEqual([]);
    expect(unservedByGroup(events.filter((event) => event['detail-type'] !== 'Certificate Renewed'), groups, { now: at('2025-02-01T00:00:00Z'), graceMs: NOT_SERVED_GRACE_MS }).get('brokers')).toEqual([]);
  });

  it('takes the latest announcement, a rollback included', () => {
    const rolledBack: ReportEnvelope = { time: '2025-01-03T00:00:00Z', source: 'certflow', 'detail-type': 'Certificate Rolled Back', detail: { certificateId: 'c', version: '1', previousVersion: '2' } };
    expect(announcements([...events, rolledBack]).get('c')).toEqual({ certificateId: 'c', version: '1', at: '2025-01-03T00:00:00Z' });
    const unserved = unservedByGroup([...events, rolledBack], groups, { now: at('2025-01-03T00:10:00Z'), graceMs: NOT_SERVED_GRACE_MS });
    expect(unserved.get('web')!.map((entry) => [entry.host, entry.version])).toEqual([['www-1', '1']]);
  });
});
