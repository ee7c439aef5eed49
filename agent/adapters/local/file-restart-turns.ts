/**
 * The group's restart turn in the local store (ADR 0014): `<store>/turns/<group>.json`, which
 * every agent of the group on this machine (or on a shared file system with link(2) and
 * rename(2)) reads and writes. Taking a free turn creates the file exclusively (link(2): of
 * racing hosts exactly one wins); taking an expired or one's own turn, or giving it back, first
 * moves the document that was judged out of the way (rename(2): one mover wins) and checks it
 * is that document (its token), putting back one that changed in between.
 */
import { randomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs/promises';
import * as path from 'node:path';
import { isErrno } from '../../../domain/core/errors';
import { DurableFs, temporaryName } from '../../../domain/layout/durable-fs';
import { mayTakeTurn, parseTurnDocument, turnDocument, TURN_GROUP } from '../../fleet/restart-turns';
import type { RestartTurn, RestartTurnStore, TurnTake } from '../../ports';

/** Rounds of racing (a move that lost, a file that vanished) before the take gives up for this try. */
const ROUNDS = 5;

export class FileRestartTurns implements RestartTurnStore {
  readonly description: string;
  private readonly file: string;
  private readonly files = new DurableFs();

  constructor(storeDir: string, private readonly group: string) {
    if (!TURN_GROUP.test(group)) throw new Error(`restart turn group '${group.slice(0, 100)}' must be 1–40 of A-Z a-z 0-9 -`);
    this.file = path.join(storeDir, 'turns', `${group}.json`);
    this.description = this.file;
  }

  async take(holder: string, expiresAt: Date, now: Date): Promise<TurnTake> {
    await this.files.ensureDir(path.dirname(this.file));
    let last: RestartTurn | undefined;
    for (let round = 0; round < ROUNDS; round += 1) {
      if (await this.create(holder, expiresAt)) return { taken: true };
      const held = await this.read();
      if (held?.turn === undefined) continue; // given back in between
      last = held.turn;
      if (!mayTakeTurn(held.turn, holder, now)) return { taken: false, held: held.turn };
      if ((await this.removeIf(held.token)) && (await this.create(holder, expiresAt))) {
        return held.turn.holder === holder ? { taken: true } : { taken: true, from: held.turn };
      }
    }
    if (last) return { taken: false, held: last };
    throw new Error(`${this.file}: the restart turn changed hands ${ROUNDS} times while it was being taken`);
  }

  async give(holder: string): Promise<void> {
    const held = await this.read();
    if (held?.turn?.holder === holder) await this.removeIf(held.token);
  }

  private async create(holder: string, expiresAt: Date): Promise<boolean> {
    const token = randomBytes(12).toString('hex');
    return this.files.createFileOnce(this.file, `${JSON.stringify(turnDocument(this.group, { holder, expiresAt }, token))}\n`, 0o644);
  }

  private async read(): Promise<{ turn?: RestartTurn; token?: string } | undefined> {
    let text: string;
    try {
      text = await nodeFs.readFile(this.file, 'utf8');
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return undefined;
      throw error;
    }
    const { document, turn } = parseTurnDocument(text, this.file);
    return { ...(turn ? { turn } : {}), ...(document.token ? { token: document.token } : {}) };
  }

  /**
   * Remove the turn file if it still is the document with `token`: true when removed. A document
   * written in between (another host took the turn first) is put back — unless yet another was
   * created meanwhile, which then stands.
   */
  private async removeIf(token: string | undefined): Promise<boolean> {
    const away = temporaryName(this.file);
    try {
      await nodeFs.rename(this.file, away);
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return false;
      throw error;
    }
    try {
      const moved = parseTurnDocument(await nodeFs.readFile(away, 'utf8'), this.file);
      if (moved.document.token === token) return true;
      await nodeFs.link(away, this.file).catch((error: unknown) => {
        if (!isErrno(error, 'EEXIST')) throw error;
      });
      return false;
    } finally {
      await nodeFs.rm(away, { force: true });
    }
  }
}
