/**
 * The synthesized definitions, cached on disk: synthesizing the CDK app takes 7–39 s, so the
 * resolved definitions (and stepsByArn) are kept in a JSON file keyed by a hash of everything
 * that shapes them — the infra sources, the step catalogue and state, the config, the CDK app
 * and this resolver, and the installed aws-cdk-lib version — and reused until one changes.
 *
 * aws-cdk-lib is imported only when synthesis actually runs, so a cache hit never loads it.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StepId } from '../lambdas/catalogue';
import type { LocalDefinition, LocalDefinitions } from './definition';

/** The project root (this file lives in <root>/local/). */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Sources (relative to the root) whose contents key the cache; folders are walked for *.ts. All of
 * domain/ and lambdas/, not just the catalogue: infra imports from them what shapes the definition
 * (the retryable error names, the contracts), and hashing ~200 small files costs a few ms.
 */
const DEFINITION_SOURCES = ['infra', 'domain', 'lambdas', 'certflow.config.ts', 'bin/certflow.ts', 'local/definition.ts'] as const;

/** 2: RevokeCertificate joined the definitions (a format-1 file lacks it and is synthesized again). */
const CACHE_FORMAT = 2;

export interface DefinitionCacheOptions {
  /** Where the cache files live (default $CERTFLOW_CACHE_DIR, else <root>/node_modules/.cache/certflow). */
  readonly cacheDir?: string;
  /** The root the sources are read from (default the project root). */
  readonly sourceRoot?: string;
  /** The sources keyed (default DEFINITION_SOURCES). */
  readonly sources?: readonly string[];
  /** The synthesizer (default local/definition.ts's synthesizeDefinitions, loaded on demand). */
  readonly synthesize?: () => LocalDefinitions | Promise<LocalDefinitions>;
  /** Told when synthesis runs (not on a cache hit): start, then done with the time it took. */
  readonly onProgress?: (event: { readonly phase: 'start' } | { readonly phase: 'done'; readonly ms: number }) => void;
}

type CachedFile = {
  readonly format: number;
  readonly key: string;
  readonly renew: SerializedDefinition;
  readonly scan: SerializedDefinition;
  readonly revoke: SerializedDefinition;
};
type SerializedDefinition = { readonly definition: LocalDefinition['definition']; readonly stepsByArn: [string, StepId][] };

function sourceFiles(root: string, entry: string): string[] {
  const full = path.join(root, entry);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(full);
  } catch {
    return [entry]; // a missing source still keys the hash (as missing)
  }
  if (!stat.isDirectory()) return [entry];
  return fs
    .readdirSync(full, { withFileTypes: true })
    .flatMap((child) => (child.isDirectory() ? sourceFiles(root, path.join(entry, child.name)) : child.name.endsWith('.ts') ? [path.join(entry, child.name)] : []))
    .sort();
}

/**
 * A long-running process (the local CA daemon) keys the cache on every execution: it re-reads
 * a file only when its size, mtime or ctime moved since it was hashed (ctime cannot be set back).
 * A file changed within RACY_MS before it was hashed is always read again: a second write in the
 * same timestamp tick would keep both times (git's "racily clean" files; some filesystems tick in
 * seconds).
 */
const RACY_MS = 3000;
const memo = new Map<string, { readonly stat: string; readonly trusted: boolean; readonly value: string }>();

function memoized(file: string, compute: (bytes: Buffer) => string): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    memo.delete(file);
    return '(missing)';
  }
  const statKey = `${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}:${stat.ino}`;
  const known = memo.get(file);
  if (known?.trusted && known.stat === statKey) return known.value;
  const value = compute(fs.readFileSync(file));
  memo.set(file, { stat: statKey, trusted: stat.ctimeMs < Date.now() - RACY_MS, value });
  return value;
}

function cdkVersion(root: string): string {
  try {
    return memoized(path.join(root, 'package-lock.json'), (bytes) => {
      const lock = JSON.parse(bytes.toString('utf8')) as { packages?: Record<string, { version?: string }> };
      return lock.packages?.['node_modules/aws-cdk-lib']?.version ?? 'unknown';
    });
  } catch {
    return 'unknown';
  }
}

/** The cache key: a hash of the keyed sources' paths and content hashes and aws-cdk-lib's locked version. */
export function definitionsKey(root: string = PROJECT_ROOT, sources: readonly string[] = DEFINITION_SOURCES): string {
  const hash = createHash('sha256');
  hash.update(`format ${CACHE_FORMAT}\naws-cdk-lib ${cdkVersion(root)}\n`);
  for (const file of sources.flatMap((entry) => sourceFiles(root, entry))) {
    hash.update(`${file.split(path.sep).join('/')}\0`);
    hash.update(memoized(path.join(root, file), (bytes) => createHash('sha256').update(bytes).digest('hex')));
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 32);
}

function serialize(definition: LocalDefinition): SerializedDefinition {
  return { definition: definition.definition, stepsByArn: [...definition.stepsByArn] };
}

function deserialize(definition: SerializedDefinition): LocalDefinition {
  if (typeof definition?.definition?.StartAt !== 'string' || typeof definition.definition.States !== 'object' || !Array.isArray(definition.stepsByArn)) {
    throw new Error('malformed cached definition');
  }
  return { definition: definition.definition, stepsByArn: new Map(definition.stepsByArn) };
}

function readCache(file: string, key: string): LocalDefinitions | undefined {
  try {
    const cached = JSON.parse(fs.readFileSync(file, 'utf8')) as CachedFile;
    if (cached.format !== CACHE_FORMAT || cached.key !== key) return undefined;
    return { renew: deserialize(cached.renew), scan: deserialize(cached.scan), revoke: deserialize(cached.revoke) };
  } catch {
    return undefined; // missing, truncated or corrupted: synthesize and rewrite
  }
}

function writeCache(file: string, key: string, definitions: LocalDefinitions): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const content: CachedFile = {
      format: CACHE_FORMAT,
      key,
      renew: serialize(definitions.renew),
      scan: serialize(definitions.scan),
      revoke: serialize(definitions.revoke),
    };
    const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
    fs.writeFileSync(temp, JSON.stringify(content));
    fs.renameSync(temp, file); // readers racing this see the old file or the new one, never half of one
  } catch {
    // A read-only tree only loses the cache, not the run.
  }
}

export function defaultCacheDir(root: string = PROJECT_ROOT): string {
  return process.env.CERTFLOW_CACHE_DIR ?? path.join(root, 'node_modules', '.cache', 'certflow');
}

/** The definitions from the cache when the keyed sources are unchanged, otherwise synthesized and cached. */
export async function cachedDefinitions(options: DefinitionCacheOptions = {}): Promise<LocalDefinitions> {
  const root = options.sourceRoot ?? PROJECT_ROOT;
  const key = definitionsKey(root, options.sources ?? DEFINITION_SOURCES);
  const file = path.join(options.cacheDir ?? defaultCacheDir(root), `definitions-${key}.json`);
  const hit = readCache(file, key);
  if (hit) return hit;
  const synthesize = options.synthesize ?? (async () => (await import('./definition')).synthesizeDefinitions());
  options.onProgress?.({ phase: 'start' });
  const started = performance.now();
  const definitions = await synthesize();
  options.onProgress?.({ phase: 'done', ms: performance.now() - started });
  writeCache(file, key, definitions);
  return definitions;
}

/** A progress printer for cachedDefinitions: one line, finished when synthesis is done. */
export function synthesisProgress(write: (text: string) => void = (text) => process.stdout.write(text)): NonNullable<DefinitionCacheOptions['onProgress']> {
  return (event) => {
    if (event.phase === 'start') write('Synthesizing the state machine definitions (first run or sources changed)… ');
    else write(`done in ${(event.ms / 1000).toFixed(1)} s\n`);
  };
}
