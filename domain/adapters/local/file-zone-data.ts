/**
 * TXT values shared between processes through a directory: the `certflow local start` daemon's
 * DNS server answers from it while each `certflow issue` process writes its challenges into it.
 * One file per value (`<dir>/<name>/<sha256(value)>`, written to a temp file and renamed), so
 * concurrent processes need no lock: a name's value set is its folder's listing.
 * The change log (what `isInSync` checks) stays in the writing process, as in LocalZoneData.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { normalizeName, type HostedZone } from '../../core/dns-names';
import { DnsChangeRejected } from '../../core/errors';
import type { TxtRecord } from '../../ports';
import type { LocalZoneStore } from './dns-server';

/** A name as a folder name: DNS names here are letters, digits, `-`, `_` and dots, never `.`/`..`. */
function folderOf(dir: string, name: string): string {
  const key = normalizeName(name);
  if (!/^[a-z0-9_*-]+(\.[a-z0-9_*-]+)*$/.test(key)) throw new DnsChangeRejected(`'${name}' is not a DNS name the local DNS server stores`);
  return path.join(dir, key);
}

const fileOf = (value: string) => createHash('sha256').update(value).digest('hex').slice(0, 32);

export class FileTxtZoneData implements LocalZoneStore {
  private readonly changes = new Map<string, TxtRecord[]>();
  private nextChange = 1;

  constructor(
    readonly zones: readonly HostedZone[],
    /** The shared folder (created on first write). */
    readonly dir: string,
  ) {}

  values(name: string): string[] {
    let folder: string;
    try {
      folder = folderOf(this.dir, name);
    } catch {
      return []; // not a name anyone can have written
    }
    let entries: string[];
    try {
      entries = fs.readdirSync(folder).filter((entry) => !entry.endsWith('.tmp'));
    } catch {
      return [];
    }
    return entries.flatMap((entry) => {
      try {
        return [fs.readFileSync(path.join(folder, entry), 'utf8')];
      } catch {
        return []; // removed between the listing and the read
      }
    });
  }

  add(records: readonly TxtRecord[]): string {
    for (const { name, value } of records) {
      const folder = folderOf(this.dir, name);
      fs.mkdirSync(folder, { recursive: true });
      const temp = path.join(folder, `${process.pid}-${this.nextChange}-${fileOf(value)}.tmp`);
      fs.writeFileSync(temp, value);
      fs.renameSync(temp, path.join(folder, fileOf(value)));
    }
    const id = `local-change-${process.pid}-${this.nextChange++}`;
    this.changes.set(id, records.map((record) => ({ ...record })));
    return id;
  }

  remove(records: readonly TxtRecord[]): void {
    for (const { name, value } of records) fs.rmSync(path.join(folderOf(this.dir, name), fileOf(value)), { force: true });
  }

  change(id: string): TxtRecord[] | undefined {
    return this.changes.get(id);
  }
}
