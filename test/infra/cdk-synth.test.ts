/** `npx cdk synth` works offline: no AWS credentials, no Docker, esbuild bundling on this machine. */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { LETS_ENCRYPT_PRODUCTION, LETS_ENCRYPT_STAGING } from '../../infra/config';
import { knownAnchorPem } from '../../domain/trust';
import { PROJECT_ROOT } from '../../local/definition-cache';
import { deployedSteps } from '../support/bundled-handlers';
import { LAMBDA_TARGETS } from '../../bench/lambdas';

const ISRG_ROOT_X1_LINE = knownAnchorPem('isrg-root-x1').split('\n')[1]!;

describe('cdk synth', () => {
  it('synthesizes the stack with every Lambda bundled locally, each running its catalogue entry\'s step', async () => {
    // Inside the project, so the bundles' external @aws-sdk/* resolve when loaded (as Lambda's runtime provides them).
    const cache = path.join(PROJECT_ROOT, 'node_modules', '.cache', 'certflow');
    await fs.mkdir(cache, { recursive: true });
    const out = await fs.mkdtemp(path.join(cache, 'synth-'));
    try {
      const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_')));
      await promisify(execFile)('npx', ['cdk', 'synth', '--quiet', '--output', out], {
        env: { ...env, AWS_EC2_METADATA_DISABLED: 'true', CDK_DISABLE_VERSION_CHECK: '1' },
        // Measured: 32 s alone on 2 cores, 117 s with three other suites running; room for a busier CI.
        timeout: 300_000,
      });
      const template = JSON.parse(await fs.readFile(path.join(out, 'Certflow.template.json'), 'utf8'));
      type Fn = { Type: string; Metadata?: Record<string, string>; Properties: { Environment: { Variables: Record<string, string> } } };
      const functions = Object.values(template.Resources as Record<string, Fn>).filter(
        (resource) => resource.Type === 'AWS::Lambda::Function',
      );
      expect(functions).toHaveLength(26); // 19 steps of RenewCertificate (ACME and private paths) and the scan, 5 of RevokeCertificate, the scan's AdvanceRotation, and CheckServed
      for (const fn of functions) {
        const asset = path.join(out, fn.Metadata!['aws:asset:path']!);
        const bundle = await fs.readFile(path.join(asset, 'index.js'), 'utf8');
        expect(bundle.length).toBeGreaterThan(500);
        // The bench's goal (bench/lambdas.ts), and no source map shipped (build/lambda-bundle.ts says why).
        expect(Buffer.byteLength(bundle)).toBeLessThanOrEqual(LAMBDA_TARGETS.bundleBytes);
        expect(await fs.readdir(asset)).toEqual(['index.js']);
        expect(fn.Properties.Environment.Variables.NODE_OPTIONS).toBeUndefined();
        // Minified, yet error class names survive: they are what Retry/Catch match on.
        if (fn.Properties.Environment.Variables.CERTFLOW_STEP === 'validate-request') {
          expect(bundle).toContain('"InvalidCertificateRequest"');
        }
        // The declared inventory (certflow.config.ts) is compiled into the functions that read it and
        // no other: the scan, ValidateRequest, which completes a request by id alone (issue #11), and
        // RevokeAtCa, which reissues a declared certificate by its id alone, and AdvanceRotation, which does the same for a root rotation.
        // CheckServed gets the host groups (names and certificate ids): which hosts to count where.
        expect(bundle.includes('broker-eu1')).toBe(['scan-inventory', 'validate-request', 'revoke-at-ca', 'advance-rotation', 'check-served'].includes(fn.Properties.Environment.Variables.CERTFLOW_STEP!));
        if (fn.Properties.Environment.Variables.CERTFLOW_STEP === 'check-served') {
          expect(bundle).toContain('brokers-eu');
        }
        if (fn.Properties.Environment.Variables.CERTFLOW_STEP === 'validate-request') {
          // The declaration itself (names and keystore profile), however esbuild quotes the defined string.
          for (const piece of ['broker-eu1', 'mq.example.com', '*.mq.example.com', 'legacy']) expect(bundle).toContain(piece);
        }
        // The trust anchors (ISRG Root X1's first line here) into the two PackageAndStore steps only; every step knows the allowed directories.
        expect(bundle.includes(ISRG_ROOT_X1_LINE)).toBe(['package-and-store', 'package-and-store-private'].includes(fn.Properties.Environment.Variables.CERTFLOW_STEP!));
        expect(JSON.parse(fn.Properties.Environment.Variables.CERTFLOW_DIRECTORIES!)).toEqual([LETS_ENCRYPT_STAGING, LETS_ENCRYPT_PRODUCTION]);
      }
      // Each bundled handler wraps its own step, not another's (test/infra/bundled-handlers.test.ts: a wrong string is caught).
      const deployed = deployedSteps(out, template);
      expect(deployed).toHaveLength(26);
      for (const { stepId, expected, found } of deployed) expect(found, stepId).toBe(expected);
      // Every bundle loads (what build/lambda-bundle.ts leaves out is never reached at init) and exports its handler.
      const loads = functions.map((fn) => [path.join(out, fn.Metadata!['aws:asset:path']!, 'index.js'), (fn.Properties as { Handler?: string }).Handler!.replace(/^index\./, '')]);
      const script = `for (const [file, name] of ${JSON.stringify(loads)}) if (typeof require(file)[name] !== 'function') throw new Error(file + ': no ' + name);`;
      await promisify(execFile)(process.execPath, ['-e', script], { env: { PATH: process.env.PATH ?? '', NODE_PATH: path.resolve('node_modules'), AWS_REGION: 'us-east-1' } });
    } finally {
      await fs.rm(out, { recursive: true, force: true });
    }
  }, 330_000);
});
