/**
 * `certflow local start|stop|status`: a long-running local CA (Pebble + the embedded DNS server,
 * local/ca-daemon.ts) that `certflow issue|renew|demo` use while it runs, instead of starting
 * their own. One per CERTFLOW_HOME.
 */
import * as path from 'node:path';
import type { Command } from 'commander';
import { examplesHelp } from './exit';
import type { CaDaemonState } from '../../local/ca-daemon';
import { certflowHome } from '../../local/home';

// Loaded by the actions: registering `local` costs the other subcommands nothing.
const daemon = () => import('../../local/ca-daemon');
const home = certflowHome;

const out = (line: string) => process.stdout.write(`${line}\n`);
const json = (value: unknown) => out(JSON.stringify(value, null, 2));

const EXAMPLES = examplesHelp(
  ['certflow local start', 'certflow issue demo1 --name a.certflow.test      # uses the running CA', 'certflow local status --json', 'certflow local stop'],
  { ok: 'success (status: the CA is running)', failed: 'failed (status: not running, or its state is stale)' },
);

/** Adds `local` to the program; `setCode` receives the exit code. */
export function registerLocalCaCommands(program: Command, setCode: (code: number) => void, { hidden = false } = {}): void {
  const local = program
    .command('local', { hidden })
    .description('a long-running local CA (Pebble + DNS) under $CERTFLOW_HOME/local-ca: issue/renew/demo use it while it runs')
    .addHelpText('after', EXAMPLES);

  local
    .command('start')
    .description('start Pebble and the DNS server detached (nothing happens when they already run)')
    .option('--json', 'print the state as JSON')
    .addHelpText('after', examplesHelp(['certflow local start', 'certflow local start --json', 'CERTFLOW_HOME=/srv/certflow certflow local start   # one CA per store']))
    .action(async (options: { json?: boolean }) => {
      const { startCaDaemon } = await daemon();
      const { state, alreadyRunning } = await startCaDaemon(home());
      if (options.json) json({ running: true, alreadyRunning, ...publicState(state) });
      else out(`${alreadyRunning ? 'Already running' : 'Started'}: Pebble ${state.directoryUrl}, DNS 127.0.0.1:${state.dnsPort}/udp (daemon pid ${state.daemonPid}; certflow local stop ends it)`);
      setCode(0);
    });

  local
    .command('stop')
    .description('stop the local CA (Pebble, the DNS server and the daemon); clears a stale state')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examplesHelp(['certflow local stop', 'certflow local stop --json']))
    .action(async (options: { json?: boolean }) => {
      const { stopCaDaemon } = await daemon();
      const result = await stopCaDaemon(home());
      if (options.json) json(result);
      else out(result.stopped ? 'Stopped the local CA' : result.stale ? `Not running (cleared a stale state: ${result.stale})` : 'Not running');
      setCode(0);
    });

  local
    .command('status')
    .description('is the local CA running? (exit 0 when it is)')
    .option('--json', 'print the status as JSON')
    .addHelpText('after', examplesHelp(['certflow local status', 'certflow local status --json && echo running'], { ok: 'the CA is running', failed: 'it is not running, or its state is stale' }))
    .action(async (options: { json?: boolean }) => {
      const { caStatus, caDir } = await daemon();
      const status = await caStatus(home());
      if (options.json) json(status.running ? { running: true, ...publicState(status.state) } : { running: false, ...(status.stale ? { stale: status.stale.reason } : {}) });
      else if (status.running) out(`Running since ${status.state.startedAt}: Pebble ${status.state.directoryUrl}, DNS 127.0.0.1:${status.state.dnsPort}/udp (daemon pid ${status.state.daemonPid}, Pebble pid ${status.state.pebblePid}; state in ${caDir(home())})`);
      else out(status.stale ? `Not running: stale state (${status.stale.reason}); certflow local stop clears it` : 'Not running (certflow local start)');
      setCode(status.running ? 0 : 1);
    });

  // The daemon itself, started by `local start`.
  local.command('__daemon', { hidden: true }).action(async () => {
    const [{ runCaDaemon }, { LOCAL_ZONES }] = await Promise.all([daemon(), import('../../local/environment')]);
    await runCaDaemon(home(), LOCAL_ZONES);
  });
}

function publicState(state: CaDaemonState) {
  const { directoryUrl, managementUrl, dnsPort, daemonPid, pebblePid, startedAt } = state;
  return { directoryUrl, managementUrl, dnsPort, daemonPid, pebblePid, startedAt, stateDir: path.join(home(), 'local-ca') };
}
