import { describe, expect, it } from 'vitest';
import { groupOfQueuePrefix, hostQueuePrefix } from '../../../agent/fleet/host-queue-plan';

describe('a group and its queue prefix', () => {
  it.each(['brokers', 'brokers-eu', 'A-1'])('%s: the prefix the stack outputs names the group again', (group) => {
    expect(groupOfQueuePrefix(hostQueuePrefix(group))).toBe(group);
  });

  it.each(['brokers-', 'certflow-', 'certflow-brokers', 'other-brokers-', `certflow-${'x'.repeat(41)}-`, 'certflow-a_b-'])('%s names no group (not one the stack made)', (prefix) => {
    expect(groupOfQueuePrefix(prefix)).toBeUndefined();
  });
});
