import { describe, expect, it } from 'vitest';
import { challengeTarget, containsAll, mergeTxtValues, quoteTxt, removeTxtValues } from '../../../domain/core/txt-values';

describe('TXT values', () => {
  it.each([
    ['abc', '"abc"'],
    ['a"b', '"a\\"b"'],
    ['a\\b', '"a\\\\b"'],
  ])('quoteTxt(%s) = %s', (value, quoted) => expect(quoteTxt(value)).toBe(quoted));

  it('merges ours after existing values, once', () => {
    expect(mergeTxtValues(['"foreign"', '"v1"'], ['v1', 'v2'])).toEqual(['"foreign"', '"v1"', '"v2"']);
    expect(mergeTxtValues([], ['v1', 'v1'])).toEqual(['"v1"']);
  });

  it('removes only our values, keeping multi-string foreign values verbatim', () => {
    expect(removeTxtValues(['"foreign" "part2"', '"v1"', '"v2"'], ['v1', 'v2'])).toEqual(['"foreign" "part2"']);
    expect(removeTxtValues(['"v1"'], ['v3'])).toEqual(['"v1"']);
    expect(containsAll(['"v1"', '"x"'], ['v1'])).toBe(true);
    expect(containsAll(['"v1"'], ['v1', 'v2'])).toBe(false);
  });
});

describe('challengeTarget (CNAME delegation)', () => {
  const delegations = [
    { match: 'example.com', targetZone: 'acme.example.net' },
    { match: 'mq.example.com', target: '_acme-challenge.mq.validation.example.org' },
  ];
  it.each([
    ['_acme-challenge.www.example.com', 'www.example.com.acme.example.net'],
    ['_acme-challenge.example.com', 'example.com.acme.example.net'],
    ['_acme-challenge.mq.example.com', '_acme-challenge.mq.validation.example.org'],
    ['_acme-challenge.other.org', '_acme-challenge.other.org'],
    ['_acme-challenge.a.mq.example.com', 'a.mq.example.com.acme.example.net'],
  ])('%s → %s', (record, target) => expect(challengeTarget(record, delegations)).toBe(target));
});
