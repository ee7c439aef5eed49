#!/usr/bin/env node
// The `certflow` command (package.json "bin").
// - In a checkout (bin/cli.ts is here): runs bin/cli.ts with tsx (a devDependency), forwarding
//   the arguments, stdio, signals and exit code, so `npx certflow …` always runs the sources.
// - In the installed package (no .ts shipped): runs dist/certflow/cli.mjs, built by `npm run build`
//   (prepack), on the production dependencies only.
/* global process, URL */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
const args = process.argv.slice(2);

if (existsSync(cli)) {
  const tsx = import.meta.resolve('tsx');
  const child = spawn(process.execPath, ['--import', tsx, cli, ...args], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + ({ SIGINT: 2, SIGHUP: 1 }[signal] ?? 15) : 1)));
} else {
  const { run } = await import('../dist/certflow/cli.mjs');
  process.exit(await run(args));
}
