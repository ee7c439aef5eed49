/**
 * An FsPort (domain/layout/durable-fs.ts) over the real node:fs/promises that records every
 * step in order — and, given `crashAfter`, lets that many steps through and fails every later
 * one, like a process killed between two system calls (nothing after it runs, no cleanup).
 */
import * as nodeFs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import type { FsPort } from '../../domain/layout/durable-fs';

/** [step, path, second path or open flags]; fsyncs are `fsync-file` / `fsync-dir`, a write to an opened file is `write`. */
export type Step = readonly [op: string, file: string, other?: string];

export class SimulatedCrash extends Error {
  override readonly name = 'SimulatedCrash';
}

const CALLS = ['open', 'mkdir', 'rename', 'symlink', 'link', 'unlink', 'rm', 'rmdir', 'readdir', 'readlink', 'readFile', 'stat', 'lstat'] as const satisfies readonly (keyof FsPort)[];

export function watchedFs(steps: Step[] = [], crashAfter = Infinity): FsPort {
  let taken = 0;
  const step = (entry: Step) => {
    if (taken >= crashAfter) throw new SimulatedCrash(`crashed before ${entry.join(' ')}`);
    taken += 1;
    steps.push(entry);
  };
  const watchHandle = (handle: FileHandle, file: string, isDir: boolean) =>
    ({
      writeFile: async (data: string | Uint8Array) => (step(['write', file]), handle.writeFile(data)),
      chmod: async (mode: number) => (step(['chmod', file]), handle.chmod(mode)),
      sync: async () => (step([isDir ? 'fsync-dir' : 'fsync-file', file]), handle.sync()),
      close: () => handle.close(), // the kernel closes a dead process's files too
    }) as unknown as FileHandle;
  const port = Object.fromEntries(
    CALLS.map((name) => [
      name,
      async (...args: unknown[]) => {
        const [first, second] = args.map(String);
        // symlink(target, link): the name it creates goes first, like the others
        step(name === 'symlink' ? [name, second!, first] : name === 'rename' || name === 'link' || name === 'open' ? [name, first!, second] : [name, first!]);
        const result = await (nodeFs[name] as (...call: unknown[]) => Promise<unknown>)(...args);
        if (name !== 'open') return result;
        const handle = result as FileHandle;
        return watchHandle(handle, first!, (await handle.stat()).isDirectory());
      },
    ]),
  );
  return port as unknown as FsPort;
}

/**
 * What a power loss could undo in these steps: a rename or link that published a file (or a
 * folder of files) before they were fsynced, and a name created by rename/link/symlink-rename
 * whose folder was not fsynced afterwards. Empty when every step was durable.
 */
export function durabilityGaps(steps: readonly Step[]): string[] {
  const written = new Set<string>();
  const synced = new Set<string>();
  const awaitingDirSync = new Map<string, string>();
  const gaps: string[] = [];
  for (const [op, file, other] of steps) {
    if (op === 'open' && other?.includes('w')) written.add(file);
    if (op === 'fsync-file' || op === 'fsync-dir') {
      synced.add(file);
      awaitingDirSync.delete(file);
    }
    if ((op === 'rename' || op === 'link') && other !== undefined) {
      const published = [...written].filter((name) => name === file || path.dirname(name) === file);
      for (const name of published) if (!synced.has(name)) gaps.push(`${op} ${file}: ${name} was not fsynced before`);
      if (published.some((name) => name !== file) && !synced.has(file)) gaps.push(`${op} ${file}: the folder was not fsynced before`);
      awaitingDirSync.set(path.dirname(other), `${op} ${other}`);
    }
  }
  for (const [dir, what] of awaitingDirSync) gaps.push(`${what}: ${dir} was not fsynced after`);
  return gaps;
}
