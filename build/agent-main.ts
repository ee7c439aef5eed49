/**
 * The entry of dist/certflow-agent.mjs (and of the single executable): `certflow agent` with
 * this process's arguments, exiting with its code (0, 1 failure, 2 bad usage).
 */
import { runAgentCommand } from '../bin/agent';

void runAgentCommand(process.argv.slice(2)).then((code) => process.exit(code));
