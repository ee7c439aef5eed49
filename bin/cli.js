#!/usr/bin/env node
// The `certflow` command (package.json "bin").
// - In a checkout (bin/cli.ts is here): runs a bundle of the sources when it is fresh (built on
//   demand by bin/dev-bundle.js into node_modules/.cache/certflow/dev-cli/, checked against the
//   hash of every source file in it: never stale), which starts in ≈ 0.3 s; otherwise, or with
//   CERTFLOW_DEV_BUNDLE=0, bin/cli.ts with tsx (a devDependency), forwarding the arguments,
//   stdio, signals and exit code. Either way `npx certflow …` runs the current sources.
// - In the installed package (no .ts shipped): runs dist/certflow/cli.mjs, built by `npm run build`
//   (prepack), on the production dependencies only.
/* global process, URL */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';

// V8 doubles the young generation's semi-spaces (1 → 8 MiB) while a command loads its modules,
// though little of it lives long: kept at 1 MiB, `certflow issue` peaks ≈ 10 MiB lower for
// ≈ 0.01 s more scavenging (bench/cli.ts). The growth factor is read at each growth, so set here
// it takes effect; the semi-space sizes themselves are fixed when the heap is made (a flag on the
// node command line, which `node bin/cli.js` and npx do not pass).
setFlagsFromString('--semi-space-growth-factor=1');

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
const args = process.argv.slice(2);

// A command is short and waits on the CA, DNS and disk. TurboFan's optimized code, its compiler's
// memory and its background CPU never pay back there, and V8's default old-space growth (a step of
// ≥ 8 MiB past what lives) holds garbage that promotion out of the 1 MiB young generation feeds on
// every renewal: `renew --all` of 20 peaks ≈ 15 MiB lower with both off, `issue` ≈ 5 MiB, at the
// same CPU (bench/cli.ts). `certflow simulate` computes for seconds (≈ 1.4× CPU without them) and
// `certflow agent` runs for months: both keep V8's defaults.
if (!['simulate', 'agent'].includes(args[0] ?? '')) setFlagsFromString('--no-opt --optimize-for-size');

const bundle = existsSync(cli) && process.env.CERTFLOW_DEV_BUNDLE !== '0'
  ? await import('./dev-bundle.js').then(({ devBundle }) => devBundle(fileURLToPath(new URL('..', import.meta.url)))).catch(() => undefined)
  : undefined;

if (bundle) {
  const { run } = await import(pathToFileURL(bundle).href);
  process.exit(await run(args));
} else if (existsSync(cli)) {
  const tsx = import.meta.resolve('tsx');
  const child = spawn(process.execPath, ['--import', tsx, cli, ...args], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + ({ SIGINT: 2, SIGHUP: 1 }[signal] ?? 15) : 1)));
} else {
  const entry = new URL('../dist/certflow/cli.mjs', import.meta.url);
  const { run } = await import(entry.href);
  process.exit(await run(args));
}
