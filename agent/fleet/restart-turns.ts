/**
 * Hosts of a group take turns to restart (ADR 0014): a service that can only pick up a new
 * keystore by restarting (ActiveMQ 5) is down for seconds, so two hosts of a group never restart
 * at once. The turn is a lease in a store every host of the group shares (RestartTurnStore),
 * held for the reload, the served check and a rollback; a host that finds it held waits, with
 * backoff; a holder that died or hangs loses it at its expiry, so it blocks the others for one
 * bound at most. Signal and HTTP reloads keep serving and take no turn.
 */
import { z } from 'zod';
import { leaseVerdict } from '../../domain/core/lease';
import { GROUP_NAME } from '../../domain/contracts/ids';
import { errorMessage } from '../errors';
import type { Logger } from '../../domain/ports';
import type { RestartTurn, RestartTurnStore, TurnTake } from '../ports';

/** `<secretPrefix>turns/<group>`: where the stack (infra/subscriber.ts) makes a group's turn on AWS and the agent looks for it. */
export const restartTurnSecretName = (secretPrefix: string, group: string) => `${secretPrefix}turns/${group}`;

/** Whether `holder` may take the turn: nobody holds it, it holds it already, or the holder's time is up. */
function mayTakeTurn(held: RestartTurn | undefined, holder: string, now: Date): boolean {
  return leaseVerdict(held, holder, now) !== 'held';
}

/** How long one turn lasts at most: the reload, the served check, and the rollback's reload when it fails. */
/** Rounds of racing (a successor written first by another host) before a take gives up for this try. */
const TAKE_ROUNDS = 5;

/**
 * A turn store over one compare-and-set primitive (the local file chain, the secret's versions):
 * what the current version holds, and replacing exactly that version (false: another host did first).
 */
export abstract class CompareAndSetTurns<Version> implements RestartTurnStore {
  abstract readonly description: string;
  protected abstract current(): Promise<{ version: Version; turn?: RestartTurn }>;
  protected abstract replace(version: Version, turn: RestartTurn | undefined): Promise<boolean>;

  async take(holder: string, expiresAt: Date, now: Date): Promise<TurnTake> {
    let last: RestartTurn | undefined;
    for (let round = 0; round < TAKE_ROUNDS; round += 1) {
      const current = await this.current();
      last = current.turn;
      if (!mayTakeTurn(current.turn, holder, now)) return { taken: false, held: current.turn! };
      if (await this.replace(current.version, { holder, expiresAt })) {
        return current.turn && current.turn.holder !== holder ? { taken: true, from: current.turn } : { taken: true };
      }
    }
    if (last) return { taken: false, held: last };
    throw new Error(`${this.description}: the restart turn changed hands ${TAKE_ROUNDS} times while it was being taken`);
  }

  async give(holder: string): Promise<void> {
    const current = await this.current();
    // A takeover in between (only once expired) wins: then it was not ours to give any more.
    if (current.turn?.holder === holder) await this.replace(current.version, undefined);
  }

  /** Who holds the turn now (undefined: nobody), whether or not its time is up. */
  async held(): Promise<RestartTurn | undefined> {
    return (await this.current()).turn;
  }
}

export function turnBoundMs({ reloadTimeoutMs, verifyTimeoutMs }: { reloadTimeoutMs: number; verifyTimeoutMs: number }): number {
  return 2 * reloadTimeoutMs + verifyTimeoutMs;
}

const FIRST_WAIT_MS = 250;
const LONGEST_WAIT_MS = 2000;

/**
 * The pause before the next try after `attempt` tries found the turn held: doubling from 250 ms
 * to 2 s, each between half and all of that (jitter, so waiters do not ask in step).
 */
function turnWaitMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(LONGEST_WAIT_MS, FIRST_WAIT_MS * 2 ** Math.min(attempt, 10));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

export interface TurnTaker {
  /** Run `task` (a restart and what belongs to it) in the group's turn; `fields` go to the log lines. */
  during<T>(fields: Record<string, unknown>, task: () => Promise<T>): Promise<T>;
}

export interface RestartTurnOptions {
  readonly store: RestartTurnStore;
  /** This host (--host). */
  readonly holder: string;
  /** A turn's expiry, from when it is taken (turnBoundMs). */
  readonly boundMs: number;
  /**
   * Waiting longer than this (default two bounds: a hung holder's bound, then the restarts of the
   * hosts that were waiting too), the host restarts without the turn and says so: a store that
   * cannot be reached must not keep a renewal from being served for good.
   */
  readonly maxWaitMs?: number;
  readonly log: Logger;
  readonly now?: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function restartTurns(options: RestartTurnOptions): TurnTaker {
  const { store, holder, boundMs, log } = options;
  const maxWaitMs = options.maxWaitMs ?? 2 * boundMs;
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? pause;

  /** True once the turn is this host's; false when it gave up waiting. */
  async function take(fields: Record<string, unknown>): Promise<boolean> {
    const started = now().getTime();
    for (let attempt = 0; ; attempt += 1) {
      const at = now();
      let held: RestartTurn | undefined;
      try {
        const take = await store.take(holder, new Date(at.getTime() + boundMs), at);
        if (take.taken) {
          const waitedMs = at.getTime() - started;
          if (take.from) log.warn('restart turn taken over: its holder did not give it back in time', { ...fields, from: take.from.holder, expiredAt: take.from.expiresAt.toISOString(), waitedMs });
          else log.info('restart turn taken', { ...fields, waitedMs, store: store.description });
          return true;
        }
        held = take.held;
      } catch (error) {
        log.warn('restart turn: the store could not be asked', { ...fields, store: store.description, error: errorMessage(error) });
      }
      const waitedMs = at.getTime() - started;
      if (waitedMs >= maxWaitMs) {
        log.warn('restarting without the group\'s turn: waited too long', { ...fields, waitedMs, holder: held?.holder });
        return false;
      }
      if (attempt === 0 && held) log.info('waiting for the group\'s restart turn', { ...fields, holder: held.holder, until: held.expiresAt.toISOString() });
      await sleep(Math.min(turnWaitMs(attempt, options.random), maxWaitMs - waitedMs));
    }
  }

  return {
    async during(fields, task) {
      const mine = await take(fields);
      try {
        return await task();
      } finally {
        if (mine) {
          await store.give(holder).catch((error: unknown) => log.warn('restart turn: could not give it back (it expires by itself)', { ...fields, error: errorMessage(error) }));
        }
      }
    },
  };
}

/** The turn as both stores keep it (a file locally, a secret's SecretString on AWS): no holder when given back. */
const TurnDocumentSchema = z.object({
  kind: z.literal('restart-turn'),
  group: z.string().regex(GROUP_NAME),
  turn: z.object({ holder: z.string().min(1), expiresAt: z.iso.datetime() }).optional(),
});
export type TurnDocument = z.output<typeof TurnDocumentSchema>;

export function turnDocument(group: string, turn: RestartTurn | undefined): TurnDocument {
  return { kind: 'restart-turn', group, ...(turn ? { turn: { holder: turn.holder, expiresAt: turn.expiresAt.toISOString() } } : {}) };
}

/** The stored document, checked; what it says of the turn. */
export function parseTurnDocument(text: string, where: string): { document: TurnDocument; turn?: RestartTurn } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${where} is not a restart turn: not JSON`);
  }
  const parsed = TurnDocumentSchema.safeParse(value);
  if (!parsed.success) throw new Error(`${where} is not a restart turn: ${parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; ')}`);
  const { turn } = parsed.data;
  return { document: parsed.data, ...(turn ? { turn: { holder: turn.holder, expiresAt: new Date(turn.expiresAt) } } : {}) };
}
