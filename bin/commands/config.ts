/**
 * `certflow config check [--config <file>] [--deploy] [--json]`: load certflow.config.ts as
 * `cdk synth` does (bin/app.ts uses the same loader) and report every problem, each naming its
 * key, with the nearest known key for a typo. Exit 0 valid, 2 invalid (or, with --deploy, still
 * holding the shipped example values). Never a stack trace.
 */
import type { Command } from 'commander';
import { examplesHelp } from './exit';
import { DEFAULT_CONFIG_FILE, formatConfigProblems, loadConfigFile } from '../../infra/config-file';
// Loaded by the check only: infra/example-values.ts imports aws-cdk-lib (≈ 0.5 s), which no other subcommand needs.
import type { ExampleValue } from '../../infra/example-values';

interface CheckOptions {
  readonly config?: string;
  readonly deploy?: boolean;
  readonly json?: boolean;
}

async function configCheckCommand(options: CheckOptions): Promise<number> {
  const loaded = await loadConfigFile(options.config ?? DEFAULT_CONFIG_FILE);
  const { exampleValuesIn, exampleValuesMessage } = await import('../../infra/example-values');
  const exampleValues: ExampleValue[] = loaded.ok ? exampleValuesIn(loaded.config) : [];
  const refused = !loaded.ok || (options.deploy === true && exampleValues.length > 0);
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          file: loaded.file,
          valid: loaded.ok,
          problems: loaded.ok ? [] : loaded.problems,
          exampleValues,
          deployable: loaded.ok && exampleValues.length === 0,
          ...(loaded.ok ? { certificates: loaded.config.certificates.map(({ id }) => id), hostedZones: loaded.config.hostedZones.map(({ name }) => name), subscribers: loaded.config.subscribers.map(({ name }) => name), scanIntervalHours: loaded.config.schedule.scanIntervalHours } : {}),
        },
        null,
        2,
      )}\n`,
    );
    return refused ? 2 : 0;
  }
  if (!loaded.ok) {
    process.stderr.write(`${formatConfigProblems(loaded)}\n`);
    return 2;
  }
  const { config } = loaded;
  process.stdout.write(
    `${loaded.file} is valid: ${config.hostedZones.length} hosted zone(s), ${config.certificates.length} certificate(s), ${config.subscribers.length} subscriber group(s); default CA ${config.acme.directoryUrl}; scan every ${config.schedule.scanIntervalHours} h\n`,
  );
  if (exampleValues.length > 0) {
    const stream = options.deploy ? process.stderr : process.stdout;
    stream.write(`\n${exampleValuesMessage(exampleValues)}\n${options.deploy ? '' : '`cdk synth` works with them; `cdk deploy` stops.\n'}`);
  }
  return refused ? 2 : 0;
}

const HELP = examplesHelp(
  ['certflow config check', 'certflow config check --config ./prod.config.ts --json', 'certflow config check --deploy     # also refuse the shipped example values, as cdk deploy does'],
  {
    ok: 'the config is valid (example values are listed, not refused, without --deploy)',
    failed: '(not used)',
    usage: 'the config is invalid: every problem is printed, each naming its key (or, with --deploy, it still holds example values)',
  },
);

/** Adds `config check` to the program; `setCode` receives the exit code. */
export function registerConfigCommand(program: Command, setCode: (code: number) => void, { hidden = false } = {}): void {
  const config = program
    .command('config', { hidden })
    .description('check certflow.config.ts (the stack\'s configuration) as cdk synth does')
    .addHelpText('after', HELP);
  config
    .command('check')
    .description('check the config against its schema: unknown keys and typos are named with the nearest known key; example values are listed')
    .option('--config <file>', 'the config module to check', DEFAULT_CONFIG_FILE)
    .option('--deploy', 'also refuse the shipped example values (placeholder zone id, example.com, …), as cdk deploy does')
    .option('--json', 'print the result as JSON on stdout')
    .addHelpText('after', HELP)
    .action(async (options: CheckOptions) => setCode(await configCheckCommand(options)));
}
