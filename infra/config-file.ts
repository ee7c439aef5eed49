/**
 * Loading a certflow config file as `cdk synth` (bin/app.ts), `certflow config check` and
 * `certflow renew --config` do: import it (TypeScript compiled by esbuild), check it against the
 * schema (infra/config.ts), and report every problem by key, never a stack trace.
 */
import * as fs from 'node:fs';
import { isBuiltin } from 'node:module';
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

/** Only the first line of what esbuild reports: where and what, never a source excerpt. */
function buildErrorLine(error: unknown): string | undefined {
  const first = (error as { errors?: { text: string; location?: { line: number; column: number } | null }[] }).errors?.[0];
  return first && `${first.text}${first.location ? ` (line ${first.location.line}, column ${first.location.column + 1})` : ''}`;
}

/**
 * A TypeScript module is compiled with esbuild (a devDependency, as tsx was: the CLI may itself run
 * as a bundle with no TypeScript loader) into one ES module with the files it imports by relative
 * path; each package it imports stays external, named by the file URL that resolving it from its
 * importer gives, so the module is imported from a data: URL in this thread. tsx's tsImport ran a
 * loader thread instead: ≈ 55 MiB more for `renew --all --config` (bench/cli.ts); esbuild's own
 * process (≈ 12 MiB) ends as soon as the module is compiled. Each file keeps its own
 * import.meta.url, as under tsx. Anything else is imported natively.
 */
async function importModule(absolute: string): Promise<unknown> {
  if (!/\.[cm]?tsx?$/.test(absolute)) return import(pathToFileURL(absolute).href);
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    throw new Error('reading a TypeScript config needs esbuild (npm ci in the checkout)');
  }
  let compiled: string;
  try {
    const result = await esbuild.build({
      entryPoints: [absolute],
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: `node${process.versions.node}`,
      write: false,
      logLevel: 'silent',
      // CommonJS in the config may require(); from a data: URL, require resolves beside the config.
      banner: { js: `import { createRequire as __certflowRequire } from 'node:module'; const require = __certflowRequire(${JSON.stringify(pathToFileURL(absolute).href)});` },
      plugins: [
        {
          name: 'certflow-config',
          setup(build) {
            build.onResolve({ filter: /^[^./]/ }, async (args) => {
              if (isBuiltin(args.path) || args.pluginData === RESOLVING) return undefined;
              const resolved = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: RESOLVING });
              if (resolved.errors.length > 0) return { errors: resolved.errors };
              return { path: pathToFileURL(resolved.path).href, external: true };
            });
            build.onLoad({ filter: /\.[cm]?[jt]sx?$/ }, (args) => {
              const loader = (/\.[cm]?(tsx?|jsx?)$/.exec(args.path)?.[1] ?? 'js') as 'ts' | 'tsx' | 'js' | 'jsx';
              const contents = fs.readFileSync(args.path, 'utf8').replace(IMPORT_META_URL, JSON.stringify(pathToFileURL(args.path).href));
              return { contents, loader, resolveDir: path.dirname(args.path) };
            });
          },
        },
      ],
    });
    compiled = result.outputFiles[0]!.text;
  } catch (error) {
    throw new Error(buildErrorLine(error) ?? oneLine(error));
  } finally {
    await esbuild.stop();
  }
  return import(`data:text/javascript;base64,${Buffer.from(compiled).toString('base64')}`);
}

const RESOLVING = Symbol('resolving');
/** A regular expression, not the words: bin/dev-bundle.js rewrites them where they appear in our sources. */
const IMPORT_META_URL = /\bimport\.meta\.url\b/g;

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
