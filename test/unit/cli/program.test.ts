/**
 * The CLI behaves the same everywhere (issue #21 point 5): one exit-code table, one CERTFLOW_HOME
 * resolution, --version, --help with examples on every subcommand, unknown options reported as
 * unknown, failures printed for a person, and the installed package listing only what it can run.
 * In-process (bin/cli.ts run()): no Pebble, no store written.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import packageJson from '../../../package.json' with { type: 'json' };
import { EXIT, exitCodesHelp } from '../../../bin/commands/exit';
import { failureLine } from '../../../bin/commands/local-run';
import { certflowHome, projectRoot } from '../../../local/home';
import { progressPrinter } from '../../../local/progress';

// bin/cli.ts itself: '../../../bin/cli' would resolve to the launcher bin/cli.js, which runs the command.
const CLI_TS = '../../../bin/cli.ts';
const { buildProgram, run } = (await import(CLI_TS)) as typeof import('../../../bin/cli');

let stdout: string[];
let stderr: string[];
beforeEach(() => {
  stdout = [];
  stderr = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (stdout.push(String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (stderr.push(String(chunk)), true));
});
afterEach(() => vi.restoreAllMocks());

/** Every subcommand, nested ones included, by its full name. */
function commandsOf(command: Command, prefix = ''): [string, Command][] {
  return command.commands.flatMap((sub) => {
    const name = `${prefix}${sub.name()}`;
    return [[name, sub] as [string, Command], ...commandsOf(sub, `${name} `)];
  });
}
const all = commandsOf(buildProgram(() => {})).filter(([name]) => !name.includes('__'));

describe('certflow', () => {
  it('--version prints the package version (exit 0)', async () => {
    expect(await run(['--version'])).toBe(EXIT.ok);
    expect(stdout.join('')).toBe(`${packageJson.version}\n`);
  });

  it.each(all.map(([name]) => name))('%s --help: examples and the one exit-code table (exit 0)', async (name) => {
    expect(await run([...name.split(' '), '--help']), stderr.join('')).toBe(EXIT.ok);
    const help = stdout.join('');
    expect(help).toMatch(/Examples:\n {2}\$ certflow /);
    expect(help).toMatch(/Exit codes:\n {2}0 {2}.+\n {2}1 {2}.+\n {2}2 {2}.+/);
  });

  it('reports an unknown option as unknown, not as a missing --name (exit 2)', async () => {
    expect(await run(['issue', 'demo1', '--nmae', 'a.certflow.test'])).toBe(EXIT.usage);
    expect(stderr.join('')).toMatch(/unknown option '--nmae'\n\(Did you mean --name\?\)/);
    expect(stderr.join('')).not.toMatch(/required option/);
    stderr.length = 0;
    expect(await run(['issue', 'demo1'])).toBe(EXIT.usage);
    expect(stderr.join('')).toMatch(/issue needs at least one --name <dns>/);
  });

  it('reports usage errors of nested and commander-parsed subcommands as exit 2', async () => {
    expect(await run(['local', 'status', '--bogus'])).toBe(EXIT.usage);
    expect(await run(['simulate', '--days', 'many'])).toBe(EXIT.usage);
    expect(stderr.join('')).toMatch(/--days must be an integer/);
  });

  it('parses certflow agent like the rest: unknown options, bad values and flags that do not combine are exit 2', async () => {
    expect(await run(['agent', '--store', '.certflow', '--certificate', 'b', '--dir', '/d', '--reload-cmd', 'true'])).toBe(EXIT.usage);
    expect(stderr.join('')).toMatch(/^error: unknown option '--reload-cmd'\n/);
    stderr.length = 0;
    expect(await run(['agent', '--store', '.certflow', '--certificate', 'b', '--dir', '/d', '--keep', 'all'])).toBe(EXIT.usage);
    expect(stderr.join('')).toMatch(/option '--keep <n>' argument 'all' is invalid\. a positive number/);
    stderr.length = 0;
    expect(await run(['agent', '--certificate', 'b', '--dir', '/d'])).toBe(EXIT.usage);
    expect(stderr.join('')).toBe('certflow: name a source: --store <dir> (local) or --topic-arn <arn> (AWS)\n');
  });

  it('in the installed package lists only the commands it can run', () => {
    const listed = (packaged: boolean) =>
      buildProgram(() => {}, { packaged })
        .helpInformation()
        .split('\n')
        .flatMap((line) => /^ {2}([a-z]+)\b/.exec(line)?.[1] ?? []);
    expect(listed(false)).toEqual(expect.arrayContaining(['demo', 'simulate', 'config', 'local']));
    expect(listed(true)).toEqual(['issue', 'renew', 'list', 'status', 'history', 'rollback', 'agent', 'revoke', 'help']);
  });
});

describe('one exit-code table', () => {
  it('0 ok, 1 failed, 2 usage: the codes and the help text come from one place', () => {
    expect(EXIT).toEqual({ ok: 0, failed: 1, usage: 2 });
    expect(exitCodesHelp({ failed: 'it broke' })).toMatch(/^\nExit codes:\n {2}0 {2}success\n {2}1 {2}it broke\n {2}2 {2}usage or configuration error/);
  });
});

describe('one CERTFLOW_HOME resolution, from the project root like git', () => {
  let root: string;
  beforeEach(async () => {
    root = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-home-')));
    await fs.mkdir(path.join(root, 'docs', 'adr'), { recursive: true });
  });
  afterEach(() => fs.rm(root, { recursive: true, force: true }));

  it.each([
    ['certflow.config.ts', async (dir: string) => fs.writeFile(path.join(dir, 'certflow.config.ts'), 'export default {};\n')],
    ['a .certflow store', async (dir: string) => fs.mkdir(path.join(dir, '.certflow'))],
  ])('finds the root holding %s from a subfolder', async (_marker, mark) => {
    await mark(root);
    expect(projectRoot(path.join(root, 'docs', 'adr'))).toBe(root);
    expect(certflowHome({}, path.join(root, 'docs'))).toBe(path.join(root, '.certflow'));
  });

  it('takes CERTFLOW_HOME first (relative to the working folder), else ./.certflow outside any project', async () => {
    await fs.writeFile(path.join(root, 'certflow.config.ts'), '');
    expect(certflowHome({ CERTFLOW_HOME: 'store' }, path.join(root, 'docs'))).toBe(path.join(root, 'docs', 'store'));
    const outside = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-nohome-')));
    try {
      expect(certflowHome({}, outside)).toBe(path.join(outside, '.certflow'));
    } finally {
      await fs.rm(outside, { recursive: true, force: true });
    }
  });
});

describe('failures printed for a person', () => {
  it('names the error and its message, never the raw Lambda Cause document', () => {
    const cause = JSON.stringify({ errorType: 'InvalidCertificateRequest', errorMessage: "names[0] 'bad..name' is not a DNS name", trace: [] });
    expect(failureLine({ error: 'InvalidCertificateRequest', cause })).toBe("FAILED: InvalidCertificateRequest: names[0] 'bad..name' is not a DNS name");
  });

  it('shows a retried state once, as retried with its error, not ✗ then ✓; a failure that stays is ✗', () => {
    const lines: string[] = [];
    const print = progressPrinter((line) => lines.push(line));
    const at = (type: string, name: string, extra: object = {}) => print({ type, timestamp: 0, state: { name }, ...extra });
    at('StateEntered', 'CreateOrder');
    at('StateFailed', 'CreateOrder', { Error: 'AcmeRateLimited' });
    at('StateRetried', 'CreateOrder', { retry: { attempt: 1 } });
    at('StateExited', 'CreateOrder');
    at('StateEntered', 'CheckOrder');
    at('StateFailed', 'CheckOrder', { Error: 'OrderInvalid' });
    at('StateCaught', 'CheckOrder');
    at('StateExited', 'CheckOrder'); // reported after the catch: not a ✓
    expect(lines.map((line) => line.replace(/\s+/g, ' ').trim())).toEqual([
      'AcmeRateLimited, retry #1'.replace(/^/, '↻ CreateOrder '),
      '✓ CreateOrder 0 ms',
      '✗ CheckOrder OrderInvalid',
      '↳ CheckOrder failure path',
    ]);
  });
});
