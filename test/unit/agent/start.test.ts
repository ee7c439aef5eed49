/** startAgent / runOnce: option checks, the reconcile loop, and once-mode results. */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentConfigError, runOnce, startAgent, type StartAgentOptions } from '../../../agent';
import { FileRestartTurns } from '../../../agent/adapters/local/file-restart-turns';
import { ReloadFailed } from '../../../agent/errors';
import type { ReloadContext } from '../../../agent/ports';
import { issueBundle, MemorySource, RecordingReload, tempDir } from './fixtures';

const ID = 'broker';
let root: string;
let source: MemorySource;
beforeEach(async () => {
  root = await tempDir('start');
  source = new MemorySource();
});
afterEach(async () => fs.rm(root, { recursive: true, force: true }));

const options = (overrides: Partial<StartAgentOptions> = {}): StartAgentOptions => ({
  certificateIds: [ID],
  installDir: path.join(root, 'installed'),
  source: { kind: 'ports', certificates: source },
  logSink: () => {},
  ...overrides,
});

describe('startAgent', () => {
  it('reconciles on its interval: a version whose event never came is installed and loaded', async () => {
    source.add(await issueBundle(ID, 'v1', { notBefore: new Date(Date.now() - 7_200_000) }));
    const reload = new RecordingReload();
    const agent = await startAgent(options({ reconcileIntervalMs: 30, reload: { kind: 'action', action: reload } }));
    try {
      expect(agent.startup).toEqual({ [ID]: { status: 'installed', n: 1, version: 'v1' } });
      source.add(await issueBundle(ID, 'v2'));
      for (let i = 0; i < 200 && reload.versions().length < 2; i += 1) await sleep(10);
      expect(reload.versions()).toEqual(['v1', 'v2']);
    } finally {
      await agent.stop();
    }
    expect(await fs.readlink(path.join(root, 'installed', 'live', ID))).toBe(path.join('..', 'archive', ID, '2'));
  });

  it.each<[string, Partial<StartAgentOptions>, RegExp]>([
    ['no certificates', { certificateIds: [] }, /at least one certificate/],
    ['an invalid certificate id', { certificateIds: ['Broker'] }, /'Broker' is not a certificate id/],
    ['a certificate twice', { certificateIds: [ID, ID] }, /named twice/],
    ['keeping fewer than 2 versions', { keepVersions: 1 }, /keepVersions must be an integer ≥ 2/],
    ['an empty reload command', { reload: { kind: 'command', command: '  ' } }, /reload command is empty/],
    ['AWS without a topic or queue', { source: { kind: 'aws', region: 'eu-west-1' } }, /--topic-arn\) or a queue of this host's \(--queue-url\)/],
    ['a topic without its DLQ and prefix', { source: { kind: 'aws', topicArn: 'arn:aws:sns:eu-west-1:111122223333:g' } }, /deadLetterQueueArn is missing.*; source\.queuePrefix is missing/],
    ['a topic and a queue', { source: { kind: 'aws', topicArn: 'arn:aws:sns:eu-west-1:111122223333:g', deadLetterQueueArn: 'arn:aws:sqs:eu-west-1:111122223333:d', queuePrefix: 'p-', queueUrl: 'https://q' } }, /exclusive/],
    ['a topic ARN that is not one', { source: { kind: 'aws', topicArn: 'arn:aws:sqs:eu-west-1:111122223333:g' } }, /is not an SNS ARN/],
    ['a trust anchor file that is missing', { trustAnchorFiles: ['/nonexistent/root.pem'] }, /trust anchor file \/nonexistent\/root\.pem: ENOENT/],
    ['an empty install directory', { installDir: '' }, /^installDir is empty: name the install directory \(--dir\)$/],
    ['a negative reconcile interval', { reconcileIntervalMs: -1 }, /^reconcileIntervalMs must be ≥ 0 .*, got -1$/],
    ['a reload timeout of zero', { reload: { kind: 'command', command: 'x', timeoutMs: 0 } }, /^reload\.timeoutMs must be positive, got 0$/],
    ['an unknown signal', { reload: { kind: 'signal', signal: 'SIGNOPE' as NodeJS.Signals, target: { pidfile: '/run/x.pid' } } }, /^reload\.signal 'SIGNOPE' is not a signal name/],
    ['an unknown source', { source: { kind: 'nfs' } as unknown as StartAgentOptions['source'] }, /^source\.kind is not one of local, aws, ports$/],
    ['restart turns without a reload', { restartTurns: { group: 'brokers' } }, /^restartTurns needs a reload action/],
    ['a restart turn group that is not a name', { reload: { kind: 'command', command: 'x' }, restartTurns: { group: 'brokers/eu' } }, /^restartTurns\.group 'brokers\/eu' is not a group name/],
    ['several problems', { certificateIds: ['Broker'], keepVersions: 1 }, /^certificateIds\[0\] 'Broker' is not a certificate id .*; keepVersions must be/],
  ])('refuses %s', async (_case, overrides, message) => {
    const starting = startAgent(options(overrides));
    await expect(starting).rejects.toThrow(AgentConfigError);
    await expect(startAgent(options(overrides))).rejects.toThrow(message);
  });
});

describe('restart turns (--restart-turns, ADR 0014)', () => {
  it("the reload and, when it fails, the rollback's reload run in one turn of the group, given back after", async () => {
    source.add(await issueBundle(ID, 'v1', { notBefore: new Date(Date.now() - 7_200_000) }));
    const turns = new FileRestartTurns(path.join(root, 'store'), 'brokers');
    const holders: string[] = [];
    const action = {
      description: 'a restart',
      reload: async (context: ReloadContext) => {
        holders.push(`${context.version}:${(await turns.held())?.holder}`);
        if (context.version === 'v2') throw new ReloadFailed('the broker did not come back');
      },
    };
    const agent = await startAgent(
      options({ host: 'amq-1', reload: { kind: 'action', action }, restartTurns: { group: 'brokers' }, restartTurnStore: turns, reconcileIntervalMs: 30 }),
    );
    try {
      source.add(await issueBundle(ID, 'v2'));
      for (let i = 0; i < 200 && holders.length < 3; i += 1) await sleep(10);
    } finally {
      await agent.stop();
    }
    expect(holders.slice(0, 3)).toEqual(['v1:amq-1', 'v2:amq-1', 'v1:amq-1']);
    expect(await turns.held()).toBeUndefined();
  });
});

describe('runOnce', () => {
  it('exits 0 when installed or already current', async () => {
    source.add(await issueBundle(ID, 'v1'));
    expect(await runOnce(options())).toEqual({ exitCode: 0, outcomes: { [ID]: { status: 'installed', n: 1, version: 'v1' } } });
    expect(await runOnce(options())).toEqual({ exitCode: 0, outcomes: { [ID]: { status: 'current', n: 1, version: 'v1' } } });
  });

  it('exits 1 with the reason when the store has nothing, or the version fails verification', async () => {
    expect(await runOnce(options())).toMatchObject({ exitCode: 1, reason: 'broker: the store has no version of it' });
    const [good, other] = [await issueBundle(ID, 'v1'), await issueBundle(ID, 'v2')];
    source.add({ ...good, files: { ...good.files, 'privkey.pem': other.files['privkey.pem']! } });
    const result = await runOnce(options());
    expect(result.exitCode).toBe(1);
    expect(result.reason).toMatch(/^broker: broker version v1: the leaf certificate does not match/);
  });
});

describe('installed files a service that drops privileges can read (--owner, --group, --key-mode; issue #20 point 5)', () => {
  // As root: another user and group (nobody, nogroup); otherwise the agent's own user and group, which it may always set.
  const root0 = process.getuid?.() === 0;
  const owner = root0 ? 'nobody' : String(process.getuid?.());
  const group = root0 ? 'nogroup' : String(process.getgid?.());

  const modes = async (dir: string) =>
    Object.fromEntries(await Promise.all((await fs.readdir(dir)).map(async (name) => {
      const stat = await fs.stat(path.join(dir, name));
      return [name, { mode: (stat.mode & 0o777).toString(8), uid: stat.uid, gid: stat.gid }] as const;
    })));

  it('writes private files with --key-mode and every file with the owner and group; public files stay 0644; a version written before gets them at start', async () => {
    source.add(await issueBundle(ID, 'v1'));
    const installDir = path.join(root, 'installed');
    expect((await runOnce(options())).exitCode).toBe(0); // written with the defaults: 0600, the agent's user
    const live = path.join(installDir, 'live', ID);
    expect((await modes(live))['privkey.pem']?.mode).toBe('600');

    expect((await runOnce(options({ files: { owner, group, keyMode: 0o640 } }))).exitCode).toBe(0);
    const uid = root0 ? 65534 : process.getuid?.();
    const gid = root0 ? 65534 : process.getgid?.();
    const found = await modes(live);
    for (const name of ['privkey.pem', 'keystore.p12', 'keystore.jks', 'keystore.pass']) expect(found[name]).toEqual({ mode: '640', uid, gid });
    for (const name of ['cert.pem', 'fullchain.pem', 'chain.pem', 'metadata.json']) expect(found[name]).toEqual({ mode: '644', uid, gid });

    source.add(await issueBundle(ID, 'v2'));
    expect((await runOnce(options({ files: { group, keyMode: 0o640 } }))).exitCode).toBe(0);
    expect((await modes(live))['privkey.pem']).toMatchObject({ mode: '640', gid });
  });

  it.each([
    [{ keyMode: 0o644 }, /0644 lets every user on the host read/],
    [{ keyMode: 0o750 }, /has execute bits/],
    [{ keyMode: 0o040 }, /does not let the owner read/],
  ])('refuses %o before touching anything', async (files, message) => {
    source.add(await issueBundle(ID, 'v1'));
    await expect(runOnce(options({ files }))).rejects.toThrow(message);
    await expect(fs.stat(path.join(root, 'installed'))).rejects.toThrow(/ENOENT/);
  });

  it('refuses an unknown user or group by name', async () => {
    source.add(await issueBundle(ID, 'v1'));
    await expect(runOnce(options({ files: { group: 'no-such-group-certflow' } }))).rejects.toThrow(/--group: no group 'no-such-group-certflow'/);
  });
});
