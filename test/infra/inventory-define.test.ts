/**
 * The declared inventory reaches the functions that read it (ADR 0005, amended by issue #11):
 * ValidateRequest completes a request by id alone from it. The handler is bundled here by the
 * stack's own bundler (build/lambda-bundle.ts) with the `define` the stack gives its function
 * (infra/renewal-functions.ts passes the catalogue's `lambda(config).define`), then run as Lambda
 * runs it. The offline synth test (cdk-synth.test.ts) checks the same on the real stack's bundles.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleLambda } from '../../build/lambda-bundle';
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
  // Inside the checkout, so that the bundle's external @aws-sdk/* resolve (the Lambda runtime provides them).
  const cache = fileURLToPath(new URL('../../node_modules/.cache', import.meta.url));
  await fs.mkdir(cache, { recursive: true });
  dir = await fs.mkdtemp(path.join(cache, 'certflow-inventory-'));
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
    await bundleLambda({ entry: 'lambdas/handlers/validate-request.ts', outdir: dir, define: defineOf('validate-request') });
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
      const { handler } = createRequire(import.meta.url)(path.join(dir, 'index.js')) as { handler: (event: unknown, context: unknown) => Promise<unknown> };
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
