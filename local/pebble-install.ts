/**
 * Pebble 2.10, the test CA that speaks 2026's ACME (profiles, ARI, Gen Y-style chains), from
 * Debian sid — fetched with a private apt configuration so the system's sources stay untouched
 * (FIELD-NOTES, "Pebble 2.10"). Debian bookworm's own `pebble` is 2.4.0 and cannot express
 * profiles or renewal information, so it is never used by default.
 *
 * The binary lands in `<cache>/certflow/pebble-<version>/usr/bin/pebble` (`XDG_CACHE_HOME`, else
 * `~/.cache`); `PEBBLE_BIN` overrides it. No root needed: apt-get's lists, cache and download
 * all live in a temp dir, and `dpkg-deb -x` only unpacks.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const PEBBLE_DEBIAN_VERSION = '2.10.0+ds1-2';
const DEBIAN_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
const FALLBACK_MIRROR = 'http://deb.debian.org/debian';

export class PebbleMissing extends Error {
  override readonly name = 'PebbleMissing';
}

function cacheRoot(): string {
  return process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
}

/** Where certflow keeps (or would fetch) Pebble 2.10. */
export function fetchedPebblePath(): string {
  return path.join(cacheRoot(), 'certflow', `pebble-${PEBBLE_DEBIAN_VERSION}`, 'usr', 'bin', 'pebble');
}

/** The Pebble binary to run: `PEBBLE_BIN`, else the fetched 2.10. */
export function pebbleBinary(): string {
  return process.env.PEBBLE_BIN || fetchedPebblePath();
}

/** The Debian mirror this machine already uses (deb822 `URIs:` or a one-line `deb` entry), else deb.debian.org. */
export function debianMirror(sources: readonly string[]): string {
  for (const text of sources) {
    const deb822 = /^URIs:\s*(\S+)/m.exec(text);
    if (deb822?.[1] && !deb822[1].includes('security')) return deb822[1];
    const oneLine = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+/m.exec(text);
    if (oneLine?.[1] && !oneLine[1].includes('security')) return oneLine[1];
  }
  return FALLBACK_MIRROR;
}

function readSources(): string[] {
  const files = ['/etc/apt/sources.list'];
  const dir = '/etc/apt/sources.list.d';
  if (existsSync(dir)) files.push(...readdirSync(dir).filter((name) => /\.(sources|list)$/.test(name)).map((name) => path.join(dir, name)));
  return files.filter((file) => existsSync(file)).map((file) => readFileSync(file, 'utf8'));
}

function run(command: string, args: string[], cwd: string): void {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  if (result.error) throw new Error(`${command}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${command} ${args.slice(-2).join(' ')} failed:\n${(result.stderr || result.stdout).trim().split('\n').slice(-5).join('\n')}`);
}

const MANUAL_STEPS =
  `fetch Debian sid's pebble ${PEBBLE_DEBIAN_VERSION} .deb (https://packages.debian.org/sid/pebble), ` +
  'unpack it with `dpkg-deb -x pebble_*.deb <dir>` and set PEBBLE_BIN=<dir>/usr/bin/pebble';

/**
 * Fetch and unpack Pebble 2.10 unless `PEBBLE_BIN` or the cached copy exists. Throws
 * PebbleMissing with what to do by hand when apt-get, dpkg-deb or the Debian keyring are missing.
 */
export function ensurePebbleInstalled(log: (line: string) => void = console.log): string {
  const binary = pebbleBinary();
  if (existsSync(binary)) return binary;
  if (process.env.PEBBLE_BIN) throw new PebbleMissing(`PEBBLE_BIN=${binary} does not exist; unset it to let certflow fetch Pebble ${PEBBLE_DEBIAN_VERSION}, or ${MANUAL_STEPS}`);
  const missing = ['/usr/bin/apt-get', '/usr/bin/dpkg-deb', DEBIAN_KEYRING].filter((file) => !existsSync(file));
  if (missing.length > 0) throw new PebbleMissing(`Pebble ${PEBBLE_DEBIAN_VERSION} is not installed and this machine lacks ${missing.join(', ')} to fetch it: ${MANUAL_STEPS}`);

  const target = path.dirname(path.dirname(path.dirname(binary)));
  const work = mkdtempSync(path.join(os.tmpdir(), 'certflow-pebble-fetch-'));
  try {
    log(`Fetching Pebble ${PEBBLE_DEBIAN_VERSION} from Debian sid (private apt config; ~15 MB, 5-30 s)…`);
    for (const dir of ['lists/partial', 'cache/archives/partial', 'unpacked']) mkdirSync(path.join(work, dir), { recursive: true });
    const sourcesFile = path.join(work, 'sid.list');
    writeFileSync(sourcesFile, `deb [signed-by=${DEBIAN_KEYRING}] ${debianMirror(readSources())} sid main\n`);
    const apt = ['-q', '-o', `Dir::Etc::sourcelist=${sourcesFile}`, '-o', 'Dir::Etc::sourceparts=-', '-o', `Dir::State::Lists=${path.join(work, 'lists')}`, '-o', `Dir::Cache=${path.join(work, 'cache')}`, '-o', 'Debug::NoLocking=1'];
    run('apt-get', [...apt, 'update'], work);
    run('apt-get', [...apt, 'download', `pebble=${PEBBLE_DEBIAN_VERSION}`], work);
    const deb = readdirSync(work).find((name) => name.endsWith('.deb'));
    if (!deb) throw new Error('apt-get download left no .deb');
    run('dpkg-deb', ['-x', deb, 'unpacked'], work);
    mkdirSync(path.dirname(target), { recursive: true });
    rmSync(target, { recursive: true, force: true });
    renameSync(path.join(work, 'unpacked'), target); // one rename: a half-unpacked Pebble is never found
  } catch (error) {
    throw new PebbleMissing(`could not fetch Pebble ${PEBBLE_DEBIAN_VERSION}: ${(error as Error).message}\nBy hand: ${MANUAL_STEPS}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (!existsSync(binary)) throw new PebbleMissing(`the pebble package unpacked without ${binary}: ${MANUAL_STEPS}`);
  log(`Pebble ${PEBBLE_DEBIAN_VERSION}: ${binary}`);
  return binary;
}

