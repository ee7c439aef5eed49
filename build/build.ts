/**
 * `npm run build` (also run by `npm pack`, through prepack): the certflow command as single files.
 *
 * - dist/certflow-agent.mjs — `certflow agent …` with every dependency inside: one file that runs
 *   on Node ≥ 20 with no node_modules (hosts, the container image of ./Dockerfile).
 * - dist/certflow/cli.mjs (+ chunks, split at the subcommands' dynamic imports) — the whole certflow
 *   command for the npm package: bin/cli.js loads it where the TypeScript sources are absent.
 *   Production dependencies stay imports (npm installs them from package.json `dependencies`); a
 *   devDependency, and certflow.config.ts, become a module that fails with one line, so
 *   `certflow issue|renew|demo` say they need the checkout.
 *
 * `npm run build:sea` (`--sea`) also writes dist/certflow-agent: a Node single executable
 * application of the agent (a copy of this node binary, ≈ 100 MB, with the bundle injected).
 */
import { execFileSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = path.join(ROOT, 'dist');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
const production = new Set(Object.keys(pkg.dependencies));
const developmentOnly = Object.keys(pkg.devDependencies).filter((name) => !production.has(name));

/** The package name of a bare import ('@aws-sdk/client-sqs/dist-cjs/x' → '@aws-sdk/client-sqs'). */
const packageOf = (specifier: string) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
const isBuiltin = (specifier: string) => specifier.startsWith('node:') || builtinModules.includes(packageOf(specifier));

const common: esbuild.BuildOptions = {
  absWorkingDir: ROOT,
  bundle: true,
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  legalComments: 'none',
  // In a bundle every module shares one import.meta.url, so each bin/*.ts "am I the main
  // module?" check would be true at once (bin/agent.ts run with the argv of bin/cli.ts). No
  // module is the main one here: the entry runs the command. Nothing on the bundled paths
  // resolves files next to itself.
  define: { 'import.meta.url': JSON.stringify('file:///certflow/bundled.js') },
};

/** CommonJS dependencies inside an ES module call require() for Node's built-ins. */
const ESM_BANNER = "import { createRequire as __certflowRequire } from 'node:module'; const require = __certflowRequire(import.meta.url);";

/** devDependencies and the checkout's certflow.config.ts → a module whose evaluation throws one line. */
const checkoutOnly: esbuild.Plugin = {
  name: 'checkout-only',
  setup(build) {
    const names = developmentOnly.map((name) => name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
    build.onResolve({ filter: new RegExp(`^(${names.join('|')})(/|$)`) }, (args) => ({ path: packageOf(args.path), namespace: 'checkout-only' }));
    build.onResolve({ filter: /\/certflow\.config$/ }, () => ({ path: 'certflow.config.ts', namespace: 'checkout-only' }));
    build.onLoad({ filter: /.*/, namespace: 'checkout-only' }, (args) => ({
      loader: 'js',
      contents: `module.exports = {};
throw new Error(\`'\${process.argv[2] ?? 'this command'}' needs the development checkout: ${args.path} is not part of the installed package. Run it from a clone of the repository after npm ci.\`);`,
    }));
  },
};

/** esbuild.build with a metafile (what went in, what stayed an import). */
async function bundle(options: esbuild.BuildOptions): Promise<esbuild.Metafile> {
  const { metafile } = await esbuild.build({ ...common, ...options, metafile: true });
  if (!metafile) throw new Error(`${options.outfile ?? options.outdir}: esbuild returned no metafile`);
  return metafile;
}

function packagesIn(metafile: esbuild.Metafile): string[] {
  const found = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (match) found.add(match[1]!);
  }
  return [...found].sort();
}

function externalImports(metafile: esbuild.Metafile): string[] {
  const found = new Set<string>();
  for (const input of Object.values(metafile.inputs)) for (const { path: specifier, external } of input.imports) if (external && !isBuiltin(specifier)) found.add(packageOf(specifier));
  return [...found].sort();
}

async function buildAgent(format: 'esm' | 'cjs', outfile: string): Promise<esbuild.Metafile> {
  const metafile = await bundle({
    entryPoints: ['build/agent-main.ts'],
    outfile,
    format,
    ...(format === 'esm' ? { banner: { js: `#!/usr/bin/env node\n${ESM_BANNER}` } } : {}),
  });
  // Everything is inside: no devDependency may be reached (it would not be on a host).
  const bundledDev = packagesIn(metafile).filter((name) => developmentOnly.includes(name));
  if (bundledDev.length > 0) throw new Error(`${outfile}: the agent reaches devDependencies ${bundledDev.join(', ')}`);
  return metafile;
}

async function buildCommand(): Promise<esbuild.Metafile> {
  fs.rmSync(path.join(DIST, 'certflow'), { recursive: true, force: true });
  // Split at the command's dynamic imports, so `certflow list` does not load the AWS SDK.
  const metafile = await bundle({
    entryPoints: { cli: 'bin/cli.ts' },
    outdir: 'dist/certflow',
    outExtension: { '.js': '.mjs' },
    chunkNames: '[name]-[hash]',
    splitting: true,
    format: 'esm',
    packages: 'external',
    // bin/cli.ts lists only the commands the installed package can run.
    define: { ...common.define, CERTFLOW_PACKAGED: 'true' },
    plugins: [checkoutOnly],
  });
  const undeclared = externalImports(metafile).filter((name) => !production.has(name));
  if (undeclared.length > 0) throw new Error(`dist/certflow/ imports ${undeclared.join(', ')}, which package.json "dependencies" does not list`);
  return metafile;
}

/** The fuse every Node binary that supports SEA carries (nodejs.org/api/single-executable-applications.html). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** Node SEA: the CommonJS agent bundle as a blob, injected into a copy of this node binary. */
function buildSea(): void {
  const config = path.join(DIST, 'sea-config.json');
  const blob = path.join(DIST, 'certflow-agent.blob');
  const binary = path.join(DIST, 'certflow-agent');
  const main = path.join(DIST, 'certflow-agent.cjs');
  fs.writeFileSync(config, JSON.stringify({ main, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true }));
  execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: 'inherit' });
  fs.copyFileSync(process.execPath, binary);
  fs.chmodSync(binary, 0o755);
  // postject warns "Can't find string offset for section name '.note.100'" on Linux: harmless.
  execFileSync(path.join(ROOT, 'node_modules', '.bin', 'postject'), [binary, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], { stdio: ['ignore', 'ignore', 'inherit'] });
  for (const file of [config, blob, main]) fs.rmSync(file);
}

function size(file: string): string {
  const at = path.join(ROOT, file);
  const bytes = fs.statSync(at).isDirectory() ? fs.readdirSync(at).reduce((sum, name) => sum + fs.statSync(path.join(at, name)).size, 0) : fs.statSync(at).size;
  return `${(bytes / 1024 / 1024).toFixed(2)} MB`;
}

async function main(args: readonly string[]): Promise<void> {
  const started = performance.now();
  fs.mkdirSync(DIST, { recursive: true });
  await Promise.all([buildAgent('esm', 'dist/certflow-agent.mjs'), buildCommand()]);
  fs.chmodSync(path.join(DIST, 'certflow-agent.mjs'), 0o755);
  const built = ['dist/certflow-agent.mjs', 'dist/certflow/'];
  if (args.includes('--sea')) {
    await buildAgent('cjs', 'dist/certflow-agent.cjs');
    buildSea();
    built.push('dist/certflow-agent');
  }
  for (const file of built) console.log(`${file.padEnd(24)} ${size(file)}`);
  console.log(`built in ${Math.round(performance.now() - started)} ms`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`build: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
