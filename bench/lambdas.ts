/**
 * The step Lambdas as deployed: the app synthesized with bundling (NodejsFunction, esbuild, the
 * stack's own options), then per function the asset's size (the bundle, and any source map shipped
 * beside it) and its module init time: a fresh `node` process that loads the bundle, with the
 * function's NODE_OPTIONS and environment, timing the require alone (node's own start excluded).
 * `@aws-sdk/*` is external (the Lambda runtime provides it): resolved here from node_modules, so
 * its load is counted too. Lambda's arm64 at 512 MB has less CPU than a workstation: read the
 * times as a floor.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { App } from 'aws-cdk-lib';
import { buildApp } from '../bin/certflow';
import { median } from './stats';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);
export const LAMBDA_TARGETS = { bundleBytes: 1_000_000, initMs: 300 } as const;

export interface LambdaFigures {
  readonly step: string;
  /** The asset's files and their bytes (index.js, and index.js.map when a source map ships). */
  readonly assetBytes: number;
  readonly bundleBytes: number;
  readonly sourceMapBytes: number;
  readonly nodeOptions: string;
  readonly runs: number;
  readonly initMedianMs: number;
  /** The fastest run: on a shared machine, the least disturbed one. */
  readonly initMinMs: number;
}

type Fn = { Type: string; Properties: { Code?: { S3Key?: unknown }; Environment?: { Variables?: Record<string, string> } } };

/** Milliseconds to require the bundle in a fresh process, with the function's environment. */
async function initMs(file: string, env: Record<string, string>): Promise<number> {
  const script = `const t = performance.now(); require(${JSON.stringify(file)}); process.stdout.write(String(performance.now() - t));`;
  const { stdout } = await run(process.execPath, ['-e', script], {
    env: { PATH: process.env.PATH ?? '', NODE_PATH: path.join(ROOT, 'node_modules'), AWS_REGION: 'us-east-1', ...env },
  });
  return Number(stdout);
}

export async function benchLambdas(runs: number, progress: (line: string) => void): Promise<LambdaFigures[]> {
  const outdir = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-bench-lambdas-'));
  try {
    progress('Lambda bundles: synthesizing the stack with bundling…');
    const { app, stack } = buildApp(new App({ outdir }));
    const assembly = app.synth();
    const template = assembly.getStackByName(stack.stackName).template as { Resources: Record<string, Fn> };
    const figures: LambdaFigures[] = [];
    for (const fn of Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::Lambda::Function')) {
      const variables = fn.Properties.Environment?.Variables ?? {};
      // The asset's S3 key is `<hash>.zip`; the cloud assembly keeps it unzipped as asset.<hash>.
      const assetDir = path.join(outdir, `asset.${String(fn.Properties.Code?.S3Key).replace(/\.zip$/, '')}`);
      const files = await fs.readdir(assetDir);
      const size = async (name: string) => (files.includes(name) ? (await fs.stat(path.join(assetDir, name))).size : 0);
      const sizes = await Promise.all(files.map((name) => fs.stat(path.join(assetDir, name)).then((stat) => stat.size)));
      const times: number[] = [];
      for (let i = 0; i < runs; i += 1) times.push(await initMs(path.join(assetDir, 'index.js'), variables));
      const step = variables.CERTFLOW_STEP ?? '?';
      figures.push({
        step,
        assetBytes: sizes.reduce((a, b) => a + b, 0),
        bundleBytes: await size('index.js'),
        sourceMapBytes: await size('index.js.map'),
        nodeOptions: variables.NODE_OPTIONS ?? '',
        runs,
        initMedianMs: median(times),
        initMinMs: Math.min(...times),
      });
      progress(`  ${step}: ${figures.at(-1)!.initMedianMs.toFixed(0)} ms`);
    }
    return figures.sort((a, b) => a.step.localeCompare(b.step));
  } finally {
    await fs.rm(outdir, { recursive: true, force: true });
  }
}
