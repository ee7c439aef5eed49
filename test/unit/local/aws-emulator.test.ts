import { describe, expect, it } from 'vitest';
import { emulatorUnavailable, startAwsEmulator } from '../../../local/aws-emulator';

describe('the AWS API emulator launcher', () => {
  it('says why the AWS tests skip when the emulator is not beside the checkout', () => {
    expect(emulatorUnavailable('/nonexistent/aws-emulator/start.sh')).toMatch(/no AWS API emulator at .*start\.sh \(set CERTFLOW_AWS_EMULATOR, or AWS_ENDPOINT_URL/);
  });

  it('reports a start script that exits, with its output', async () => {
    const script = `${process.cwd()}/test/support/failing-emulator.sh`;
    await expect(startAwsEmulator({ script, timeoutMs: 10_000 })).rejects.toThrow(/exited with code 3:\n.*python3 missing/s);
  });
});
