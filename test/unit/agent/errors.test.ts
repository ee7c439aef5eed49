/** The agent's errors have one base, InstallFailed: a caller that catches it catches them all. */
import { describe, expect, it } from 'vitest';
import * as errors from '../../../agent/errors';

const classes = Object.entries(errors).flatMap(([name, value]) => (typeof value === 'function' && value.prototype instanceof Error ? [[name, value as typeof errors.InstallFailed] as const] : []));

describe('agent errors', () => {
  it('are all exported from agent/errors.ts, InstallFailed among them', () => {
    expect(classes.map(([name]) => name).sort()).toEqual(['AgentConfigError', 'BundleRejected', 'InstallFailed', 'InvalidEvent', 'NotServed', 'ReloadFailed', 'VersionNotFound']);
  });

  it.each(classes.filter(([name]) => name !== 'NotServed'))('%s extends InstallFailed and names itself', (name, ErrorClass) => {
    const error = new ErrorClass('why', { cause: 'the cause' });
    expect(error).toBeInstanceOf(errors.InstallFailed);
    expect(error).toMatchObject({ name, message: 'why', cause: 'the cause' });
  });

  it('NotServed extends InstallFailed and carries the endpoint and what it served', () => {
    const error = new errors.NotServed('not served', { endpoint: '127.0.0.1:8883', servedSerialNumber: '0a' });
    expect(error).toBeInstanceOf(errors.InstallFailed);
    expect(error).toMatchObject({ name: 'NotServed', endpoint: '127.0.0.1:8883', servedSerialNumber: '0a' });
  });
});
