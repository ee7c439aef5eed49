/** startAgent / runOnce: option checks, the reconcile loop, and once-mode results. */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentConfigError, runOnce, startAgent, type StartAgentOptions } from '../../../agent';
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
    ['several problems', { certificateIds: ['Broker'], keepVersions: 1 }, /^certificateIds\[0\] 'Broker' is not a certificate id .*; keepVersions must be/],
  ])('refuses %s', async (_case, overrides, message) => {
    const starting = startAgent(options(overrides));
    await expect(starting).rejects.toThrow(AgentConfigError);
    await expect(startAgent(options(overrides))).rejects.toThrow(message);
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
