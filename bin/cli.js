#!/usr/bin/env node
// The `certflow` command (package.json "bin"): runs bin/cli.ts with tsx, forwarding the
// arguments, stdio, signals and exit code. tsx is a devDependency: the command runs from a
// checkout after `npm ci` (npx certflow …), not from a production-only install.
/* global process, URL */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const tsx = import.meta.resolve('tsx');
const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
const child = spawn(process.execPath, ['--import', tsx, cli, ...process.argv.slice(2)], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + ({ SIGINT: 2, SIGHUP: 1 }[signal] ?? 15) : 1)));
