/**
 * Time to certificate through the synthesized state machine (Wait states at 0 ms) against the
 * floor, a bare acme-client order, on the same Pebble (PEBBLE_VA_NOSLEEP=1) and DNS server.
 * Runs are interleaved so drift hits both sides alike.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as acme from 'acme-client';
import { configureAcmeHttp } from '../lambdas/acme/client';
import { generatePrivateKey } from '../domain/core/certificate';
import type { KeyType } from '../domain/core/key-types';
import { DEFAULTS } from '../infra/config';
import { startLocalPipeline } from '../local/environment';
import type { ExecutionResult } from '../local/runner';
import { bareOrder } from './floor';
import { renewalCostUsd } from './pricing';
import { median } from './stats';

export interface IssuanceFigures {
  readonly keyType: KeyType;
  readonly runs: number;
  readonly stateMachineMedianMs: number;
  readonly floorMedianMs: number;
  readonly ratio: number;
  readonly transitionsPerRenewal: number;
  readonly lambdaInvocationsPerRenewal: number;
  readonly lambdaMsPerRenewal: number;
  readonly costUsdPerRenewal: number;
}

/** Billed Lambda time of one execution: each Task's time, rounded up to the ms. */
function lambdaMs(result: ExecutionResult): number {
  const entered = new Map<string, number>();
  let total = 0;
  for (const event of result.history) {
    if (event.state?.type !== 'Task') continue;
    if (event.type === 'StateEntered') entered.set(event.state.name, event.timestamp);
    if (event.type === 'StateExited' || event.type === 'StateFailed') {
      total += Math.max(1, Math.ceil(event.timestamp - (entered.get(event.state.name) ?? event.timestamp)));
    }
  }
  return total;
}

export async function benchIssuance(keyType: KeyType, runs: number, progress: (line: string) => void): Promise<IssuanceFigures> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-bench-'));
  // No authorization reuse: every order validates, on both sides.
  const pipeline = await startLocalPipeline({ root, pebble: { env: { PEBBLE_AUTHZREUSE: '0' } } });
  try {
    const directoryUrl = pipeline.pebble.directoryUrl;
    configureAcmeHttp(pipeline.pebble.tlsCaPem);
    // Stock acme-client (no nonce pool, no certflow wrapping); it shares only the trust settings.
    const floorClient = new acme.Client({ directoryUrl, accountKey: await generatePrivateKey('ec-p256') });
    await floorClient.createAccount({ termsOfServiceAgreed: true });

    const machine: number[] = [];
    const floor: number[] = [];
    const usage: { transitions: number; invocations: number; lambdaMs: number }[] = [];
    for (let i = -1; i < runs; i += 1) {
      const names = [`b${i + 1}.certflow.test`, `*.b${i + 1}.certflow.test`];
      let started = performance.now();
      const result = await pipeline.executor.run({ certificateId: `bench-${keyType}-${i + 1}`, names, keyType }, { waitMs: 0 });
      const machineMs = performance.now() - started;
      if (result.status !== 'SUCCEEDED') throw new Error(`bench issuance failed: ${result.error}: ${result.cause}`);

      started = performance.now();
      await bareOrder(floorClient, pipeline.dnsServer.data, [`f${i + 1}.example.test`, `*.f${i + 1}.example.test`], keyType);
      const floorMs = performance.now() - started;
      if (i < 0) continue; // warm-up: JIT, TLS sessions, account registration
      machine.push(machineMs);
      floor.push(floorMs);
      usage.push({ transitions: result.transitions, invocations: result.lambdaInvocations, lambdaMs: lambdaMs(result) });
      progress(`  ${keyType} run ${i + 1}/${runs}: state machine ${machineMs.toFixed(0)} ms, floor ${floorMs.toFixed(0)} ms`);
    }
    const transitions = median(usage.map((u) => u.transitions));
    const invocations = median(usage.map((u) => u.invocations));
    const billedMs = median(usage.map((u) => u.lambdaMs));
    return {
      keyType,
      runs,
      stateMachineMedianMs: median(machine),
      floorMedianMs: median(floor),
      ratio: median(machine) / median(floor),
      transitionsPerRenewal: transitions,
      lambdaInvocationsPerRenewal: invocations,
      lambdaMsPerRenewal: billedMs,
      costUsdPerRenewal: renewalCostUsd({ transitions, lambdaInvocations: invocations, lambdaMs: billedMs, memoryMb: DEFAULTS.lambda.memoryMb }),
    };
  } finally {
    await pipeline.stop();
    await fs.rm(root, { recursive: true, force: true });
  }
}
