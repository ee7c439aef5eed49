import { describe, expect, it } from 'vitest';
import { InvalidEvent } from '../../../agent/errors';
import { decide, type InstalledVersion } from '../../../agent/ordering';
import { isStoreNoticeEnvelope, parseStoreNotice } from '../../../agent/store-notice';

const T0 = '2026-03-01T00:00:00.000Z';
const T1 = '2026-04-01T00:00:00.000Z';
const installed = (notBefore: string, serialNumber: string, reloaded = true): InstalledVersion => ({ notBefore, serialNumber, reloaded });

describe('decide: which delivered version to act on', () => {
  it.each([
    ['nothing installed', undefined, { notBefore: T0, serialNumber: '0a' }, undefined, 'install'],
    ['later notBefore', installed(T0, 'ff'), { notBefore: T1, serialNumber: '01' }, undefined, 'install'],
    ['earlier notBefore (a late or replayed event)', installed(T1, '01'), { notBefore: T0, serialNumber: 'ff' }, undefined, 'older'],
    ['the installed one again (duplicate delivery)', installed(T0, '0a'), { notBefore: T0, serialNumber: '0a' }, undefined, 'duplicate'],
    ['installed but never loaded (crash before the reload)', installed(T0, '0a', false), { notBefore: T0, serialNumber: '0a' }, undefined, 'reload'],
    ['leading zeros do not make another certificate', installed(T0, '00a1'), { notBefore: T0, serialNumber: 'a1' }, undefined, 'duplicate'],
    ['another spelling of the same instant', installed('2026-03-01T01:00:00+01:00', '0a'), { notBefore: T0, serialNumber: '0a' }, undefined, 'duplicate'],
    ['same second, another certificate: the store decides', installed(T0, '0b'), { notBefore: T0, serialNumber: '0a' }, undefined, 'ask-store'],
    ['same second, and the store calls it current', installed(T0, '0b'), { notBefore: T0, serialNumber: '0a' }, true, 'install'],
    ['same second, and the store does not', installed(T0, '0a'), { notBefore: T0, serialNumber: '0b' }, false, 'older'],
    ['the store is not asked about a clear order', installed(T1, '0a'), { notBefore: T0, serialNumber: '0b' }, true, 'older'],
  ] as const)('%s → %s', (_case, current, candidate, isStoreCurrent, expected) => {
    expect(decide(current, candidate, isStoreCurrent)).toBe(expected);
  });

  it('ends on the newest version whatever order the deliveries come in', () => {
    const versions = [
      { notBefore: T0, serialNumber: '02' },
      { notBefore: T1, serialNumber: '01' },
      { notBefore: '2026-05-01T00:00:00.000Z', serialNumber: '03' },
    ];
    for (const order of [[0, 1, 2], [2, 1, 0], [1, 2, 0], [2, 0, 1]]) {
      let current: InstalledVersion | undefined;
      for (const index of order) if (decide(current, versions[index]!) === 'install') current = { ...versions[index]!, reloaded: true };
      expect(current).toMatchObject(versions[2]!);
    }
  });
});

describe('parseStoreNotice: an event read as a hint', () => {
  const detail = {
    certificateId: 'broker-eu1',
    version: '6f0c2a7e-1b2c-4d5e-8f90-123456789abc',
    location: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:certflow/certificates/broker-eu1-AbCdEf',
    serialNumber: '04a1b2',
    notBefore: T0,
    fingerprintSha256: 'ab'.repeat(32),
    names: ['mq.example.com'],
  };
  const envelope = (changes: Record<string, unknown> = {}, detailChanges: Record<string, unknown> = {}) => ({
    source: 'certflow',
    'detail-type': 'Certificate Renewed',
    detail: { ...detail, ...detailChanges },
    ...changes,
  });

  const identity = { certificateId: detail.certificateId, version: detail.version, serialNumber: detail.serialNumber, notBefore: T0, fingerprintSha256: detail.fingerprintSha256 };

  it('reads only the identity of the version from a "Certificate Renewed" envelope: not the location it names', () => {
    expect(parseStoreNotice(envelope())).toEqual({ kind: 'renewed', ...identity });
  });

  it('reads "Certificate Rolled Back" as a rollback notice', () => {
    const rolledBack = envelope({ 'detail-type': 'Certificate Rolled Back' }, { location: undefined, names: undefined, previousVersion: 'v9' });
    expect(parseStoreNotice(rolledBack)).toEqual({ kind: 'rolled-back', ...identity });
    expect(isStoreNoticeEnvelope(rolledBack)).toBe(true);
    expect(isStoreNoticeEnvelope(envelope({ 'detail-type': 'Certificate Installed' }))).toBe(false);
  });

  it('quotes at most 100 characters of a foreign source or detail-type', () => {
    expect(() => parseStoreNotice(envelope({ source: 'x'.repeat(10_000) }))).toThrow(/'x{100}'/);
    expect(() => parseStoreNotice(envelope({ source: 'x'.repeat(10_000) }))).not.toThrow(/x{101}/);
  });

  it.each([
    ['not JSON (raw body)', 'hello', /not a JSON object/],
    ['another detail-type', envelope({ 'detail-type': 'Certificate Renewal Failed' }), /detail-type/],
    ['another source', envelope({ source: 'aws.s3' }), /source/],
    ['no detail', envelope({ detail: undefined }), /no detail/],
    ['a path in the certificate id', envelope({}, { certificateId: '../etc' }), /detail.certificateId/],
    ['an upper-case serial', envelope({}, { serialNumber: '04A1' }), /detail.serialNumber/],
    ['a date that is not one', envelope({}, { notBefore: 'yesterday' }), /detail.notBefore/],
    ['a short fingerprint', envelope({}, { fingerprintSha256: 'abcd' }), /detail.fingerprintSha256/],
    ['no version', envelope({}, { version: '' }), /detail.version/],
  ])('rejects %s', (_case, input, message) => {
    expect(() => parseStoreNotice(input)).toThrow(InvalidEvent);
    expect(() => parseStoreNotice(input)).toThrow(message);
  });
});
