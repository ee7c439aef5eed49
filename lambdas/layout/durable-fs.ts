/**
 * The file-system steps of a crash-safe install: every file reaches the disk (fsync) before the
 * rename that publishes it, and every rename is made durable by an fsync of its directory.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

export const STAGING_PREFIX = '.staging-';
export const LINK_TEMP_INFIX = '.tmp-';

export function isErrno(error: unknown, ...codes: string[]): boolean {
  return codes.includes((error as NodeJS.ErrnoException).code ?? '');
}

/** Create a file (never overwrite), write it and fsync it before closing. */
export async function writeFileDurable(file: string, data: Uint8Array, mode: number): Promise<void> {
  const handle = await fs.open(file, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.chmod(mode); // the umask may have narrowed the mode open() was given
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Point `link` at `target` with one rename(2): readers see the old target or the new one, never none. */
export async function replaceSymlink(link: string, target: string): Promise<void> {
  const temporary = `${link}${LINK_TEMP_INFIX}${randomBytes(6).toString('hex')}`;
  await fs.symlink(target, temporary);
  try {
    await fs.rename(temporary, link);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw error;
  }
  await fsyncDir(path.dirname(link));
}

export async function readLinkOrUndefined(link: string): Promise<string | undefined> {
  try {
    return await fs.readlink(link);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw error;
  }
}

export async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return [];
    throw error;
  }
}
