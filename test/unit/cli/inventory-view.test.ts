/** certflow list's table shows each certificate's EKUs (issue #18 point 6), "-" when unknown. */
import { describe, expect, it } from 'vitest';
import { inventoryTable, usagesCell } from '../../../bin/commands/inventory-view';

describe('the EKU column', () => {
  it.each([
    [['serverAuth'], 'serverAuth'],
    [['serverAuth', 'clientAuth'], 'serverAuth,clientAuth'],
    [[], '-'],
    [null, '-'],
    [undefined, '-'],
  ])('%j is shown as %s', (usages, cell) => {
    expect(usagesCell(usages)).toBe(cell);
  });

  it('sits after the key type and the profile in certflow list', () => {
    const lines = inventoryTable([
      { certificateId: 'broker', names: ['mq.example.com'], keyType: 'ec-p256', profile: 'tlsserver', lifetimeDays: 45, usages: ['serverAuth'], nextRenewal: null },
      { certificateId: 'old', names: ['old.example.com'], keyType: 'rsa-2048', nextRenewal: null },
    ]).split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAMES\s+KEY TYPE\s+PROFILE\s+EKU\s+NOT AFTER/);
    expect(lines[2]).toMatch(/^broker\s+mq\.example\.com\s+ec-p256\s+tlsserver \(45 d\)\s+serverAuth\s+-/);
    expect(lines[3]).toMatch(/^old\s+old\.example\.com\s+rsa-2048\s+-\s+-\s+-/);
  });
});
