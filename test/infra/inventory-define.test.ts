/**
 * The declared inventory reaches the functions that read it (ADR 0005, amended by issue #11):
 * ValidateRequest completes a request by id alone from it. The handler is bundled here with the
 * `define` the stack gives its function (infra/renewal-functions.ts passes the catalogue's
 * `lambda(config).define` to esbuild, as NodejsFunction does), then run as Lambda runs it. The
 * offline synth test (cdk-synth.test.ts) checks the same on the real stack's bundles.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineConfig } from '../../infra/config';
import { STEP_IDS, STEPS } from '../../lambdas/catalogue';
import { ENV } from '../../lambdas/runtime/aws-deps';

const config = defineConfig({
  hostedZones: [{ name: 'example.com', id: 'Z1EXAMPLE' }],
  certificates: [{ id: 'broker-eu1', names: ['mq.example.com', '*.mq.example.com'], keyType: 'ec-p384', keystore: { profile: 'modern' } }],
});
const INVENTORY = `process.env.${ENV.inventory}`;
const defineOf = (stepId: (typeof STEP_IDS)[number]) => STEPS[stepId].lambda?.(config).define ?? {};

let dir: string;
beforeAll(async () => {
  // Inside the checkout: the bundle's external packages (acme-client, the SDK) resolve from node_modules.
  const parent = path.resolve('node_modules/.cache');
  await fs.mkdir(parent, { recursive: true });
  dir = await fs.mkdtemp(path.join(parent, 'certflow-inventory-'));
});
afterAll(async () => fs.rm(dir, { recursive: true, force: true }));

describe('the declared inventory', () => {
  it('is compiled into ValidateRequest and the scan; no renewal step after ValidateRequest gets it', () => {
    expect(JSON.parse(JSON.parse(defineOf('validate-request')[INVENTORY]!) as string)).toEqual(config.certificates);
    expect(defineOf('scan-inventory')[INVENTORY]).toBe(defineOf('validate-request')[INVENTORY]);
    const renewalSteps = STEP_IDS.filter((id) => STEPS[id].machine === 'RenewCertificate' && id !== 'validate-request');
    expect(renewalSteps.length).toBeGreaterThan(8);
    for (const id of renewalSteps) expect(defineOf(id)[INVENTORY], id).toBeUndefined();
  });

  it('completes {certificateId} alone inside the bundled ValidateRequest handler, with nothing in its environment', async () => {
    const outfile = path.join(dir, 'validate-request.mjs');
    await esbuild.build({
      entryPoints: [fileURLToPathOf('../../lambdas/handlers/validate-request.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile,
      define: defineOf('validate-request'),
      // The SDK's optional CRT and the like stay imports; the handler's own code is what matters.
      packages: 'external',
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
      logLevel: 'silent',
    });
    const saved = { ...process.env };
    // What the stack puts in the environment: the inventory is not among it.
    Object.assign(process.env, {
      [ENV.step]: 'validate-request',
      [ENV.zones]: JSON.stringify(config.hostedZones),
      [ENV.directoryUrl]: config.acme.directoryUrl,
      [ENV.contact]: '[]',
      [ENV.secretPrefix]: config.secretPrefix,
      [ENV.kmsKeyId]: 'arn:aws:kms:eu-west-1:111122223333:key/test',
      [ENV.eventBus]: 'certflow',
      AWS_REGION: 'eu-west-1',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
    delete process.env[ENV.inventory];
    try {
      const { handler } = (await import(pathToFileURL(outfile).href)) as { handler: (event: unknown, context: unknown) => Promise<unknown> };
      const context = { awsRequestId: 'test', functionName: 'validate-request', getRemainingTimeInMillis: () => 30_000 };
      const request = await handler({ request: { certificateId: 'broker-eu1' } }, context);
      expect(request).toMatchObject({ certificateId: 'broker-eu1', names: ['mq.example.com', '*.mq.example.com'], keyType: 'ec-p384', keystore: { profile: 'modern' } });
      await expect(handler({ request: { certificateId: 'nowhere' } }, context)).rejects.toThrow(/names: required, as 'nowhere' is not a declared certificate \(declared in certflow\.config\.ts: broker-eu1\)/);
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  }, 60_000);
});

function fileURLToPathOf(relative: string): string {
  return new URL(relative, import.meta.url).pathname;
}
