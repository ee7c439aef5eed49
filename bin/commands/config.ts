/**
 * `certflow config check [--config <file>] [--deploy] [--json]`: load certflow.config.ts as
 * `cdk synth` does (bin/app.ts uses the same loader) and report every problem, each naming its
 * key, with the nearest known key for a typo. Exit 0 valid, 2 invalid (or, with --deploy, still
 * holding the shipped example values). Never a stack trace.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import type { CertflowConfig } from '../../infra/config';
// Loaded by the check only: infra/example-values.ts imports aws-cdk-lib (≈ 0.5 s), which no other subcommand needs.
import type { ExampleValue } from '../../infra/example-values';

export const DEFAULT_CONFIG_FILE = 'certflow.config.ts';

export type LoadedConfig = { ok: true; file: string; config: CertflowConfig } | { ok: false; file: string; problems: string[] };

/** The first line of an error, without the stack; import errors keep only what names the file and the cause. */
function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.trim();
}

/**
 * A TypeScript module is imported through tsx's API (a devDependency: the CLI may itself run as
 * a bundle with no TypeScript loader); anything else natively.
 */
async function importModule(absolute: string): Promise<unknown> {
  if (!/\.[cm]?tsx?$/.test(absolute)) return import(pathToFileURL(absolute).href);
  let tsImport: (specifier: string, parentUrl: string) => Promise<unknown>;
  try {
    ({ tsImport } = await import('tsx/esm/api'));
  } catch {
    throw new Error('reading a TypeScript config needs tsx (npm ci in the checkout)');
  }
  return tsImport(pathToFileURL(absolute).href, import.meta.url);
}

/**
 * Import `file` (a TypeScript or JavaScript module; its default export is the config) and check
 * it. defineConfig has checked it already when the file calls it (its ConfigError is turned into
 * problems here); a plain object export is checked now.
 */
export async function loadConfigFile(file: string = DEFAULT_CONFIG_FILE): Promise<LoadedConfig> {
  const absolute = path.resolve(file);
  if (!fs.existsSync(absolute)) return { ok: false, file, problems: [`${file}: no such file`] };
  // Loaded here: the schema (zod) costs every other subcommand's start nothing.
  const { checkConfig, isCheckedConfig, isConfigError } = await import('../../infra/config');
  let exported: unknown;
  try {
    exported = ((await importModule(absolute)) as { default?: unknown }).default;
    // A module outside an ESM package is loaded as CommonJS: its `export default` is under `default` again.
    if (typeof exported === 'object' && exported !== null && '__esModule' in exported && 'default' in exported) exported = exported.default;
  } catch (error) {
    if (isConfigError(error)) return { ok: false, file, problems: [...error.problems] };
    return { ok: false, file, problems: [`${file} could not be loaded: ${oneLine(error)}`] };
  }
  if (exported === undefined) return { ok: false, file, problems: [`${file} has no default export (export default defineConfig({...}))`] };
  if (isCheckedConfig(exported)) return { ok: true, file, config: exported };
  const checked = checkConfig(exported);
  return checked.ok ? { ok: true, file, config: checked.config } : { ok: false, file, problems: checked.problems };
}

/** `<file> is invalid:` then one problem a line. */
export function formatConfigProblems(loaded: Extract<LoadedConfig, { ok: false }>): string {
  return `${loaded.file} is invalid:\n${loaded.problems.map((problem) => `  - ${problem}`).join('\n')}`;
}

interface CheckOptions {
  readonly config?: string;
  readonly deploy?: boolean;
  readonly json?: boolean;
}

export async function configCheckCommand(options: CheckOptions): Promise<number> {
  const loaded = await loadConfigFile(options.config ?? DEFAULT_CONFIG_FILE);
  const { exampleValuesIn, exampleValuesMessage } = await import('../../infra/example-values');
  const exampleValues: ExampleValue[] = loaded.ok ? exampleValuesIn(loaded.config) : [];
  const refused = !loaded.ok || (options.deploy === true && exampleValues.length > 0);
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          file: loaded.file,
          valid: loaded.ok,
          problems: loaded.ok ? [] : loaded.problems,
          exampleValues,
          deployable: loaded.ok && exampleValues.length === 0,
          ...(loaded.ok ? { certificates: loaded.config.certificates.map(({ id }) => id), hostedZones: loaded.config.hostedZones.map(({ name }) => name), subscribers: loaded.config.subscribers.map(({ name }) => name) } : {}),
        },
        null,
        2,
      )}\n`,
    );
    return refused ? 2 : 0;
  }
  if (!loaded.ok) {
    process.stderr.write(`${formatConfigProblems(loaded)}\n`);
    return 2;
  }
  const { config } = loaded;
  process.stdout.write(
    `${loaded.file} is valid: ${config.hostedZones.length} hosted zone(s), ${config.certificates.length} certificate(s), ${config.subscribers.length} subscriber group(s); default CA ${config.acme.directoryUrl}\n`,
  );
  if (exampleValues.length > 0) {
    const stream = options.deploy ? process.stderr : process.stdout;
    stream.write(`\n${exampleValuesMessage(exampleValues)}\n${options.deploy ? '' : '`cdk synth` works with them; `cdk deploy` stops.\n'}`);
  }
  return refused ? 2 : 0;
}

const HELP = `
Examples:
  $ certflow config check
  $ certflow config check --config ./prod.config.ts --json
  $ certflow config check --deploy     # also refuse the shipped example values, as cdk deploy does

Exit codes:
  0  the config is valid (example values are listed, not refused, without --deploy)
  2  the config is invalid: every problem is printed, each naming its key (or, with --deploy,
     it still holds example values)`;

/** Adds `config check` to the program; `setCode` receives the exit code. */
export function registerConfigCommand(program: Command, setCode: (code: number) => void): void {
  const config = program.command('config').description('check certflow.config.ts (the stack\'s configuration) as cdk synth does');
  config
    .command('check')
    .description('check the config against its schema: unknown keys and typos are named with the nearest known key; example values are listed')
    .option('--config <file>', 'the config module to check', DEFAULT_CONFIG_FILE)
    .option('--deploy', 'also refuse the shipped example values (placeholder zone id, example.com, …), as cdk deploy does')
    .option('--json', 'print the result as JSON on stdout')
    .addHelpText('after', HELP)
    .exitOverride()
    .action(async (options: CheckOptions) => setCode(await configCheckCommand(options)));
  config.exitOverride();
}
