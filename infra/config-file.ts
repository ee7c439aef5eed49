/**
 * Loading a certflow config file as `cdk synth` (bin/app.ts), `certflow config check` and
 * `certflow renew --config` do: import it (TypeScript through tsx's API), check it against the
 * schema (infra/config.ts), and report every problem by key, never a stack trace.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CertflowConfig } from './config';

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
  const { checkConfig, isCheckedConfig, isConfigError } = await import('./config');
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
