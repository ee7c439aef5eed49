/**
 * Each test file of the fast group gets a temporary folder of its own as TMPDIR, removed when
 * the file is done: CDK's `Template.fromStack` synthesizes into `$TMPDIR/cdk.out*` and never
 * removes it, so without this every infra test run left folders behind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll } from 'vitest';

const outer = os.tmpdir();
const mine = mkdtempSync(path.join(outer, 'certflow-test-'));
process.env.TMPDIR = mine;

afterAll(() => {
  process.env.TMPDIR = outer;
  rmSync(mine, { recursive: true, force: true });
});
