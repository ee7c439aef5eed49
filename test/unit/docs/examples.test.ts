/**
 * Every example in README.md and docs/**\/*.md that a reader may paste, checked without running it:
 * - each `certflow …` command line in a code block (also as `npx certflow`, `node bin/cli.js`,
 *   `node_modules/.bin/certflow`) is parsed by the real program (bin/cli.ts buildProgram, every
 *   action replaced by a no-op): the subcommand exists, each option is one it accepts, with a value
 *   it accepts, required arguments and options are there;
 * - each host agent command line (`certflow agent …`, `node …/certflow-agent.mjs …`, the single
 *   executable `certflow-agent …`, a container's `args: […]`) goes through the agent's parser
 *   (bin/commands/agent.ts parseAgentArgs: commander, then how the flags combine);
 * - each JSON block parses, and each RenewCertificate input (the JSON of request-input.md, the
 *   `--input` of `aws stepfunctions start-execution`) is valid against schemas/.
 * So the docs cannot drift from the CLI or the contracts without a red test, and no Pebble runs.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseAgentArgs } from '../../../bin/commands/agent';
import { markdownFiles, scan, type CodeBlock } from './markdown';

// bin/cli.ts by its full name: `../../../bin/cli` would load bin/cli.js, the launcher, which runs the command.
const { buildProgram } = (await import(new URL('../../../bin/cli.ts', import.meta.url).href)) as typeof import('../../../bin/cli');

// ---- shell words ------------------------------------------------------------------------------

const OPERATORS = ['&&', '||', ';', '|', '&'];

/** Splits a shell snippet into simple commands (words), as sh would: quotes, `\` newlines, comments, operators. */
export function shellCommands(text: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word: string | undefined;
  const endWord = () => {
    if (word !== undefined) words.push(word);
    word = undefined;
  };
  const endCommand = () => {
    endWord();
    if (words.length > 0) commands.push(words);
    words = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && text[i + 1] === '\n') i++;
    else if (c === '\\') word = (word ?? '') + (text[++i] ?? '');
    else if (c === "'") {
      const end = text.indexOf("'", i + 1) === -1 ? text.length : text.indexOf("'", i + 1);
      word = (word ?? '') + text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let value = '';
      for (i++; i < text.length && text[i] !== '"'; i++) value += text[i] === '\\' ? text[++i] : text[i];
      word = (word ?? '') + value;
    } else if (c === '#' && word === undefined) {
      while (i + 1 < text.length && text[i + 1] !== '\n') i++;
    } else if (c === '\n') endCommand();
    else if (/\s/.test(c)) endWord();
    else {
      const operator = OPERATORS.find((op) => text.startsWith(op, i));
      if (operator) {
        endCommand();
        i += operator.length - 1;
      } else word = (word ?? '') + c;
    }
  }
  endCommand();
  return commands;
}

// ---- what the docs run ------------------------------------------------------------------------

type Kind = 'certflow' | 'agent';
interface Example {
  readonly where: string;
  readonly kind: Kind;
  readonly args: string[];
}

const SHELL = new Set(['', 'sh', 'bash', 'shell', 'console', 'ini', 'systemd']);

/** The arguments after the program, when `words` run certflow or its agent. */
function invocation(words: string[]): { kind: Kind; args: string[] } | undefined {
  let rest = words.map((w, i) => (i === 0 ? w.replace(/^(ExecStart|ExecStartPre)=-?/, '') : w));
  while (rest.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(rest[0]!)) rest = rest.slice(1);
  if (rest[0] === '$') rest = rest.slice(1);
  const [first, second] = rest;
  if (first === undefined) return undefined;
  if (first === 'certflow' || /(^|\/)node_modules\/\.bin\/certflow$/.test(first)) return { kind: 'certflow', args: rest.slice(1) };
  if (first === 'npx' && second === 'certflow') return { kind: 'certflow', args: rest.slice(2) };
  if (/(^|\/)node$/.test(first) && second !== undefined && /(^|\/)bin\/cli\.js$/.test(second)) return { kind: 'certflow', args: rest.slice(2) };
  if (/(^|\/)node$/.test(first) && second !== undefined && /(^|\/)certflow-agent\.mjs$/.test(second)) return { kind: 'agent', args: rest.slice(2) };
  if (/(^|\/)certflow-agent$/.test(first)) return { kind: 'agent', args: rest.slice(1) };
  return undefined;
}

function examplesIn(block: CodeBlock): Example[] {
  const where = `${block.file}:${block.line}`;
  if (block.lang === 'yaml' || block.lang === 'yml') {
    // A container of the agent's image: its args are the agent's flags (ENTRYPOINT is the agent).
    return [...block.text.matchAll(/image:\s*\S*certflow-agent\S*\s*\n\s*args:\s*\[([^\]]*)\]/g)].map((match) => ({
      where,
      kind: 'agent' as const,
      args: match[1]!.split(',').map((arg) => arg.trim().replace(/^"(.*)"$/, '$1')),
    }));
  }
  if (!SHELL.has(block.lang)) return [];
  return shellCommands(block.text).flatMap((words) => {
    const found = invocation(words);
    // `certflow agent …`: an ellipsis stands for flags given elsewhere.
    if (!found || found.args.some((arg) => arg === '…' || arg === '...')) return [];
    if (found.kind === 'certflow' && found.args[0] === 'agent') return [{ where, kind: 'agent' as const, args: found.args.slice(1) }];
    return [{ where, kind: found.kind, args: found.args }];
  });
}

const blocks = markdownFiles().flatMap((file) => scan(file).blocks);

/** Inline `certflow …` spans of prose and tables: synopses such as `certflow revoke <id> [--reason a\\|b] [--json]`. */
const synopses = markdownFiles().flatMap((file) =>
  scan(file).prose.flatMap(({ line, text }) =>
    [...text.matchAll(/`(?:npx )?certflow ([^`]+)`/g)].map((match) => ({ where: `${file}:${line}`, text: match[1]!.replace(/\\\|/g, '|') })),
  ),
);
const examples = blocks.flatMap(examplesIn);

// ---- parsing with the real programs -----------------------------------------------------------

/** Parses `args` with the real `certflow` program, every action replaced by a no-op; the error, if any. */
function parseCertflow(args: string[]): string | undefined {
  const program = buildProgram(() => undefined);
  let errors = '';
  const quiet = (command: Command) => {
    command.exitOverride().configureOutput({ writeOut: () => undefined, writeErr: (text) => (errors += text) });
    if (command.commands.length === 0) command.action(() => undefined);
    command.commands.forEach(quiet);
  };
  quiet(program);
  try {
    program.parse(args, { from: 'user' });
    return undefined;
  } catch (error) {
    if (error instanceof CommanderError && ['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(error.code)) return undefined;
    return `${error instanceof Error ? error.message : String(error)} ${errors}`.trim();
  }
}

function parseAgent(args: string[]): string | undefined {
  try {
    parseAgentArgs(args);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

describe('command lines in README.md and docs/', () => {
  it('finds the examples of every kind', () => {
    expect(examples.filter((example) => example.kind === 'certflow').length).toBeGreaterThan(30);
    expect(examples.filter((example) => example.kind === 'agent').length).toBeGreaterThan(8);
    expect(new Set(examples.map((example) => example.where.split(':')[0]))).toEqual(expect.objectContaining({ size: expect.any(Number) as number }));
    expect(examples.map((example) => example.where)).toEqual(expect.arrayContaining([expect.stringMatching(/^README\.md:/), expect.stringMatching(/^docs\/tutorial\.md:/)]));
  });

  it.each(examples.map((example) => [`${example.where} ${example.kind === 'agent' ? 'certflow agent' : 'certflow'} ${example.args.join(' ')}`, example] as const))('%s', (_name, example) => {
    expect(example.kind === 'agent' ? parseAgent(example.args) : parseCertflow(example.args)).toBeUndefined();
  });
});

describe('the checks catch drift', () => {
  it.each([
    [['issue', 'demo1', '--name', 'a.certflow.test', '--nmae', 'b.certflow.test'], /unknown option '--nmae'/],
    [['issue', 'demo1', '--key-type', 'ec-p521'], /Allowed choices are/],
    [['revoke', 'demo1', '--reason', 'stolen'], /Allowed choices are/],
    [['lsit'], /unknown command 'lsit'/],
    [['local', 'restart'], /unknown command 'restart'/],
    [['config', 'check', '--deplyo'], /unknown option '--deplyo'/],
  ])('certflow %j is refused', (args, message) => {
    expect(parseCertflow(args)).toMatch(message);
  });

  it.each([[['issue', 'demo1', '--name', 'a.certflow.test', '--json']], [['local', 'start']], [['config', 'check', '--help']], [['--help']]])('certflow %j is accepted', (args) => {
    expect(parseCertflow(args)).toBeUndefined();
  });

  it('refuses an agent flag that does not exist', () => {
    expect(parseAgent(['--store', '.certflow', '--certificate', 'x', '--dir', '/tmp/x', '--reload-cmd', 'true'])).toMatch(/reload-cmd/);
  });

  it('splits shell as sh does', () => {
    expect(shellCommands("A=1 certflow x --y 'a && b' \\\n  --z \"c d\" && certflow list # a comment\ncertflow status x; echo '#'")).toEqual([
      ['A=1', 'certflow', 'x', '--y', 'a && b', '--z', 'c d'],
      ['certflow', 'list'],
      ['certflow', 'status', 'x'],
      ['echo', '#'],
    ]);
  });
});

/**
 * A synopsis against the program: each subcommand (or each of `a|b` alternatives) exists; each
 * `--flag` is one that subcommand accepts; each literal value
 * given to a flag with choices (`--reason keyCompromise|superseded`) is one of them.
 */
function checkSynopsis(text: string): string[] {
  const program = buildProgram(() => undefined);
  const words = text.split(/\s+/).filter(Boolean);
  let commands: Command[] = [program];
  let index = 0;
  for (; index < words.length; index++) {
    const names = words[index]!.split('|');
    const found = names.map((name) => commands[0]!.commands.find((command) => command.name() === name));
    if (found.every((command) => command === undefined)) break;
    if (found.some((command) => command === undefined)) return [`'${words[index]}': not every one is a subcommand`];
    commands = found as Command[];
  }
  if (commands[0] === program) {
    // The program's own options (`certflow --version`, `certflow --help`) stand without a subcommand.
    const ownOption = (word: string) => program.options.some((option) => option.long === word) || word === '--help';
    return words.length === 0 || /^[<…]/.test(words[0]!) || ownOption(words[0]!) ? [] : [`'${words[0]}' is not a subcommand`];
  }
  const problems: string[] = [];
  for (const command of commands) {
    words.slice(index).forEach((word, at, rest) => {
      for (const flag of word.match(/--[a-z][a-z0-9-]*/g) ?? []) {
        if (flag === '--help') continue;
        if (command.name() === 'simulate') continue; // its own flags, passed through
        const option = command.options.find((candidate) => candidate.long === flag);
        if (!option) {
          problems.push(`certflow ${command.name()}: no ${flag}`);
          continue;
        }
        const value = rest[at + 1]?.replace(/[[\]]/g, '');
        if (option.argChoices && value && !/^[<…]/.test(value)) {
          for (const choice of value.split('|').filter((part) => !part.startsWith('--'))) {
            if (!option.argChoices.includes(choice)) problems.push(`certflow ${command.name()} ${flag}: '${choice}' is not one of ${option.argChoices.join(', ')}`);
          }
        }
      }
    });
  }
  return problems;
}

describe('command synopses in the prose and tables of README.md and docs/', () => {
  it('finds them', () => {
    expect(synopses.length).toBeGreaterThan(60);
  });

  it.each(synopses.map((synopsis) => [`${synopsis.where} certflow ${synopsis.text}`, synopsis] as const))('%s', (_name, synopsis) => {
    expect(checkSynopsis(synopsis.text)).toEqual([]);
  });

  it.each<[string, unknown[]]>([
    ['revoke <id> [--reason keyCompromise|stolen]', [expect.stringMatching(/^certflow revoke --reason: 'stolen' is not one of .*keyCompromise/)]],
    ['issue <id> --nmae <dns>', ['certflow issue: no --nmae']],
    ['local start|restart', ["'start|restart': not every one is a subcommand"]],
    ['agent --reload-cmd', ['certflow agent: no --reload-cmd']],
    ['lsit', ["'lsit' is not a subcommand"]],
  ])('catches `certflow %s`', (text, problems) => {
    expect(checkSynopsis(text)).toEqual(problems);
  });
});

// ---- JSON -------------------------------------------------------------------------------------

const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats.default(ajv);
const renewInput = ajv.compile(JSON.parse(readFileSync(new URL('../../../schemas/renew-certificate-input.schema.json', import.meta.url), 'utf8')) as object);

const jsonBlocks = blocks.filter((block) => block.lang === 'json');
const renewInputs = [
  ...jsonBlocks.filter((block) => block.file === 'docs/reference/request-input.md').map((block) => ({ where: `${block.file}:${block.line}`, text: block.text })),
  ...blocks.flatMap((block) =>
    SHELL.has(block.lang)
      ? shellCommands(block.text)
          .filter((words) => words[0] === 'aws' && words[1] === 'stepfunctions' && words[2] === 'start-execution' && words.some((word) => word.includes('RenewCertificate')))
          .map((words) => ({ where: `${block.file}:${block.line}`, text: words[words.indexOf('--input') + 1] ?? '' }))
      : [],
  ),
];

describe('JSON in README.md and docs/', () => {
  it.each(jsonBlocks.map((block) => [`${block.file}:${block.line}`, block] as const))('%s parses', (_where, block) => {
    expect(() => JSON.parse(block.text) as unknown).not.toThrow();
  });

  it('finds the request inputs', () => {
    expect(renewInputs.length).toBeGreaterThanOrEqual(4);
  });

  it.each(renewInputs.map((input) => [input.where, input] as const))('%s is a valid RenewCertificate input', (_where, input) => {
    const valid = renewInput(JSON.parse(input.text));
    expect(renewInput.errors ?? [], input.text).toEqual([]);
    expect(valid).toBe(true);
  });
});
