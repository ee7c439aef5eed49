/**
 * A step's Lambda code, bundled at synthesis by build/lambda-bundle.ts in a child process (esbuild
 * plugins need its asynchronous API; CDK's local bundling is synchronous, and NodejsFunction runs
 * the esbuild CLI, which takes no plugins). No Docker: the image is only the required fallback
 * and is never pulled, since local bundling either succeeds or throws.
 * With bundling skipped (context `aws:cdk:bundling-stacks: []`, as the tests synthesize) nothing
 * runs and the asset is a placeholder.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { LambdaBundle } from '../build/lambda-bundle';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUNDLER = fileURLToPath(new URL('../build/lambda-bundle.ts', import.meta.url));

export function bundledCode(bundle: Omit<LambdaBundle, 'outdir'>): lambda.Code {
  return lambda.Code.fromAsset(ROOT, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      image: DockerImage.fromRegistry('public.ecr.aws/sam/build-nodejs22.x'),
      // Keeps each function's asset its own: CDK caches staged assets by their bundling options,
      // in which a tryBundle closure does not count.
      environment: { CERTFLOW_LAMBDA_BUNDLE: JSON.stringify(bundle) },
      local: {
        tryBundle(outdir) {
          execFileSync(process.execPath, ['--import', 'tsx', BUNDLER, JSON.stringify({ ...bundle, outdir })], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
          return true;
        },
      },
    },
  });
}
