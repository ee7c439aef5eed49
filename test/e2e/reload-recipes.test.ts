/**
 * The reload recipes of docs/agent.md, proven on the real Debian servers (issue #20 point 3):
 * each server runs as its package's user, the agent (the real CLI, with the documented flags)
 * installs a renewal while a client does TLS handshakes back to back. Asserted: a server that
 * reads its key as its own user refuses the default 0600 and reads `--group <its group>
 * --key-mode 0640`; the first-boot step (--once, files only); the served serial after the
 * renewal; "Certificate Installed" with served true and the endpoint's serial; 0 failed
 * handshakes (ActiveMQ, which restarts: failures only inside a bounded gap); the host shown
 * current. The measured time from the renewal event to the first new handshake is printed.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FileCertificateStore } from '../../domain/adapters/local/file-store';
import { DETAIL_TYPES, type CertificateInstalledEvent, type CertificateReloadFailedEvent } from '../../domain/contracts/events';
import { hostInventory, hostVerdict } from '../../domain/core/host-inventory';
import { cli, ofType, renew, reports, startCli, until } from '../support/agent-cli';
import { freePort, rabbitEnvironment, startActivemq, startHandshakeLoop, startMosquitto, startNginx, startRabbitmq, startTomcat, waitServing, type Handshake, type RunningServer, type ServerFiles } from '../support/tls-servers';
import { NAMES, storeVersion } from '../unit/agent/fixtures';

const ID = 'broker';
const SNI = NAMES[0]!;

interface Recipe {
  readonly server: string;
  readonly start: (files: ServerFiles) => Promise<RunningServer>;
  /** The agent's file flags from the docs table. */
  readonly fileFlags: string[];
  /** The agent's reload flags from the docs table. */
  readonly reloadFlags: (server: RunningServer) => string[];
  /** The private file the server reads (its mode is checked). */
  readonly privateFile: string;
  /** With the default 0600 the server, reading its key as its own user, refuses to serve: what it says then. */
  readonly refusal?: RegExp;
  readonly startTimeoutMs?: number;
  /** What the agent's reload command needs in its environment (here: the test node's epmd). */
  readonly agentEnv?: () => NodeJS.ProcessEnv;
  /** The reload is a restart: connections are refused for a while (measured, bounded), not 0 failed. */
  readonly restarts?: boolean;
}

const signal = (server: RunningServer) => ['--reload-signal', 'HUP', '--pidfile', server.pidfile];
const MANAGER = { name: 'certflow', password: 'ManagerPassword0123456789' };
let managerPort = 0;
let rabbit: { epmdPort: number; nodeName: string } = { epmdPort: 0, nodeName: '' };

const RECIPES: Recipe[] = [
  { server: 'nginx', start: startNginx, fileFlags: [], reloadFlags: signal, privateFile: 'privkey.pem', },
  { server: 'mosquitto', start: startMosquitto, fileFlags: ['--group', 'mosquitto', '--key-mode', '0640'], reloadFlags: signal, privateFile: 'privkey.pem', refusal: /Unable to load server key file[\s\S]*Permission denied/ },
  {
    server: 'tomcat10',
    start: async (files) => {
      managerPort = await freePort();
      const live = path.dirname(files.privkey);
      const keystorePassword = (await fs.readFile(path.join(live, 'keystore.pass'), 'utf8')).trim();
      return startTomcat({ ...files, keystore: path.join(live, 'keystore.p12'), keystorePassword, managerPort, managerUser: MANAGER });
    },
    fileFlags: ['--group', 'tomcat', '--key-mode', '0640'],
    // The Manager answers 200 with "FAIL - …" when the reload fails: the body decides.
    reloadFlags: () => ['--reload-command', `curl -sS -u ${MANAGER.name}:${MANAGER.password} http://127.0.0.1:${managerPort}/manager/text/sslReload | grep '^OK'`, '--reload-timeout', '30'],
    privateFile: 'keystore.p12',
    refusal: /keystore\.p12 \(Permission denied\)/,
    startTimeoutMs: 60_000,
  },
  {
    server: 'rabbitmq',
    start: async (files) => {
      rabbit = { epmdPort: await freePort(), nodeName: `certflow-${path.basename(files.dir).slice(-6)}@localhost` };
      const live = path.dirname(files.privkey);
      return startRabbitmq({ ...files, cert: path.join(live, 'cert.pem'), chain: path.join(live, 'chain.pem'), ...rabbit });
    },
    fileFlags: ['--group', 'rabbitmq', '--key-mode', '0640'],
    // -n names the test's node; on a host `rabbitmqctl eval 'ssl:clear_pem_cache().'` finds the default one.
    reloadFlags: () => ['--reload-command', `rabbitmqctl -n ${rabbit.nodeName} eval 'ssl:clear_pem_cache().'`, '--reload-timeout', '60'],
    agentEnv: () => rabbitEnvironment(rabbit),
    privateFile: 'privkey.pem',
    refusal: /ssl_options\.keyfile invalid, file does not exist or cannot be read by the node/,
    startTimeoutMs: 90_000,
  },
  {
    server: 'activemq',
    start: async (files) => {
      const live = path.dirname(files.privkey);
      const keystorePassword = (await fs.readFile(path.join(live, 'keystore.pass'), 'utf8')).trim();
      return startActivemq({ ...files, keystore: path.join(live, 'keystore.jks'), keystorePassword });
    },
    fileFlags: ['--group', 'activemq', '--key-mode', '0640'],
    // On a host: 'sudo -n systemctl restart activemq && wait-for-ssl.sh 61617' (docs/agent.md); here the same in one script.
    reloadFlags: (server) => ['--reload-command', `${(server as RunningServer & { ctl: string }).ctl} restart`, '--reload-timeout', '60'],
    privateFile: 'keystore.jks',
    refusal: /keystore\.jks \(Permission denied\)/,
    startTimeoutMs: 60_000,
    restarts: true,
  },
];

// The servers start as root and drop to their users, as on a host: the suite runs as root (as .ci/run and the dev container do).
beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error('test/e2e/reload-recipes.test.ts runs the servers as their own users: run it as root');
});

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

const failed = (records: Handshake[]) => records.filter((record) => record.error);

describe.each(RECIPES)('$server, as its own user, reloaded by the agent', (recipe) => {
  it('first boot with --once (files only), then a renewal served (0 failed handshakes, or a bounded restart gap), reported served', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), `certflow-recipe-${recipe.server}-`));
    await fs.chmod(dir, 0o755); // the server's user reaches its files through here
    cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
    const store = new FileCertificateStore(path.join(dir, 'store'));
    const eventsFile = path.join(dir, 'store', 'events.jsonl');
    const hostDir = path.join(dir, 'host');
    const port = await freePort();
    const files: ServerFiles = { dir, port, fullchain: path.join(hostDir, 'live', ID, 'fullchain.pem'), privkey: path.join(hostDir, 'live', ID, 'privkey.pem') };
    const v1 = await storeVersion(store, ID, { notBefore: new Date(Date.now() - 3_600_000) });
    const common = ['--store', path.join(dir, 'store'), '--certificate', ID, '--dir', hostDir, '--host', `${recipe.server}-1`];
    const verify = ['--verify-tls', `127.0.0.1:${port}`, '--verify-sni', SNI];

    if (recipe.refusal) {
      // The default (0600, the agent's user): the server, reading its key as its own user, cannot start.
      expect(await cli(['--once', ...common])).toMatchObject({ code: 0 });
      const refused = await recipe.start(files);
      cleanups.push(() => refused.stop());
      // Mosquitto and RabbitMQ exit; Tomcat keeps running without its TLS connector. Each says why.
      const handshakes: Handshake[] = [];
      await until(
        'the refusal',
        async () => {
          const loop = startHandshakeLoop(port, SNI);
          await sleep(200);
          handshakes.push(...(await loop.stop()));
          return recipe.refusal!.test(await refused.output()) ? true : undefined;
        },
        recipe.startTimeoutMs,
      ).catch(async (error: unknown) => {
        throw new Error(`${(error as Error).message}: ${(await refused.output()).slice(-3000)}`);
      });
      await refused.stop();
      expect(handshakes.filter((handshake) => handshake.serialNumber)).toEqual([]);
    }

    // First boot: files only, before the server starts (--verify-tls is skipped without a reload).
    const firstBoot = await cli(['--once', ...common, ...recipe.fileFlags, ...verify]);
    expect(firstBoot, firstBoot.stderr).toMatchObject({ code: 0 });
    expect(firstBoot.stdout).toContain('--verify-tls skipped: no reload action');

    const server = await recipe.start(files);
    cleanups.push(() => server.stop());
    await waitServing(server, SNI, recipe.startTimeoutMs);
    const reloadFlags = recipe.reloadFlags(server);
    if (reloadFlags.includes('--pidfile')) await until('the pidfile', () => fs.readFile(server.pidfile, 'utf8').then((text) => (text.trim() ? text : undefined), () => undefined));

    const agent = startCli([...common, ...recipe.fileFlags, ...reloadFlags, ...verify, '--verify-timeout', '20', '--reconcile-minutes', '0'], recipe.agentEnv?.());
    cleanups.push(() => agent.stop());
    await until('the agent running', () => agent.lines.find((line) => line.message === 'agent running'));

    const loop = startHandshakeLoop(port, SNI);
    cleanups.push(() => loop.stop());
    await sleep(500);
    const renewal = await renew(store, eventsFile, ID);
    const v2 = renewal.stored.metadata.serialNumber;
    const installed = await until('Certificate Installed for the renewal', async () =>
      ofType<CertificateInstalledEvent>(await reports(eventsFile), DETAIL_TYPES.installed).find((event) => event.serialNumber === v2),
    );
    await sleep(500);
    const records = await loop.stop();

    const firstNew = records.find((record) => record.serialNumber === v2);
    const lastOld = records.findLast((record) => record.serialNumber === v1.metadata.serialNumber);
    const served = agent.lines.find((line) => line.message === 'service reloaded' && line.serialNumber === v2) as { durationMs: number; servedAfterMs: number } | undefined;
    console.info(
      `${recipe.server}: renewal event → first handshake with the new serial ${((firstNew!.at - renewal.at) / 1000).toFixed(2)} s; ` +
        `reload action → served (agent's check) ${served?.servedAfterMs} ms; handshakes ${records.length}, failed ${failed(records).length}` +
        (recipe.restarts ? `; no TLS for ${((firstNew!.at - lastOld!.at) / 1000).toFixed(2)} s` : ''),
    );
    if (recipe.restarts) {
      // A restart: refused connections, all between the last old and the first new handshake, for a bounded time.
      expect(failed(records).every((record) => record.at > lastOld!.at && record.at < firstNew!.at)).toBe(true);
      expect(firstNew!.at - lastOld!.at).toBeLessThan(30_000);
    } else {
      expect(failed(records)).toEqual([]);
    }
    expect([...new Set(records.flatMap((record) => (record.serialNumber ? [record.serialNumber] : [])))]).toEqual([v1.metadata.serialNumber, v2]);
    expect(installed).toMatchObject({ host: `${recipe.server}-1`, reloaded: true, served: true, endpoints: [{ endpoint: `127.0.0.1:${port}`, serverName: SNI, serialNumber: v2 }] });
    expect(served).toBeDefined();

    const events = await reports(eventsFile);
    expect(ofType<CertificateReloadFailedEvent>(events, DETAIL_TYPES.reloadFailed)).toEqual([]);
    const [host] = hostInventory(events);
    expect(hostVerdict(host!, renewal.stored.version)).toBe('current');
    // Private files as the server's user reads them.
    const stat = await fs.stat(path.join(path.dirname(files.privkey), recipe.privateFile));
    expect((stat.mode & 0o777).toString(8)).toBe(recipe.refusal ? '640' : '600');
  });
});

describe('nginx keeps serving the old certificate: a failed reload at stage serve', () => {
  it('a reload action that does not make nginx load the files is caught by --verify-tls, rolled back and reported; no handshake fails', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-recipe-stuck-'));
    await fs.chmod(dir, 0o755);
    cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
    const store = new FileCertificateStore(path.join(dir, 'store'));
    const eventsFile = path.join(dir, 'store', 'events.jsonl');
    const hostDir = path.join(dir, 'host');
    const port = await freePort();
    const v1 = await storeVersion(store, ID, { notBefore: new Date(Date.now() - 3_600_000) });
    const common = ['--store', path.join(dir, 'store'), '--certificate', ID, '--dir', hostDir, '--host', 'nginx-stuck'];
    expect(await cli(['--once', ...common])).toMatchObject({ code: 0 });
    const server = await startNginx({ dir, port, fullchain: path.join(hostDir, 'live', ID, 'fullchain.pem'), privkey: path.join(hostDir, 'live', ID, 'privkey.pem') });
    cleanups.push(() => server.stop());
    await waitServing(server, SNI);

    // `true` "succeeds" without touching nginx: only the handshake can tell.
    const agent = startCli([...common, '--reload-command', 'true', '--verify-tls', `127.0.0.1:${port}`, '--verify-timeout', '2', '--reconcile-minutes', '0']);
    cleanups.push(() => agent.stop());
    await until('the agent running', () => agent.lines.find((line) => line.message === 'agent running'));
    const loop = startHandshakeLoop(port, SNI);
    cleanups.push(() => loop.stop());
    const renewal = await renew(store, eventsFile, ID);
    const failure = await until('Certificate Reload Failed', async () => ofType<CertificateReloadFailedEvent>(await reports(eventsFile), DETAIL_TYPES.reloadFailed)[0]);
    const records = await loop.stop();

    expect(failure).toMatchObject({
      host: 'nginx-stuck', stage: 'serve', version: renewal.stored.version, serialNumber: renewal.stored.metadata.serialNumber,
      endpoint: `127.0.0.1:${port}`, servedSerialNumber: v1.metadata.serialNumber, rolledBackTo: v1.version, rollbackReloaded: true,
    });
    expect(failure.error).toMatch(/did not present serial .* within 2000 ms/);
    expect(await fs.readlink(path.join(hostDir, 'live', ID))).toBe(path.join('..', 'archive', ID, '1'));
    expect(failed(records)).toEqual([]);
    expect([...new Set(records.map((record) => record.serialNumber))]).toEqual([v1.metadata.serialNumber]);
    const [host] = hostInventory(await reports(eventsFile));
    expect(hostVerdict(host!, renewal.stored.version)).toBe('failed');
  });
});
