/**
 * node:fs with readFileSync counted, for tests that check which files a module reads again:
 *   vi.mock('node:fs', async (importOriginal) => (await import('../../support/counting-fs')).countingFs(await importOriginal()));
 * and `fileReads` (imported normally) lists the files read since the test emptied it.
 */
import type * as NodeFs from 'node:fs';

export const fileReads: string[] = [];

export function countingFs(actual: typeof NodeFs): typeof NodeFs & { default: typeof NodeFs } {
  const readFileSync = ((file: Parameters<typeof actual.readFileSync>[0], ...rest: unknown[]) => {
    fileReads.push(String(file));
    return (actual.readFileSync as (...args: unknown[]) => unknown)(file, ...rest);
  }) as typeof actual.readFileSync;
  return { ...actual, readFileSync, default: { ...actual, readFileSync } };
}
