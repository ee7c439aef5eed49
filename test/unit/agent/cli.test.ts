/** `certflow agent` (bin/commands/agent.ts): flags → options (table), and exit codes and help from the standalone agent's real process (bin/agent.ts). */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAgentArgs } from '../../../bin/commands/agent';
import { FileCertificateStore } from '../../../domain/adapters/local/file-store';
import { storeVersion, tempDir } from './fixtures';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const local = ['--store', '/srv/store', '--certificate', 'broker', '--dir', '/srv/certs'];

describe('parseAgentArgs', () => {
  it('maps local flags onto startAgent options', () => {
    expect(parseAgentArgs([...local, '--certificate', 'web', '--reload-command', 'systemctl restart activemq', '--reload-timeout', '90', '--reconcile-minutes', '15', '--keep', '3'])).toEqual({
      mode: 'listen',
      options: {
        certificateIds: ['broker', 'web'],
        installDir: '/srv/certs',
        host: undefined,
        source: { kind: 'local', storeDir: '/srv/store', eventsFile: undefined },
        reload: { kind: 'command', command: 'systemctl restart activemq', timeoutMs: 90_000 },
        keepVersions: 3,
        reconcileIntervalMs: 900_000,
      },
    });
  });

  it('maps AWS flags, a signal reload and --once', () => {
    const parsed = parseAgentArgs([
      '--queue-url', 'https://sqs.eu-west-1.amazonaws.com/1/q', '--region', 'eu-west-1', '--secret', 'broker=arn:aws:secretsmanager:eu-west-1:1:secret:x=y',
      '--certificate', 'broker', '--dir', '/d', '--reload-signal', 'hup', '--pidfile', '/run/broker.pid', '--once',
    ]);
    expect(parsed).toMatchObject({
      mode: 'once',
      options: {
        source: { kind: 'aws', queueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/q', region: 'eu-west-1', secretIds: { broker: 'arn:aws:secretsmanager:eu-west-1:1:secret:x=y' } },
        reload: { kind: 'signal', signal: 'SIGHUP', target: { pidfile: '/run/broker.pid' } },
      },
    });
    expect(parseAgentArgs(['--help'])).toBe('help');
    const withBus = parseAgentArgs(['--queue-url', 'https://q', '--event-bus', 'certflow', '--certificate', 'broker', '--dir', '/d']);
    expect(withBus).toMatchObject({ options: { source: { kind: 'aws', eventBusName: 'certflow' } } });
  });

  const group = ['--topic-arn', 'arn:aws:sns:eu-west-1:111122223333:brokers', '--dead-letter-queue-arn', 'arn:aws:sqs:eu-west-1:111122223333:dlq', '--queue-prefix', 'certflow-brokers-'];

  it('maps the group flags (fan-out: a queue of its own), --host and --leave', () => {
    expect(parseAgentArgs([...group, '--host', 'mq-7', '--certificate', 'broker', '--dir', '/d'])).toMatchObject({
      mode: 'listen',
      options: {
        host: 'mq-7',
        source: { kind: 'aws', topicArn: group[1], deadLetterQueueArn: group[3], queuePrefix: group[5] },
      },
    });
    expect(parseAgentArgs([...group, '--host', 'mq-7', '--leave'])).toMatchObject({ mode: 'leave', options: { host: 'mq-7', source: { topicArn: group[1] } } });
    expect(parseAgentArgs([...local, '--trust-anchor', '/etc/certflow/isrg-x1.pem', '--trust-anchor', '/etc/certflow/isrg-x2.pem'])).toMatchObject({
      options: { trustAnchorFiles: ['/etc/certflow/isrg-x1.pem', '/etc/certflow/isrg-x2.pem'] },
    });
  });

  it('maps --verify-tls (repeatable), --verify-sni, --verify-timeout, --owner, --group and --key-mode', () => {
    const parsed = parseAgentArgs([
      ...local, '--reload-signal', 'HUP', '--pidfile', '/run/mosquitto.pid', '--verify-tls', '127.0.0.1:8883', '--verify-tls', '[::1]:8883',
      '--verify-sni', 'mq.example', '--verify-timeout', '5', '--owner', 'root', '--group', 'mosquitto', '--key-mode', '0640',
    ]);
    expect(parsed).toMatchObject({
      options: {
        verifyTls: { endpoints: ['127.0.0.1:8883', '[::1]:8883'], serverName: 'mq.example', timeoutMs: 5_000 },
        files: { owner: 'root', group: 'mosquitto', keyMode: 0o640 },
      },
    });
    expect(parseAgentArgs(local)).not.toHaveProperty('options.verifyTls');
    expect(parseAgentArgs(local)).not.toHaveProperty('options.files');
  });

  it('maps --restart-turns onto restartTurns (a restart takes the group\'s turn)', () => {
    const parsed = parseAgentArgs([...local, '--reload-command', 'systemctl restart activemq', '--restart-turns', 'brokers']);
    expect(parsed).toMatchObject({ options: { restartTurns: { group: 'brokers' }, reload: { kind: 'command' } } });
  });

  it.each([
    ['--restart-turns without a reload command', [...local, '--restart-turns', 'brokers'], /--restart-turns applies to --reload-command/],
    ['--restart-turns with a signal reload', [...local, '--reload-signal', 'HUP', '--pidfile', '/p', '--restart-turns', 'brokers'], /--restart-turns applies to --reload-command \(a restart\)/],
    ['no source', ['--certificate', 'b', '--dir', '/d'], /name a source/],
    ['two sources', [...local, '--queue-url', 'https://q'], /choose one source/],
    ['--events without --store', ['--events', '/e.jsonl', '--certificate', 'b', '--dir', '/d'], /--events needs --store/],
    ['AWS without a topic or queue', ['--region', 'eu-west-1', '--certificate', 'b', '--dir', '/d'], /needs --topic-arn \(or --queue-url\)/],
    ['--leave without the group', ['--region', 'eu-west-1', '--leave'], /--leave needs the group/],
    ['--leave with --once', [...group, '--leave', '--once'], /option '--leave' cannot be used with option '--once'/],
    ['a topic and a queue', [...group, '--queue-url', 'https://q', '--certificate', 'b', '--dir', '/d'], /option '--queue-url <url>' cannot be used with option '--topic-arn <arn>'/],
    ['no install dir', ['--store', '/s', '--certificate', 'b'], /--dir/],
    ['two reload actions', [...local, '--reload-command', 'x', '--reload-signal', 'HUP', '--pidfile', '/p'], /option '--reload-command <cmd>' cannot be used with option '--reload-signal <signal>'/],
    ['a signal without a pidfile', [...local, '--reload-signal', 'HUP'], /needs --pidfile/],
    ['a pidfile without a signal', [...local, '--pidfile', '/p'], /applies to --reload-signal/],
    ['an unknown signal', [...local, '--reload-signal', 'HANGUP', '--pidfile', '/p'], /argument 'HANGUP' is invalid\. not a signal name/],
    ['a timeout without a command', [...local, '--reload-timeout', '5'], /applies to --reload-command/],
    ['a timeout that is not a number', [...local, '--reload-command', 'x', '--reload-timeout', '5s'], /argument '5s' is invalid\. a positive number/],
    ['a zero timeout', [...local, '--reload-command', 'x', '--reload-timeout', '0'], /argument '0' is invalid\. a positive number/],
    ['a negative reconcile interval', [...local, '--reconcile-minutes=-1'], /argument '-1' is invalid\. a non-negative number/],
    ['--reconcile-minutes with --once', [...local, '--once', '--reconcile-minutes', '5'], /no effect with --once/],
    ['a malformed --secret', ['--queue-url', 'q', '--secret', 'broker', '--certificate', 'b', '--dir', '/d'], /argument 'broker' is invalid\. <certificate id>=<secret ARN>/],
    ['--verify-sni without --verify-tls', [...local, '--verify-sni', 'mq.example'], /apply to --verify-tls/],
    ['a zero --verify-timeout', [...local, '--verify-tls', 'h:1', '--verify-timeout', '0'], /'--verify-timeout <seconds>' argument '0' is invalid/],
    ['a --key-mode that is not octal', [...local, '--key-mode', '640x'], /argument '640x' is invalid\. an octal mode such as 0600/],
    ['an unknown flag', [...local, '--reload'], /unknown option '--reload'/],
    ['a stray argument', [...local, 'extra'], /too many arguments\. Expected 0 arguments but got 1/],
  ])('rejects %s', (_case, argv, message) => {
    expect(() => parseAgentArgs(argv)).toThrow(message);
  });
});

describe('certflow agent --once (exit codes)', () => {
  let root: string;
  beforeAll(async () => {
    root = await tempDir('cli');
    await storeVersion(new FileCertificateStore(path.join(root, 'store')), 'broker');
  });
  afterAll(async () => fs.rm(root, { recursive: true, force: true }));

  const agent = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', 'bin/agent.ts', ...args], { cwd: REPO }, (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
      );
    });
  const once = (...args: string[]) => agent('--once', '--store', path.join(root, 'store'), '--dir', path.join(root, 'installed'), ...args);

  it('0 when it installed the current version, 0 when it was already current, 1 with the reason otherwise, 2 for bad usage', async () => {
    const installed = await once('--certificate', 'broker');
    expect(installed.stderr).toBe('');
    expect(installed.code).toBe(0);
    expect(installed.stdout).toContain('"message":"version installed"');
    expect(await fs.readlink(path.join(root, 'installed', 'live', 'broker'))).toBe(path.join('..', 'archive', 'broker', '1'));

    const [again, absent, usage, badId] = await Promise.all([
      once('--certificate', 'broker'),
      once('--certificate', 'broker', '--certificate', 'unknown'),
      agent('--once', '--certificate', 'broker'),
      once('--certificate', 'Broker'),
    ]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('"status":"current"');
    expect(absent).toMatchObject({ code: 1, stderr: 'certflow agent: unknown: the store has no version of it\n' });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('certflow agent: name a source');
    expect(badId).toMatchObject({ code: 2, stderr: expect.stringContaining("'Broker' is not a certificate id") });
  });

  it('--help: the flags in groups, examples and the exit codes (exit 0); an unknown flag is named (exit 2)', async () => {
    const [help, unknown] = await Promise.all([agent('--help'), agent('--store', 's', '--certificate', 'b', '--dir', 'd', '--reload-cmd', 'true')]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: certflow-agent \[options\]\n/);
    expect(help.stdout).toMatch(/\nSource \(local or AWS\):\n {2}--store <dir> /);
    expect(help.stdout).toMatch(/\nMode:\n {2}--once /);
    expect(help.stdout).toMatch(/Examples:\n {2}\$ certflow agent /);
    expect(help.stdout).toMatch(/Exit codes:\n {2}0 {2}.+\n {2}1 {2}.+\n {2}2 {2}.+/);
    expect(unknown).toMatchObject({ code: 2, stdout: '' });
    expect(unknown.stderr).toMatch(/^error: unknown option '--reload-cmd'\n/);
  });
});
