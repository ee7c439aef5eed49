/** Synthesizing the local definitions leaves no cdk.out* folder behind (issue #12). */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { synthesizeDefinitions } from '../../../local/definition';

describe('synthesizeDefinitions', () => {
  it('removes the cloud assembly it synthesized into', async () => {
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-synth-tmp-'));
    const before = process.env.TMPDIR;
    process.env.TMPDIR = tmp; // where CDK makes its cdk.out* folder when given none
    try {
      const definitions = synthesizeDefinitions();
      expect(definitions.renew.definition.StartAt).toBeTruthy();
      expect(definitions.scan.definition.StartAt).toBeTruthy();
      expect(definitions.revoke.definition.StartAt).toBe('ValidateRevocation');
      expect(await fs.readdir(tmp)).toEqual([]);
    } finally {
      if (before === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = before;
      await fs.rm(tmp, { recursive: true, force: true });
    }
  }, 120_000);
});
