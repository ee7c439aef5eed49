/**
 * A handler cannot deploy as another step: the catalogue names each step's handler twice (the
 * `run` import the local runner and the tests call, and the `{file, exportName}` the Lambda bundle
 * is built from), so the built assets are checked against the entries (test/support/bundled-handlers.ts;
 * test/infra/cdk-synth.test.ts checks the real app's). Here: a wrong string is caught.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../bin/certflow';
import { STEP_IDS, STEPS } from '../../lambdas/catalogue';
import { PROJECT_ROOT } from '../../local/definition-cache';
import { misdeployedSteps, stepName } from '../support/bundled-handlers';

describe('each bundled handler is its catalogue entry\'s step', () => {
  it('every step function has a name of its own (what the check compares)', () => {
    const names = STEP_IDS.map(stepName);
    expect(names.every((name) => /^[a-z]\w+$/i.test(name))).toBe(true);
    expect(new Set(names).size).toBe(STEP_IDS.length);
  });

  it('a wrong file or export name in the catalogue deploys another step: the check names exactly those functions', async () => {
    // Inside the project, so the bundles' external @aws-sdk/* resolve when loaded.
    const cache = path.join(PROJECT_ROOT, 'node_modules', '.cache', 'certflow');
    await fs.mkdir(cache, { recursive: true });
    const outdir = await fs.mkdtemp(path.join(cache, 'bundled-handlers-'));
    const entries = STEPS as Record<string, { handler: { file: string; exportName: string } }>; // the catalogue itself, made wrong for this test
    const original = { check: entries['check-certificate']!.handler, failure: entries['cleanup-after-failure']!.handler };
    try {
      entries['check-certificate']!.handler = { file: 'check-order', exportName: 'handler' }; // another file
      entries['cleanup-after-failure']!.handler = { file: 'cleanup-challenges', exportName: 'handler' }; // the right file, another export
      // Asset paths in the template's metadata, as `cdk synth` writes them.
      const { app, stack } = buildApp(new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } }));
      const assembly = app.synth();
      expect(misdeployedSteps(assembly.directory, assembly.getStackByName(stack.stackName).template)).toEqual([
        { stepId: 'check-certificate', expected: 'checkCertificate', found: 'checkOrder' },
        { stepId: 'cleanup-after-failure', expected: 'cleanupAfterFailure', found: 'cleanupChallenges' },
      ]);
    } finally {
      entries['check-certificate']!.handler = original.check;
      entries['cleanup-after-failure']!.handler = original.failure;
      await fs.rm(outdir, { recursive: true, force: true });
    }
  }, 300_000);
});
