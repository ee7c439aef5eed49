/**
 * A group's restart turn (ADR 0014), the same contract for both stores: the file in the local
 * store, and a Secrets Manager secret against the AWS API emulator (skipped without it). On AWS it
 * relies on PutSecretValue failing with ResourceExistsException when a ClientRequestToken is
 * reused with other data (API reference, PutSecretValue, ClientRequestToken: "If a version with
 * this value already exists and that version's SecretString and SecretBinary values are different
 * from those in the request, then the request fails") and on the new version becoming
 * AWSCURRENT ("If you don't include VersionStages, then Secrets Manager automatically moves the
 * staging label AWSCURRENT to this version"). Then the agents' side: three hosts restarting
 * through the real file store never overlap, and a holder that never gives the turn back (it
 * died, or hangs) is taken over once its bound is past, not before.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, describe, expect, it } from 'vitest';
import { SecretsManagerRestartTurns, restartTurnSecretName } from '../../agent/adapters/aws/secrets-manager-restart-turns';
import { FileRestartTurns } from '../../agent/adapters/local/file-restart-turns';
import { restartTurns, turnDocument } from '../../agent/fleet/restart-turns';
import type { RestartTurnStore } from '../../agent/ports';
import { aws, awsClientConfig, uniqueSuffix } from '../support/aws';

const roots: string[] = [];
afterAll(async () => Promise.all(roots.map((root) => fs.rm(root, { recursive: true, force: true }))));

const GROUP = 'brokers';

const stores: [string, boolean, () => Promise<RestartTurnStore>][] = [
  [
    'the local store',
    true,
    async () => {
      const root = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-turns-'));
      roots.push(root);
      return new FileRestartTurns(root, GROUP);
    },
  ],
  [
    `Secrets Manager against ${aws.endpoint || `(skipped: ${aws.skipReason})`}`,
    Boolean(aws.endpoint),
    async () => {
      const client = new SecretsManagerClient(awsClientConfig());
      // As the stack makes it (infra/subscriber.ts): the turn given back.
      const name = restartTurnSecretName(`certflow-turns-${uniqueSuffix()}/`, GROUP);
      await client.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify(turnDocument(GROUP, undefined)) }));
      return new SecretsManagerRestartTurns(client, name, GROUP);
    },
  ],
];

const NOW = new Date('2026-03-01T12:00:00.000Z');
const later = (ms: number) => new Date(NOW.getTime() + ms);
const BOUND = 80_000;

describe.each(stores)('the restart turn in %s', (_name, available, make) => {
  it.skipIf(!available)('goes to exactly one of five hosts asking at once; the others are told who holds it until when', async () => {
    const store = await make();
    const hosts = ['a', 'b', 'c', 'd', 'e'];
    const takes = await Promise.all(hosts.map((host) => store.take(host, later(BOUND), NOW)));
    const winners = hosts.filter((_, index) => takes[index]!.taken);
    expect(winners).toHaveLength(1);
    for (const take of takes.filter((one) => !one.taken)) expect(take).toEqual({ taken: false, held: { holder: winners[0], expiresAt: later(BOUND) } });
    // Its holder may take it again (a restart after a crash); the others still may not.
    expect(await store.held()).toEqual({ holder: winners[0], expiresAt: later(BOUND) });
    expect(await store.take(winners[0]!, later(BOUND + 1), later(1))).toEqual({ taken: true });
    expect(await store.take(winners[0] === 'a' ? 'b' : 'a', later(BOUND), later(2))).toMatchObject({ taken: false, held: { holder: winners[0], expiresAt: later(BOUND + 1) } });
  });

  it.skipIf(!available)('is given back by its holder only; then the next host takes it', async () => {
    const store = await make();
    expect(await store.take('first', later(BOUND), NOW)).toEqual({ taken: true });
    await store.give('second'); // not its turn: nothing happens
    expect(await store.take('second', later(BOUND), NOW)).toMatchObject({ taken: false, held: { holder: 'first' } });
    await store.give('first');
    await store.give('first'); // again: nothing left to give
    expect(await store.held()).toBeUndefined();
    expect(await store.take('second', later(BOUND), NOW)).toEqual({ taken: true });
  });

  it.skipIf(!available)('is taken over once past its expiry, not a moment before; the late holder then gives nothing back', async () => {
    const store = await make();
    expect(await store.take('stuck', later(BOUND), NOW)).toEqual({ taken: true });
    expect(await store.take('next', later(2 * BOUND), later(BOUND - 1))).toMatchObject({ taken: false });
    expect(await store.take('next', later(2 * BOUND), later(BOUND))).toEqual({ taken: true, from: { holder: 'stuck', expiresAt: later(BOUND) } });
    await store.give('stuck');
    expect(await store.take('third', later(3 * BOUND), later(BOUND + 1))).toMatchObject({ taken: false, held: { holder: 'next' } });
  });

  it.skipIf(!available)('of three hosts taking over the same expired turn at once, exactly one gets it', async () => {
    const store = await make();
    await store.take('dead', later(BOUND), NOW);
    const takes = await Promise.all(['x', 'y', 'z'].map((host) => store.take(host, later(2 * BOUND), later(BOUND + 5))));
    expect(takes.filter((take) => take.taken)).toEqual([{ taken: true, from: { holder: 'dead', expiresAt: later(BOUND) } }]);
  });
});

const quiet = { info: () => {}, warn: () => {}, error: () => {} };

describe('hosts restarting in turns (the real file store)', () => {
  it('three hosts that all want to restart at once restart one after the other: never two at a time', async () => {
    const [, , make] = stores[0]!;
    const store = await make();
    let running = 0;
    let most = 0;
    const order: string[] = [];
    const restart = (host: string) =>
      restartTurns({ store, holder: host, boundMs: 10_000, log: quiet }).during({ host }, async () => {
        running += 1;
        most = Math.max(most, running);
        order.push(host);
        await new Promise((resolve) => setTimeout(resolve, 150));
        running -= 1;
      });
    await Promise.all(['h1', 'h2', 'h3'].map(restart));
    expect(most).toBe(1);
    expect([...order].sort()).toEqual(['h1', 'h2', 'h3']);
  });

  it('a holder that never gives the turn back blocks the others for its bound only: the next host takes over then, and says so', async () => {
    const [, , make] = stores[0]!;
    const store = await make();
    const boundMs = 60_000;
    let clock = NOW.getTime();
    const now = () => new Date(clock);
    const sleeps: number[] = [];
    const sleep = async (ms: number) => {
      sleeps.push(ms);
      clock += ms;
    };
    // The stuck host took the turn and died (it never gives it back).
    expect(await store.take('stuck', new Date(clock + boundMs), now())).toEqual({ taken: true });
    const warnings: [string, Record<string, unknown> | undefined][] = [];
    const log = { info: () => {}, warn: (message: string, fields?: Record<string, unknown>) => void warnings.push([message, fields]), error: () => {} };
    let restartedAt: number | undefined;
    await restartTurns({ store, holder: 'next', boundMs, log, now, sleep, random: () => 1 }).during({ certificateId: 'broker' }, async () => {
      restartedAt = clock;
    });
    expect(restartedAt! - NOW.getTime()).toBeGreaterThanOrEqual(boundMs);
    expect(restartedAt! - NOW.getTime()).toBeLessThan(boundMs + 2000); // one pause (≤ 2 s) past the bound
    expect(Math.max(...sleeps)).toBe(2000);
    expect(warnings).toEqual([['restart turn taken over: its holder did not give it back in time', expect.objectContaining({ from: 'stuck', certificateId: 'broker' })]]);
    // Given back after the restart: the next host takes it at once.
    expect(await store.take('third', new Date(clock + boundMs), now())).toEqual({ taken: true });
  });

  it('a store that cannot be asked does not keep the restart from happening: after the longest wait it restarts without the turn, and says so', async () => {
    let clock = NOW.getTime();
    const unreachable: RestartTurnStore = {
      description: 'a store that is down',
      take: async () => {
        throw new Error('ECONNREFUSED');
      },
      give: async () => {
        throw new Error('never taken: never given');
      },
      held: async () => {
        throw new Error('ECONNREFUSED');
      },
    };
    const warnings: string[] = [];
    const log = { info: () => {}, warn: (message: string) => void warnings.push(message), error: () => {} };
    let restarted = false;
    await restartTurns({ store: unreachable, holder: 'h', boundMs: 10_000, log, now: () => new Date(clock), sleep: async (ms) => void (clock += ms) }).during({}, async () => {
      restarted = true;
    });
    expect(restarted).toBe(true);
    expect(clock - NOW.getTime()).toBe(20_000); // two bounds
    expect(warnings.at(-1)).toBe("restarting without the group's turn: waited too long");
    expect(warnings.filter((warning) => warning === 'restart turn: the store could not be asked').length).toBeGreaterThan(5);
  });
});
