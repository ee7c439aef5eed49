/**
 * The fault matrix (issue #12 point 1): every cell runs the synthesized RenewCertificate definition
 * against a real CA (Pebble) with one fault, on a certificate that has a previous version, then checks
 * the invariants (test/support/fault-matrix.ts): the previous certificate still current (or the new
 * one complete and current), no TXT record, no pending key and no lease left, exactly one outcome
 * event per execution, and a next run that renews. The table is printed at the end.
 *
 * Pebble's knobs are its environment at start, so cells are grouped by Pebble: the default group
 * (every order validates: PEBBLE_AUTHZREUSE=0), a bad-nonce storm, authorization reuse, a CA whose
 * process is killed (restarted on the same store for the next run), and the AWS path on the emulator
 * for what the emulator models (Route 53 cleanup, Secrets Manager writes, EventBridge, the lease).
 *
 * Each invariant check is itself checked: after a renewal one invariant is broken on purpose and its
 * check must report it (selfCheck, on both paths).
 *
 * Measured alone on the 2-core machine (each cell includes issuing the previous version, the
 * invariants and the next run): local cells 0.2–2.5 s, AWS cells 1.7–4.2 s, the 40 cells 55 s, the
 * whole file 86 s with its setups and self-checks. A cell's timeout is over ten times the slowest
 * cell of its path, for a loaded CI; setups keep the e2e project's hook timeout.
 */
import * as nodeFs from 'node:fs/promises';
import * as acme from 'acme-client';
import type { InternalAxiosRequestConfig } from 'axios';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FileCertificateStore } from '../../domain/adapters/local/file-store';
import { EventPublishFailed } from '../../domain/core/errors';
import type { DnsChallengeProvider } from '../../domain/ports';
import { startAwsPipeline, type AwsPipeline } from '../../local/aws-environment';
import { startLocalPipeline, type LocalPipeline } from '../../local/environment';
import type { ExecutionResult, RunOptions } from '../../local/runner';
import type { StepDeps } from '../../lambdas/deps';
import { aws, awsClientConfig, uniqueSuffix } from '../support/aws';
import {
  aborted,
  awsHarness,
  checkInvariants,
  crashAfter,
  describeOutcome,
  failed,
  formatMatrix,
  INVARIANTS,
  localHarness,
  renewed,
  retriedStates,
  type Harness,
  type InvariantName,
  type MatrixRow,
  type Outcome,
} from '../support/fault-matrix';
import { startTestPipeline, type TestPipeline } from '../support/local-pipeline';

const LOCAL_CELL_TIMEOUT = 30_000;
const AWS_CELL_TIMEOUT = 60_000;

const rows: MatrixRow[] = [];
afterAll(() => {
  if (rows.length > 0) console.log(`\nFault matrix\n${formatMatrix(rows)}\n`);
});

/** What a cell does to the pipeline while it runs; it returns the executions it started. */
interface CellContext {
  readonly harness: Harness;
  readonly input: { readonly certificateId: string; readonly names: string[] };
  run(options?: RunOptions): Promise<ExecutionResult>;
}

interface Cell {
  readonly name: string;
  /** One outcome per execution the cell starts. */
  readonly expected: readonly Outcome[];
  /** Which certificate is current afterwards (default: the new one when the first execution renews). */
  readonly current?: 'previous' | 'new';
  readonly atLeastOnce?: boolean;
  /** States that must have been retried (a crashed step runs again). */
  readonly retried?: readonly string[];
  readonly run: (context: CellContext) => Promise<ExecutionResult[]>;
  /** Checks of its own, on the first execution (e.g. the cause names the killed CA). */
  readonly verify?: (result: ExecutionResult) => void;
  readonly nextHarness?: () => Promise<Harness>;
}

/** Lowercase, digits and dashes: the cell's certificate id. */
const idOf = (path: string, name: string) => `${path}-${name}`.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 48);
const namesOf = (id: string) => [`${id}.certflow.test`, `*.${id}.certflow.test`];

async function runCell(harness: () => Harness, cell: Cell): Promise<void> {
  const h = harness();
  const certificateId = idOf(h.path, cell.name);
  const input = { certificateId, names: namesOf(certificateId) };
  const started = Date.now();
  const previous = await h.executor.run(input);
  expect(previous.status, `the previous version of ${certificateId}: ${previous.cause}`).toBe('SUCCEEDED');
  await h.outcomeEvents();
  const before = await h.current(certificateId);

  const results = await cell.run({ harness: h, input, run: (options) => harness().executor.run(input, options) });
  const observed = results.map((result) => ({ status: result.status, ...(result.error ? { error: result.error } : {}) }));
  const retried = results.flatMap(retriedStates);
  const invariants = await checkInvariants(harness(), {
    certificateId,
    names: input.names,
    before,
    results,
    current: cell.current ?? (cell.expected[0]!.status === 'SUCCEEDED' ? 'new' : 'previous'),
    ...(cell.atLeastOnce ? { atLeastOnce: true } : {}),
    ...(cell.nextHarness ? { nextHarness: cell.nextHarness } : {}),
  });
  rows.push({
    cell: cell.name,
    path: h.path,
    expected: cell.expected.map(describeOutcome).join(' + '),
    observed: `${observed.map(describeOutcome).join(' + ')}${retried.length > 0 ? ` (retried ${[...new Set(retried)].join(', ')})` : ''}`,
    invariants,
    ms: Date.now() - started,
  });

  expect(observed, results.map((result) => result.cause?.slice(0, 300)).join('\n')).toEqual(cell.expected.map((outcome) => ({ ...outcome })));
  for (const state of cell.retried ?? []) expect(retried, `${state} ran again`).toContain(state);
  cell.verify?.(results[0]!);
  for (const name of INVARIANTS) expect(invariants[name], `invariant '${name}'`).toEqual([]);
}

/** DNS faults: values corrupted on their way to the zone (and on cleanup), or a zone that never syncs. */
const dnsFaults = { corruptTxt: false, neverInSync: false };
function faultyDns(inner: DnsChallengeProvider): DnsChallengeProvider {
  const corrupt = (records: Parameters<DnsChallengeProvider['present']>[0]) =>
    dnsFaults.corruptTxt ? records.map((record) => ({ ...record, value: `${record.value.slice(0, -4)}AAAA` })) : records;
  return {
    present: (records) => inner.present(corrupt(records)),
    isInSync: async (changes, records) => (dnsFaults.neverInSync ? false : inner.isInSync(changes, records)),
    cleanup: (records) => inner.cleanup(corrupt(records)),
  };
}

async function withDnsFault<T>(fault: keyof typeof dnsFaults, run: () => Promise<T>): Promise<T> {
  dnsFaults[fault] = true;
  try {
    return await run();
  } finally {
    dnsFaults[fault] = false;
  }
}

/**
 * An ACME answer from the CA for the next `times` new-order requests (acme-client's own HTTP layer,
 * under our classification and the state machine's retries): 429 with Retry-After, 503.
 */
async function withCaAnswer<T>(answer: { status: number; headers?: Record<string, string>; type: string }, times: number, run: () => Promise<T>): Promise<T> {
  let left = times;
  const interceptor = acme.axios.interceptors.request.use((config: InternalAxiosRequestConfig) => {
    if (left <= 0 || config.method !== 'post' || !/\/order-plz$/.test(config.url ?? '')) return config;
    left -= 1;
    config.adapter = async (request) => ({
      status: answer.status,
      statusText: 'injected',
      headers: answer.headers ?? {},
      data: { type: answer.type, detail: `injected ${answer.status}` },
      config: request as InternalAxiosRequestConfig,
      request: {},
    });
    return config;
  });
  try {
    return await run();
  } finally {
    acme.axios.interceptors.request.eject(interceptor);
  }
}

/** A port method replaced (narrowDeps looks methods up at call time, so the steps meet the spy) while `run` runs. */
async function withSpy<T>(spy: { mockRestore(): void }, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } finally {
    spy.mockRestore();
  }
}

/** Two executions of one certificate at once: the first holds the lease (past CreateOrder) while the second runs to its end. */
async function twoAtOnce(context: CellContext): Promise<ExecutionResult[]> {
  let letFirstGo!: () => void;
  let firstHasOrder!: () => void;
  const gate = new Promise<void>((resolve) => (letFirstGo = resolve));
  const ordered = new Promise<void>((resolve) => (firstHasOrder = resolve));
  const first = context.run({
    aroundStep: async (state, invoke) => {
      const result = await invoke();
      if (state === 'CreateOrder') {
        firstHasOrder();
        await gate;
      }
      return result;
    },
  });
  await ordered;
  const second = await context.run();
  letFirstGo();
  return [await first, second];
}

/**
 * The checks themselves can fail: after a renewal, one invariant is broken on purpose (through the
 * pipeline's own ports, so the same on both paths) and its check must report it.
 */
function selfCheck(harness: () => Harness, deps: () => StepDeps, timeout: number): void {
  const leftRecord = { name: '_acme-challenge.left.certflow.test', value: 'left-behind' };
  const sabotage: Record<InvariantName, { break?: (result: ExecutionResult, certificateId: string) => Promise<unknown>; current?: 'previous'; repair?: () => Promise<unknown> }> = {
    current: { current: 'previous' }, // it renewed: the previous one is not current any more
    txt: { break: () => deps().dns.present([leftRecord]), repair: () => deps().dns.cleanup([leftRecord]) },
    pending: { break: (_result, certificateId) => deps().store.pendingKey(certificateId, 'https://left.example/order/1', async () => 'KEY') },
    event: {
      break: (result, certificateId) => deps().events.failed({ certificateId, step: 'PublishRenewed', error: 'Injected', message: 'a second outcome', executionId: result.executionId }),
    },
    next: { break: async () => (dnsFaults.corruptTxt = true), repair: async () => (dnsFaults.corruptTxt = false) },
  };
  describe('each invariant check fails when its invariant is broken', () => {
    it.each(INVARIANTS)('%s', async (name) => {
      const h = harness();
      const certificateId = idOf(`check-${h.path}`, name);
      const input = { certificateId, names: namesOf(certificateId) };
      expect((await h.executor.run(input)).status).toBe('SUCCEEDED');
      const before = await h.current(certificateId);
      const result = await h.executor.run(input);
      const { break: breakIt, current = 'new', repair } = sabotage[name];
      await breakIt?.(result, certificateId);
      try {
        const invariants = await checkInvariants(h, { certificateId, names: input.names, before, results: [result], current });
        expect(invariants[name], name).not.toEqual([]);
      } finally {
        await repair?.();
      }
    }, timeout);
  });
}

const STEP_CRASHES = [
  'ValidateRequest',
  'CreateOrder',
  'PresentChallenges',
  'CheckDnsSync',
  'AnswerChallenges',
  'CheckOrder',
  'FinalizeOrder',
  'CheckCertificate',
  'PackageAndStore',
  'PublishRenewed',
  'CleanupChallenges',
];

const crashCell = (state: string): Cell => ({
  name: `${state} crashes after its side effects`,
  expected: [renewed],
  retried: [state],
  atLeastOnce: state === 'PublishRenewed',
  run: async ({ run }) => [await run({ aroundStep: crashAfter(state) })],
});

const failurePathCrash = (state: string): Cell => ({
  name: `${state} crashes after its side effects (wrong TXT)`,
  expected: [failed('OrderInvalid')],
  retried: [state],
  atLeastOnce: state === 'PublishFailed',
  run: async ({ run }) => [await withDnsFault('corruptTxt', () => run({ aroundStep: crashAfter(state) }))],
});

const wrongTxt: Cell = {
  name: 'wrong TXT value',
  expected: [failed('OrderInvalid')],
  run: async ({ run }) => [await withDnsFault('corruptTxt', () => run())],
  verify: (result) => expect(result.cause).toMatch(/Correct value not found for DNS challenge/),
};

const neverInSync: Cell = {
  name: 'DNS never in sync',
  expected: [failed('DnsSyncTimeout')],
  run: async ({ run }) => [await withDnsFault('neverInSync', () => run())],
};

/**
 * Issue #21 point 6: an execution stopped after FinalizeOrder (its TXT values out, its pending key
 * stored, the lease held with its order noted), as StopExecution (or Ctrl-C locally) stops one: no
 * Catch runs. The next execution takes the lease over at once (its holder is over) and its cleanup
 * removes what the stopped one left; nothing waits for the 2-hour expiry.
 */
const abortedThenNext: Cell = {
  name: 'execution aborted after FinalizeOrder, then the next one',
  expected: [aborted, renewed],
  current: 'new',
  run: async ({ run }) => {
    const stop = new AbortController();
    const first = await run({
      signal: stop.signal,
      aroundStep: async (state, invoke) => {
        const result = await invoke();
        if (state === 'FinalizeOrder') stop.abort();
        return result;
      },
    });
    return [first, await run()];
  },
};

const concurrent: Cell = {
  name: 'two executions at once',
  expected: [renewed, failed('RenewalInProgress')],
  run: twoAtOnce,
  verify: () => {},
};

describe('the default CA (every order validates)', () => {
  let pipeline: TestPipeline;
  const harness = () => localHarness(() => pipeline);
  beforeAll(async () => {
    pipeline = await startTestPipeline({ pebble: { env: { PEBBLE_AUTHZREUSE: '0' } }, wrapDns: faultyDns });
  });
  afterAll(async () => pipeline?.dispose());

  const cells: Cell[] = [
    ...STEP_CRASHES.map(crashCell),
    failurePathCrash('CleanupAfterFailure'),
    failurePathCrash('PublishFailed'),
    wrongTxt,
    neverInSync,
    abortedThenNext,
    {
      name: 'CA answers 429 with Retry-After once',
      expected: [renewed],
      retried: ['CreateOrder'],
      run: async ({ run }) => [await withCaAnswer({ status: 429, headers: { 'retry-after': '7' }, type: 'urn:ietf:params:acme:error:rateLimited' }, 1, () => run())],
      verify: (result) =>
        expect(result.history.find((event) => event.type === 'StateRetried' || event.type === 'TaskFailed')).toBeDefined(),
    },
    {
      name: 'CA rate-limits every new order',
      expected: [failed('AcmeRateLimited')],
      run: async ({ run }) => [await withCaAnswer({ status: 429, headers: { 'retry-after': '3600' }, type: 'urn:ietf:params:acme:error:rateLimited' }, 100, () => run())],
      verify: (result) => expect(result.cause).toMatch(/CA rate limit at .*order-plz: injected 429 \(Retry-After: 3600s\)/),
    },
    {
      name: 'CA answers 503 once',
      expected: [renewed],
      retried: ['CreateOrder'],
      run: async ({ run }) => [await withCaAnswer({ status: 503, type: 'urn:ietf:params:acme:error:serverInternal' }, 1, () => run())],
    },
    {
      name: 'store write fails midway (archive written, live not switched)',
      expected: [failed('Error')],
      run: async ({ run }) => {
        // The version reaches archive/, then switching live/ fails (EIO): as a disk failing mid-promote.
        const failingFs = { ...nodeFs, symlink: async () => Promise.reject(Object.assign(new Error('EIO: i/o error, symlink'), { code: 'EIO' })) };
        return [await withSpy(vi.spyOn(pipeline.store, 'promote').mockImplementationOnce((pending, material) => new FileCertificateStore(pipeline.root, { fs: failingFs }).promote(pending, material)), () => run())];
      },
      verify: (result) => expect(result.cause).toMatch(/EIO/),
    },
    {
      name: 'event bus refuses "Certificate Renewed" once',
      expected: [renewed],
      retried: ['PublishRenewed'],
      run: async ({ run }) => [await withSpy(vi.spyOn(pipeline.events, 'renewed').mockRejectedValueOnce(new EventPublishFailed('injected: bus unavailable')), () => run())],
    },
    {
      name: 'event bus down for "Certificate Renewed"',
      // Stored and current before the announcement failed: the failure event names it as current.
      expected: [failed('EventPublishFailed')],
      current: 'new',
      run: async ({ run }) => [await withSpy(vi.spyOn(pipeline.events, 'renewed').mockRejectedValue(new EventPublishFailed('injected: bus unavailable')), () => run())],
    },
    concurrent,
  ];
  it.each(cells.map((cell) => [cell.name, cell] as const))('%s', async (_name, cell) => runCell(harness, cell), LOCAL_CELL_TIMEOUT);

  selfCheck(harness, () => pipeline.deps, LOCAL_CELL_TIMEOUT);
});

describe('a storm of bad nonces (PEBBLE_WFE_NONCEREJECT=60)', () => {
  let pipeline: TestPipeline;
  const harness = () => localHarness(() => pipeline);
  beforeAll(async () => {
    pipeline = await startTestPipeline({ pebble: { env: { PEBBLE_AUTHZREUSE: '0', PEBBLE_WFE_NONCEREJECT: '60' } } });
  });
  afterAll(async () => pipeline?.dispose());

  it.each([
    ['renewal under a bad-nonce storm', { name: 'bad-nonce storm', expected: [renewed], run: async ({ run }) => [await run()] } satisfies Cell],
    ['FinalizeOrder crashes under a bad-nonce storm', { ...crashCell('FinalizeOrder'), name: 'bad-nonce storm, FinalizeOrder crashes' }],
  ] as const)('%s', async (_name, cell) => runCell(harness, cell), LOCAL_CELL_TIMEOUT);
});

describe('authorization reuse (PEBBLE_AUTHZREUSE=100)', () => {
  let pipeline: TestPipeline;
  const harness = () => localHarness(() => pipeline);
  beforeAll(async () => {
    pipeline = await startTestPipeline({ pebble: { env: { PEBBLE_AUTHZREUSE: '100' } } });
  });
  afterAll(async () => pipeline?.dispose());

  const challengesOf = (result: ExecutionResult) =>
    (result.history.find((event) => event.type === 'StateExited' && event.state?.name === 'CreateOrder')?.state?.output as { order: { records: unknown[] } }).order.records.length;
  const reused = (verify?: Cell['verify']): Cell['verify'] => (result) => {
    expect(challengesOf(result), 'challenges to answer').toBe(0);
    verify?.(result);
  };
  it.each([
    ['every authorization already valid', { name: 'authz reuse: nothing to validate', expected: [renewed], run: async ({ run }) => [await run()], verify: reused() } satisfies Cell],
    ['AnswerChallenges crashes with nothing to answer', { ...crashCell('AnswerChallenges'), name: 'authz reuse, AnswerChallenges crashes', verify: reused() }],
  ] as const)('%s', async (_name, cell) => runCell(harness, cell), LOCAL_CELL_TIMEOUT);
});

describe('the CA process dies', () => {
  let first: TestPipeline;
  let restarted: LocalPipeline | undefined;
  const pipeline = (): LocalPipeline => restarted ?? first;
  const harness = () => localHarness(pipeline);
  beforeAll(async () => {
    first = await startTestPipeline({ pebble: { env: { PEBBLE_AUTHZREUSE: '0' } } });
  });
  afterAll(async () => {
    await restarted?.stop();
    await first?.dispose();
  });

  /** Kill Pebble (SIGKILL) and wait until its watchdog reported the exit. */
  async function killCa(): Promise<void> {
    const pebble = pipeline().pebble;
    process.kill(pebble.pid, 'SIGKILL');
    for (let waited = 0; !pebble.exited && waited < 10_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  /** The operator restarts the CA: a new Pebble (and DNS server) on the same store. */
  async function restartCa(): Promise<ReturnType<typeof harness>> {
    const before = restarted;
    restarted = await startLocalPipeline({ root: first.root, pebble: { env: { PEBBLE_AUTHZREUSE: '0' } }, logSink: (line) => first.logs.push(line) });
    await before?.stop();
    return harness();
  }

  it.each([
    [
      'CA down (its process gone before the run)',
      {
        name: 'CA down',
        expected: [failed('AcmeUnavailable')],
        run: async ({ run }) => {
          await killCa();
          return [await run()];
        },
        verify: (result) => expect(result.cause).toMatch(/the local CA \(Pebble\) was killed by SIGKILL/),
        nextHarness: restartCa,
      } satisfies Cell,
    ],
    [
      'CA process killed in the middle of an order (after its challenges were answered)',
      {
        name: 'CA killed mid-order',
        expected: [failed('AcmeUnavailable')],
        run: async ({ run }) => [
          await run({
            aroundStep: async (state, invoke) => {
              const result = await invoke();
              if (state === 'AnswerChallenges') await killCa();
              return result;
            },
          }),
        ],
        verify: (result) => {
          expect(result.history.some((event) => event.type === 'StateEntered' && event.state?.name === 'CheckOrder failed')).toBe(true);
          expect(result.cause).toMatch(/the local CA \(Pebble\) was killed by SIGKILL/);
        },
        nextHarness: restartCa,
      } satisfies Cell,
    ],
  ] as const)('%s', async (_name, cell) => runCell(harness, cell), LOCAL_CELL_TIMEOUT);
});

describe.skipIf(!aws.endpoint)(`the AWS path against ${aws.endpoint || `(skipped: ${aws.skipReason})`}`, () => {
  let pipeline: AwsPipeline;
  let root: string;
  const harness = () => awsHarness(pipeline);
  beforeAll(async () => {
    root = await nodeFs.mkdtemp(`${process.env.TMPDIR ?? '/tmp'}/certflow-fault-matrix-`);
    pipeline = await startAwsPipeline({
      clientConfig: awsClientConfig(),
      suffix: uniqueSuffix(),
      root,
      subscriberCertificateIds: ['fault-matrix'],
      pebble: { env: { PEBBLE_AUTHZREUSE: '0' } },
      wrapDns: faultyDns,
    });
  });
  afterAll(async () => {
    await pipeline?.stop();
    if (root) await nodeFs.rm(root, { recursive: true, force: true });
  });

  /**
   * A fault in an SDK client's next `times` calls of one command (by its input): `answer` replaces
   * the call (an error to throw, or a response as the service would give it).
   */
  async function withSdkFault<T>(
    client: SecretsManagerClient | EventBridgeClient,
    fault: { command: string; when?: (input: Record<string, unknown>) => boolean; times: number; answer: () => unknown },
    run: () => Promise<T>,
  ): Promise<T> {
    let left = fault.times;
    const stack = client.middlewareStack as unknown as {
      add(middleware: unknown, options: { step: string; name: string }): void;
      remove(name: string): boolean;
    };
    stack.add(
      (next: (args: { input: Record<string, unknown> }) => Promise<unknown>, context: { commandName?: string }) => async (args: { input: Record<string, unknown> }) => {
        if (left > 0 && context.commandName === fault.command && (fault.when?.(args.input) ?? true)) {
          left -= 1;
          const answer = fault.answer();
          if (answer instanceof Error) throw answer;
          return { output: answer, response: {} };
        }
        return next(args);
      },
      { step: 'initialize', name: 'certflow-fault' },
    );
    try {
      return await run();
    } finally {
      stack.remove('certflow-fault');
    }
  }
  const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} });
  const renewedEntry = (input: Record<string, unknown>) => (input.Entries as { DetailType?: string }[] | undefined)?.[0]?.DetailType === 'Certificate Renewed';
  const refusedEntry = () => ({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'injected' }], $metadata: {} });

  const cells: Cell[] = [
    crashCell('PresentChallenges'),
    crashCell('PackageAndStore'),
    crashCell('CleanupChallenges'),
    failurePathCrash('CleanupAfterFailure'),
    wrongTxt,
    neverInSync,
    {
      name: 'store write fails midway (TagResource throttled after the version went current)',
      expected: [renewed],
      retried: ['PackageAndStore'],
      run: async ({ run }) => [await withSdkFault(pipeline.clients.secrets, { command: 'TagResourceCommand', times: 1, answer: throttled }, () => run())],
    },
    {
      name: 'event bus refuses "Certificate Renewed" once (FailedEntryCount)',
      expected: [renewed],
      retried: ['PublishRenewed'],
      run: async ({ run }) => [await withSdkFault(pipeline.clients.eventBridge, { command: 'PutEventsCommand', when: renewedEntry, times: 1, answer: refusedEntry }, () => run())],
    },
    {
      name: 'event bus down for "Certificate Renewed"',
      expected: [failed('EventPublishFailed')],
      current: 'new',
      run: async ({ run }) => [await withSdkFault(pipeline.clients.eventBridge, { command: 'PutEventsCommand', when: renewedEntry, times: 100, answer: throttled }, () => run())],
    },
    concurrent,
    abortedThenNext,
  ];
  it.each(cells.map((cell) => [cell.name, cell] as const))('%s', async (_name, cell) => runCell(harness, cell), AWS_CELL_TIMEOUT);
  selfCheck(harness, () => pipeline.deps, AWS_CELL_TIMEOUT);
});
