/**
 * Crash-safe file-system steps: a file reaches the disk (fsync) before the rename or link that
 * publishes it, and every new name is made durable by an fsync of its folder. All I/O goes
 * through an `FsPort` (node:fs/promises by default) so a test can watch or interrupt each step.
 * `Durability` 'process' keeps the atomic steps (no reader sees half a file, one racing writer
 * wins) but skips the fsyncs: for a file nothing reads once the machine has crashed.
 */
import { randomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs/promises';
import * as path from 'node:path';
import { isErrno } from '../core/errors';

/** The node:fs/promises calls the layout makes. */
export type FsPort = Pick<typeof nodeFs, 'open' | 'mkdir' | 'rename' | 'symlink' | 'link' | 'unlink' | 'rm' | 'rmdir' | 'readdir' | 'readlink' | 'readFile' | 'stat' | 'lstat'>;

/** Who owns a file written here (undefined fields: as created). */
export interface FileOwner {
  readonly uid?: number;
  readonly gid?: number;
}

/** Marks a temporary name (`<name>.tmp-<hex>`) that repair and listings skip or remove. */
export const TEMP_INFIX = '.tmp-';

/** 'disk': survives a crash of the machine (fsyncs). 'process': survives only this machine's uptime. */
export type Durability = 'disk' | 'process';

function temporaryName(file: string): string {
  return `${file}${TEMP_INFIX}${randomBytes(6).toString('hex')}`;
}

export class DurableFs {
  constructor(readonly fs: FsPort = nodeFs) {}

  /** Create a file (never overwrite), write it and fsync it before closing; `owner`: chown it first (-1 keeps a field). */
  async createFile(file: string, data: string | Uint8Array, mode: number, owner?: FileOwner, durability: Durability = 'disk'): Promise<void> {
    const handle = await this.fs.open(file, 'wx', mode & 0o600);
    try {
      await handle.writeFile(data);
      if (owner && (owner.uid !== undefined || owner.gid !== undefined)) await handle.chown(owner.uid ?? -1, owner.gid ?? -1);
      await handle.chmod(mode); // the umask may have narrowed the mode open() was given; group bits only once the group is right
      if (durability === 'disk') await handle.sync();
    } finally {
      await handle.close();
    }
  }

  async fsyncDir(dir: string): Promise<void> {
    const handle = await this.fs.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /** mkdir -p; when folders were created, the folders that gained an entry are fsynced. */
  async ensureDir(dir: string, mode = 0o755, durability: Durability = 'disk'): Promise<void> {
    const first = await this.fs.mkdir(dir, { recursive: true, mode });
    if (first === undefined || durability === 'process') return;
    const top = path.dirname(path.resolve(first));
    for (let parent = path.dirname(path.resolve(dir)); ; parent = path.dirname(parent)) {
      await this.fsyncDir(parent);
      if (parent === top || parent === path.dirname(parent)) break;
    }
  }

  /** Replace `file` atomically: write a temporary file, fsync it, rename it onto the name, fsync the folder. */
  async replaceFile(file: string, data: string | Uint8Array, mode: number, owner?: FileOwner): Promise<void> {
    const temporary = temporaryName(file);
    await this.createFile(temporary, data, mode, owner);
    await this.renameDurable(temporary, file);
  }

  /**
   * Create `file` unless it exists; true when this call created it. link(2) fails on an existing
   * name: of racing writers exactly one wins, and nobody reads a half-written file.
   */
  async createFileOnce(file: string, data: string | Uint8Array, mode: number, durability: Durability = 'disk'): Promise<boolean> {
    const temporary = temporaryName(file);
    await this.createFile(temporary, data, mode, undefined, durability);
    let created = true;
    try {
      await this.fs.link(temporary, file);
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) throw error;
      created = false;
    } finally {
      await this.fs.unlink(temporary);
    }
    if (durability === 'disk') await this.fsyncDir(path.dirname(file));
    return created;
  }

  /** Point `link` at `target` with one rename(2): readers see the old target or the new one, never none. */
  async replaceSymlink(link: string, target: string): Promise<void> {
    const temporary = temporaryName(link);
    await this.fs.symlink(target, temporary);
    await this.renameDurable(temporary, link);
  }

  /** Give a temporary name its final one (removing it when that fails), then fsync the folder. */
  private async renameDurable(temporary: string, name: string): Promise<void> {
    try {
      await this.fs.rename(temporary, name);
    } catch (error) {
      await this.fs.rm(temporary, { force: true });
      throw error;
    }
    await this.fsyncDir(path.dirname(name));
  }

  /** Temporary names (`<file>.tmp-<hex>`) that an interrupted replace left next to `file`. */
  async temporariesOf(file: string): Promise<string[]> {
    const prefix = `${path.basename(file)}${TEMP_INFIX}`;
    const dir = path.dirname(file);
    return (await this.readdirOrEmpty(dir)).filter((entry) => entry.startsWith(prefix)).map((entry) => path.join(dir, entry));
  }

  async readLinkOrUndefined(link: string): Promise<string | undefined> {
    try {
      return await this.fs.readlink(link);
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return undefined;
      throw error;
    }
  }

  async readdirOrEmpty(dir: string): Promise<string[]> {
    try {
      return await this.fs.readdir(dir);
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return [];
      throw error;
    }
  }
}
