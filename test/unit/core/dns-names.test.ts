import { describe, expect, it } from 'vitest';
import { baseName, challengeRecordName, normalizeName, zoneFor } from '../../../domain/core/dns-names';

const zones = [{ name: 'example.com', id: 'Z1' }, { name: 'eu.example.com', id: 'Z2' }, { name: 'example.net', id: 'Z3' }];

describe('dns names', () => {
  it.each([
    ['example.com', 'Z1'],
    ['www.example.com', 'Z1'],
    ['*.example.com', 'Z1'],
    ['eu.example.com', 'Z2'],
    ['mq.eu.example.com', 'Z2'],
    ['*.eu.example.com', 'Z2'],
    ['EXAMPLE.NET.', 'Z3'],
    ['notexample.com', undefined],
    ['example.org', undefined],
  ])('zoneFor(%s) is the longest matching suffix: %s', (name, id) => {
    expect(zoneFor(name, zones)?.id).toBe(id);
  });

  it.each([
    ['example.com', '_acme-challenge.example.com'],
    ['*.example.com', '_acme-challenge.example.com'],
    ['WWW.Example.com.', '_acme-challenge.www.example.com'],
  ])('challengeRecordName(%s) = %s', (name, record) => {
    expect(challengeRecordName(name)).toBe(record);
  });

  it('normalizes and strips wildcards', () => {
    expect(normalizeName('A.B.')).toBe('a.b');
    expect(baseName('*.a.b')).toBe('a.b');
    expect(baseName('a.b')).toBe('a.b');
  });
});
