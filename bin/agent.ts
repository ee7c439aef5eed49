#!/usr/bin/env node
/**
 * The standalone host agent: `certflow agent` without the rest of the program (`npm run agent`,
 * dist/certflow-agent.mjs through build/agent-main.ts, the single executable). Its flags, help and
 * exit codes are those of `certflow agent` (bin/commands/agent.ts); see docs/agent.md.
 */
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { agentInvocation, defineAgentCommand, runAgent, type AgentFlags } from './commands/agent';
import { runProgram } from './commands/exit';

export { runOnce, startAgent } from '../agent';
export type { OnceResult, RunningAgent, StartAgentOptions } from '../agent';

/** `certflow agent <argv>` as a program of its own: the exit code (0, 1 failure, 2 bad usage). */
export function runAgentCommand(argv: readonly string[]): Promise<number> {
  return runProgram(
    (setCode) =>
      defineAgentCommand(new Command('certflow-agent').showHelpAfterError('(run with --help for usage)')).action(async (flags: AgentFlags) =>
        setCode(await runAgent(agentInvocation(flags))),
      ),
    argv,
    'certflow agent',
  );
}

// Run as a program (tsx bin/agent.ts, or a bundle of it), not when imported.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void runAgentCommand(process.argv.slice(2)).then((code) => process.exit(code));
}
