/**
 * `npm run bench` prints tables; `npm run bench -- --json` prints the same figures as one JSON
 * object. `--runs N` sets the runs per side (default 10). `--cli-only`: only the certflow
 * command's whole-process figures (bench/cli.ts). `--lambdas-only`: only the step Lambdas' bundle
 * sizes and module init times (bench/lambdas.ts). `--aws-only`: only the AWS path on the emulator
 * (bench/aws.ts).
 */
import * as os from 'node:os';
import { parseArgs } from 'node:util';
import { benchIssuance, type IssuanceFigures } from './issuance';
import { benchAgent } from './agent';
import { benchCli, CLI_TARGETS, cliRows, type CliFigures } from './cli';
import { benchAws, type AwsFigures } from './aws';
import { benchFleet } from './fleet';
import { benchValidation } from './validation';
import { benchKeyGeneration, benchPackaging } from './packaging';
import { benchLambdas, LAMBDA_TARGETS, type LambdaFigures } from './lambdas';
import { benchScan, benchScanTransitions, benchServedCheck } from './scan';
import { table } from './stats';

const TARGETS = { ratio: 1.5, transitions: 30, packagingP256LegacyMs: 20, scan10kMs: 2000, validationMaxMs: 5, servedCheckMs: 5000 };

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      'cli-only': { type: 'boolean', default: false },
      'lambdas-only': { type: 'boolean', default: false },
      'aws-only': { type: 'boolean', default: false },
      runs: { type: 'string', default: '10' },
      'packaging-runs': { type: 'string', default: '50' },
    },
  });
  const runs = positive('--runs', values.runs);
  const packagingRuns = positive('--packaging-runs', values['packaging-runs']);
  const progress = (line: string) => process.stderr.write(`${line}\n`);

  if (values['lambdas-only']) {
    const lambdas = await benchLambdas(runs, progress);
    if (values.json) console.log(JSON.stringify({ lambdas, targets: { lambdas: LAMBDA_TARGETS } }, null, 2));
    else printLambdas(lambdas);
    return;
  }
  if (values['aws-only']) {
    const aws = await benchAws(runs, progress);
    if (values.json) console.log(JSON.stringify({ aws }, null, 2));
    else printAws(aws);
    return;
  }
  const cli = await benchCli(runs, progress);
  if (values['cli-only']) {
    if (values.json) console.log(JSON.stringify({ cli, targets: { cli: CLI_TARGETS } }, null, 2));
    else printCli(cli);
    return;
  }

  const issuance: IssuanceFigures[] = [];
  for (const keyType of ['ec-p256', 'rsa-2048'] as const) issuance.push(await benchIssuance(keyType, runs, progress));
  const packaging = await benchPackaging(packagingRuns, progress);
  const keyGeneration = await benchKeyGeneration(packagingRuns);
  const scan = { ...(await benchScan(10_000)), ...(await benchScanTransitions(3)) };
  const servedCheck = benchServedCheck();
  const agent = await benchAgent(20);
  const aws = await benchAws(runs, progress);
  const fleet = await benchFleet(runs, progress);
  const validation = benchValidation(10_000);
  const lambdas = await benchLambdas(runs, progress);

  if (values.json) {
    console.log(JSON.stringify({ issuance, packaging, keyGeneration, scan, servedCheck, agent, aws, fleet, validation, lambdas, cli, targets: { ...TARGETS, cli: CLI_TARGETS, lambdas: LAMBDA_TARGETS } }, null, 2));
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
  printCli(cli);
  printLambdas(lambdas);
  console.log(`\nPackaging per certificate: verify + PKCS#12 ×2 + JKS ×2 + password (median of ${packagingRuns})`);
  console.log(
    table(
      ['key type', 'profile', 'package ms', 'package + store ms', 'target'],
      packaging.map((f) => [
        f.keyType,
        f.profile,
        f.packageMedianMs.toFixed(2),
        f.packageAndStoreMedianMs.toFixed(2),
        f.keyType === 'ec-p256' && f.profile === 'legacy' ? `≤ ${TARGETS.packagingP256LegacyMs}` : '',
      ]),
    ),
  );
  console.log('\nKey generation (node:crypto, native)');
  console.log(table(['key type', 'runs', 'median ms'], keyGeneration.map((f) => [f.keyType, f.runs, f.medianMs.toFixed(2)])));
  console.log('\nScheduled scan');
  console.log(
    table(
      ['figure', 'value', 'target'],
      [
        [`policy + selection, ${scan.entries} certificates (median of ${scan.runs})`, `${scan.medianMs.toFixed(1)} ms`, `≤ ${TARGETS.scan10kMs} ms`],
        ['state transitions per scan: fixed', scan.fixed, ''],
        ['state transitions per scan: per renewal started', scan.perRenewal, ''],
      ],
    ),
  );
  console.log(`\nServed check (ADR 0016): ${servedCheck.reports} reports of ${servedCheck.hosts} hosts folded per group (median of ${servedCheck.runs})`);
  console.log(table(['median ms', 'hosts named', 'target'], [[servedCheck.medianMs.toFixed(0), servedCheck.unserved, `≤ ${TARGETS.servedCheckMs} ms`]]));
  console.log(`\nSubscriber agent: event received → new certificate served by a reloading Java TLS server (${agent.renewals} renewals)`);
  console.log(table(['median ms', 'p90 ms'], [[agent.medianMs.toFixed(0), agent.p90Ms.toFixed(0)]]));
  console.log(`\nRequest validation over ${validation.inputs} random inputs (valid requests with one hostile field, and arbitrary JSON)`);
  console.log(table(['median ms', 'p99 ms', 'max ms', 'target'], [[validation.medianMs.toFixed(3), validation.p99Ms.toFixed(3), validation.maxMs.toFixed(2), `max ≤ ${TARGETS.validationMaxMs}`]]));
  if (!printAws(aws) || 'skipped' in fleet) return;
  console.log(`\nFan-out on the emulator: "Certificate Renewed" on the bus → the new certificate served over TLS (${fleet.renewals} renewals, ${fleet.hosts} hosts, a queue each)`);
  console.log(table(['all hosts p50 ms', 'all hosts p90 ms', 'one host median ms'], [[fleet.allServedP50Ms.toFixed(0), fleet.allServedP90Ms.toFixed(0), fleet.perHostMedianMs.toFixed(0)]]));
}

/** The AWS path's figures; false when it was skipped. */
function printAws(aws: AwsFigures | { skipped: string }): aws is AwsFigures {
  if ('skipped' in aws) {
    console.log(`\nAWS path: skipped (${aws.skipped})`);
    return false;
  }
  console.log(`\nAWS path against the AWS API emulator: one renewal (median of ${aws.runs}; loopback, so a floor; load average ${os.loadavg().map((n) => n.toFixed(1)).join(' ')}): ${aws.renewalMedianMs.toFixed(0)} ms`);
  console.log(table(['AWS operation', 'calls per renewal'], [...Object.entries(aws.callsPerRenewal).map(([operation, n]) => [operation, n]), ['total', aws.totalCallsPerRenewal]]));
  console.log(table(['ACME request', 'per renewal'], [...Object.entries(aws.caRequestsPerRenewal).map(([request, n]) => [request, n]), ['total', aws.totalCaRequestsPerRenewal]]));
  return true;
}

function printLambdas(figures: readonly LambdaFigures[]): void {
  const kb = (bytes: number) => (bytes / 1000).toFixed(0);
  console.log(`\nStep Lambdas as synthesized: asset size and module init (fresh node, require only; median and fastest of ${figures[0]?.runs ?? 0}; a floor for Lambda's CPU; load average ${os.loadavg().map((n) => n.toFixed(1)).join(' ')})`);
  console.log(
    table(
      ['step', 'bundle KB', 'source map KB', 'NODE_OPTIONS', 'init ms', 'min ms', 'target'],
      figures.map((f) => [
        f.step,
        kb(f.bundleBytes),
        kb(f.sourceMapBytes),
        f.nodeOptions || '-',
        f.initMedianMs.toFixed(0),
        f.initMinMs.toFixed(0),
        `≤ ${kb(LAMBDA_TARGETS.bundleBytes)} KB, ≤ ${LAMBDA_TARGETS.initMs} ms`,
      ]),
    ),
  );
}

function printCli(f: CliFigures): void {
  const certbot = f.certbot ? `certbot ${f.certbot.version.replace(/^certbot /, '')} on the same Pebble` : 'certbot not installed';
  console.log(`\nThe certflow command, whole processes (node bin/cli.js …, warm cache, GNU time; ${certbot}; load average ${f.loadAverage.join(' ')})`);
  console.log(table(['figure', 'wall', 'CPU', 'peak RSS', 'target', 'certbot certonly'], cliRows(f)));
}

function positive(flag: string, value: string | undefined): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new Error(`${flag} must be a positive integer, got '${value}'`);
  return number;
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
