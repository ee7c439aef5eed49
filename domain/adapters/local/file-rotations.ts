/**
 * Root rotation records in the local store: `<root>/rotations/<sha256(ca) prefix>.json`, written
 * aside and renamed into place. Changes are compare-and-set on the phase under a lock file
 * (O_EXCL), so two `certflow ca rotate` runs cannot both advance a phase.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { parseContract } from '../../contracts/parse';
import { isErrno } from '../../core/errors';
import { RotationConflict, RotationRecordSchema, type RotationPhase, type RotationRecord } from '../../core/root-rotation';

export { RotationConflict };
import type { RootRotations } from '../../ports';

/** A lock older than this was left by a killed process (a save takes milliseconds). */
const STALE_LOCK_MS = 30_000;

export class FileRootRotations implements RootRotations {
  private readonly dir: string;

  constructor(root: string) {
    this.dir = path.join(root, 'rotations');
  }

  fileOf(ca: string): string {
    return path.join(this.dir, `${createHash('sha256').update(ca).digest('hex').slice(0, 16)}.json`);
  }

  async rotation(ca: string): Promise<RotationRecord | undefined> {
    let text: string;
    try {
      text = await fs.readFile(this.fileOf(ca), 'utf8');
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return undefined;
      throw error;
    }
    const record = parseContract(RotationRecordSchema, JSON.parse(text), (message) => new Error(`${this.fileOf(ca)}: ${message}`), { name: 'the rotation record' });
    if (record.ca !== ca) throw new Error(`${this.fileOf(ca)} is the record of '${record.ca}', not '${ca}'`);
    return record;
  }

  async saveRotation(record: RotationRecord, expected: RotationPhase | undefined): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = this.fileOf(record.ca);
    const lock = `${file}.lock`;
    await takeLock(lock);
    try {
      const stored = await this.rotation(record.ca);
      if (stored?.phase !== expected) {
        throw new RotationConflict(`the rotation of '${record.ca}' is in phase ${stored?.phase ?? '(none)'}, expected ${expected ?? '(none)'}: another run changed it`);
      }
      const aside = `${file}.tmp-${randomBytes(4).toString('hex')}`;
      await fs.writeFile(aside, `${JSON.stringify(record, null, 2)}\n`);
      await fs.rename(aside, file);
    } finally {
      await fs.rm(lock, { force: true });
    }
  }
}

async function takeLock(lock: string): Promise<void> {
  try {
    await (await fs.open(lock, 'wx')).close();
  } catch (error) {
    if (!isErrno(error, 'EEXIST')) throw error;
    const stat = await fs.stat(lock).catch(() => undefined);
    if (stat && Date.now() - stat.mtimeMs < STALE_LOCK_MS) throw new RotationConflict(`${lock} is held: another certflow ca rotate is running`);
    await fs.rm(lock, { force: true });
    await (await fs.open(lock, 'wx')).close();
  }
}
