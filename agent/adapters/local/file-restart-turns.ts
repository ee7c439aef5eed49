/**
 * The group's restart turn in the local store (ADR 0014): `<store>/turns/<group>/<n>.json`, a
 * chain of versions like the secret's on AWS, which every agent of the group on this machine (or
 * on a shared file system with link(2)) reads and writes. The highest n is the turn as it stands.
 * Every change — taking it, taking it over, giving it back — is a compare-and-set: version n+1 is
 * created with link(2), which fails on an existing name, so of the hosts that judged version n
 * exactly one writes its successor; the others read again. No file is ever renamed or rewritten.
 */
import * as nodeFs from 'node:fs/promises';
import * as path from 'node:path';
import { isErrno } from '../../../domain/core/errors';
import { DurableFs } from '../../../domain/layout/durable-fs';
import { CompareAndSetTurns, parseTurnDocument, turnDocument } from '../../fleet/restart-turns';
import { GROUP_NAME, GROUP_NAME_RULE } from '../../../domain/contracts/ids';
import type { RestartTurn } from '../../ports';

const VERSION_FILE = /^([1-9][0-9]{0,15})\.json$/;

export class FileRestartTurns extends CompareAndSetTurns<number> {
  readonly description: string;
  private readonly dir: string;
  private readonly files = new DurableFs();

  constructor(storeDir: string, private readonly group: string) {
    super();
    if (!GROUP_NAME.test(group)) throw new Error(`restart turn group '${group.slice(0, 100)}' must be ${GROUP_NAME_RULE}`);
    this.dir = path.join(storeDir, 'turns', group);
    this.description = this.dir;
  }

  /** The highest version and its turn; version 0 when none was ever written. */
  protected async current(): Promise<{ version: number; turn?: RestartTurn }> {
    for (;;) {
      const names = await nodeFs.readdir(this.dir).catch((error: unknown) => {
        if (isErrno(error, 'ENOENT')) return [];
        throw error;
      });
      const n = Math.max(0, ...names.flatMap((name) => VERSION_FILE.exec(name)?.[1] ?? []).map(Number));
      if (n === 0) return { version: n };
      const file = path.join(this.dir, `${n}.json`);
      try {
        const { turn } = parseTurnDocument(await nodeFs.readFile(file, 'utf8'), file);
        return { version: n, ...(turn ? { turn } : {}) };
      } catch (error) {
        if (!isErrno(error, 'ENOENT')) throw error; // pruned after two newer versions were written: list again
      }
    }
  }

  /** Compare and set: write version n+1 unless someone did first (false). Versions before n go. */
  protected async replace(n: number, turn: RestartTurn | undefined): Promise<boolean> {
    await this.files.ensureDir(this.dir);
    const document = turnDocument(this.group, turn);
    if (!(await this.files.createFileOnce(path.join(this.dir, `${n + 1}.json`), `${JSON.stringify(document)}\n`, 0o644))) return false;
    const names = await nodeFs.readdir(this.dir);
    const old = names.filter((name) => Number(VERSION_FILE.exec(name)?.[1] ?? Infinity) < n);
    await Promise.all(old.map((name) => nodeFs.rm(path.join(this.dir, name), { force: true })));
    return true;
  }
}
