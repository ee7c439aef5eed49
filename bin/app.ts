#!/usr/bin/env node
/**
 * cdk.json's app: loads certflow.config.ts, then synthesizes bin/certflow.ts's app. A config
 * that does not pass the schema ends the run with its problems, each naming its key, and exit
 * code 2 (no stack trace); so does `cdk deploy` (or `cdk watch`) while the config still holds the shipped example
 * values (infra/example-values.ts). `cdk synth` of the example config works, with a warning.
 */
import { formatConfigProblems, loadConfigFile } from '../infra/config-file';
import { cdkCliCommand, DEPLOYING_COMMANDS, exampleValuesIn, exampleValuesMessage } from '../infra/example-values';

const loaded = await loadConfigFile('certflow.config.ts');
if (!loaded.ok) {
  process.stderr.write(`${formatConfigProblems(loaded)}\n`);
  process.exit(2);
}
const examples = exampleValuesIn(loaded.config);
const command = examples.length > 0 ? cdkCliCommand() : undefined;
if (command !== undefined && DEPLOYING_COMMANDS.has(command)) {
  process.stderr.write(`\n${exampleValuesMessage(examples)}\n\ncdk ${command} stopped: nothing was uploaded or changed.\n\n`);
  process.exit(2);
}
const { buildApp } = await import('./certflow');
buildApp(undefined, loaded.config).app.synth();
