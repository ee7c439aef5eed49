/** `certflow simulate`: the fleet simulation (bin/simulate.ts) with its flags on commander. */
import type { Command } from 'commander';
import { EXIT, UsageError, examplesHelp } from './exit';

/** Adds `simulate` to the program; `setCode` receives the exit code. */
export function registerSimulateCommand(program: Command, setCode: (code: number) => void, { hidden = false } = {}): void {
  program
    .command('simulate', { hidden })
    .description("a year of a fleet's renewals through the real scan policy: order budget, the ⅙-lifetime floor, expiries (npm run simulate)")
    .option('--preset <name>', "default (90/45/6-day certificates), letsencrypt (classic/tlsserver/shortlived across 2027-02-10 and 2028-02-16, with ARI) or brokers (90-day ACME names and 7-day private CA identities onboarded in one hour)")
    .option('--certificates <n>', 'certificates in the fleet (default 10000)')
    .option('--days <n>', 'days to simulate (default 365)')
    .option('--seed <n>', 'random seed (the same seed, the same run)')
    .option('--scan-hours <h>', 'hours between scans')
    .option('--budget <n>', 'new orders allowed per budget window')
    .option('--failure-rate <fraction>', 'fraction of orders that fail (0–0.99)')
    .option('--ari', 'renewals inside the CA\'s ARI window, exempt from the order budget')
    .option('--no-ari', 'every order counted against the budget')
    .option('--largest', 'search the largest fleet of this mix that keeps every guarantee, instead of one run')
    .option('--out <file.svg>', 'where the chart goes (default sim-out/fleet.svg)')
    .option('--json', 'print the result as JSON on stdout (progress goes to stderr)')
    .addHelpText(
      'after',
      examplesHelp(['certflow simulate', 'certflow simulate --certificates 5000 --days 180 --json', 'certflow simulate --scan-hours 12 --budget 100 --out /tmp/fleet.svg', 'certflow simulate --preset letsencrypt --largest'], {
        failed: 'the simulated fleet broke a guarantee (order budget, ⅙-lifetime floor, an expiry)',
      }),
    )
    .action(async (flags: import('../simulate').SimulateFlags) => {
      const { main, SimulateUsageError } = await import('../simulate');
      try {
        setCode(main(flags) === 0 ? EXIT.ok : EXIT.failed);
      } catch (error) {
        throw error instanceof SimulateUsageError ? new UsageError(error.message) : error;
      }
    });
}
