/**
 * `npm run bench` prints tables; `npm run bench -- --json` prints the same figures as one JSON
 * object. `--runs N` sets the runs per side (default 10).
 */
import { parseArgs } from 'node:util';
import { benchIssuance, type IssuanceFigures } from './issuance';
import { table } from './stats';

const TARGETS = { ratio: 1.5, transitions: 30 };

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, runs: { type: 'string', default: '10' } } });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got '${values.runs}'`);
  const progress = (line: string) => process.stderr.write(`${line}\n`);

  const issuance: IssuanceFigures[] = [];
  for (const keyType of ['ec-p256', 'rsa-2048'] as const) issuance.push(await benchIssuance(keyType, runs, progress));

  if (values.json) {
    console.log(JSON.stringify({ issuance, targets: TARGETS }, null, 2));
    return;
  }
  console.log(`\nTime to certificate (median of ${runs} runs each; Wait states 0 ms; PEBBLE_VA_NOSLEEP=1)`);
  console.log(
    table(
      ['key type', 'state machine ms', 'bare acme-client ms', 'ratio', `target`, 'transitions', 'Lambda calls', 'Lambda ms', 'USD/renewal'],
      issuance.map((f) => [
        f.keyType,
        f.stateMachineMedianMs.toFixed(0),
        f.floorMedianMs.toFixed(0),
        f.ratio.toFixed(2),
        `≤ ${TARGETS.ratio}`,
        `${f.transitionsPerRenewal} (≤ ${TARGETS.transitions})`,
        f.lambdaInvocationsPerRenewal,
        f.lambdaMsPerRenewal.toFixed(0),
        f.costUsdPerRenewal.toFixed(6),
      ]),
    ),
  );
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
