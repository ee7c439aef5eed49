/**
 * One step Lambda's bundle: esbuild, minified (class names kept: error names are the Retry/Catch
 * contract), CommonJS for nodejs22.x, `@aws-sdk/*` left to the runtime, no source map (see below).
 * infra/lambda-code.ts runs it during synthesis (`node --import tsx build/lambda-bundle.ts '<json>'`,
 * as CDK's NodejsFunction runs the esbuild CLI); bench/lambdas.ts measures what it makes.
 *
 * Two dependencies bring code no step runs, which esbuild cannot drop by itself (a CommonJS
 * require, a namespace re-export), so the bundle leaves it out:
 * - acme-client's index loads its legacy node-forge helpers (`acme.forge`, ≈ 300 KB with all of
 *   node-forge); certflow uses `acme.crypto` (node:crypto) instead. Using them throws.
 * - zod's `z.locales` (≈ 170 KB of error messages in 40 languages); certflow keeps the default
 *   English one, which zod loads by itself.
 * No source map: one was 5.4 MB beside a 1.48 MB bundle, and `--enable-source-maps` (without which
 * Node ignores it) made loading the bundle ≈ 1.5× slower here. Stack traces name the functions
 * (keepNames) and errors carry their names. Why not NodejsFunction: docs/adr/0011-lambda-bundles.md.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface LambdaBundle {
  /** The handler's source file, relative to the repository root or absolute. */
  readonly entry: string;
  /** Where index.js goes. */
  readonly outdir: string;
  /** esbuild `define`s: settings compiled into this step's bundle. */
  readonly define?: Readonly<Record<string, string>>;
}

/** What a step never runs: acme-client's node-forge helpers, zod's locales. */
export const leaveOutUnused: esbuild.Plugin = {
  name: 'certflow-leave-out-unused',
  setup(build) {
    build.onResolve({ filter: /^\.\/crypto\/forge$/ }, ({ importer }) =>
      /acme-client[\\/]src[\\/]index\.js$/.test(importer) ? { path: 'acme-client-forge', namespace: 'left-out' } : undefined,
    );
    build.onResolve({ filter: /\/locales\/index\.js$/ }, ({ importer }) =>
      /zod[\\/]v4[\\/](classic[\\/]external|core[\\/]index)\.js$/.test(importer) ? { path: 'zod-locales', namespace: 'left-out' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'left-out' }, ({ path: what }) => ({
      loader: 'js',
      contents:
        what === 'zod-locales'
          ? 'export {};'
          : `module.exports = new Proxy({}, { get(_, name) { throw new Error('acme-client forge helpers (' + String(name) + ') are not in this bundle: use acme.crypto'); } });`,
    }));
  },
};

export function lambdaBuildOptions({ entry, outdir, define }: LambdaBundle): esbuild.BuildOptions {
  return {
    absWorkingDir: ROOT,
    entryPoints: [path.resolve(ROOT, entry)],
    outfile: path.join(outdir, 'index.js'),
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    // ES module builds of dependencies where they ship one: esbuild drops their unused exports.
    mainFields: ['module', 'main'],
    minify: true,
    keepNames: true,
    sourcemap: false,
    legalComments: 'none',
    external: ['@aws-sdk/*'],
    logLevel: 'warning',
    plugins: [leaveOutUnused],
    ...(define ? { define: { ...define } } : {}),
  };
}

export async function bundleLambda(bundle: LambdaBundle): Promise<esbuild.BuildResult> {
  return esbuild.build(lambdaBuildOptions(bundle));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  await bundleLambda(JSON.parse(process.argv[2] ?? '') as LambdaBundle);
}
