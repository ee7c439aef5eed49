/**
 * The Logger port on Powertools: every line of a step carries its certificateId and executionId,
 * in Lambda (stdout, with the Lambda context) and in-process (a sink), and concurrent steps
 * sharing one logger never swap keys.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StepDeps } from '../../../lambdas/deps';
import type { Logger } from '../../../domain/ports';
import { invokeStep, lambdaHandler, type LambdaContext } from '../../../lambdas/runtime/lambda';
import { jsonLogger, logKeysOf, withLogKeys } from '../../../domain/logging/logger';

const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:RenewCertificate:run-1';
const REQUEST = { certificateId: 'broker-eu1', names: ['broker.certflow.test'] };

type Line = Record<string, unknown>;

function capture(base: Record<string, unknown> = {}) {
  const raw: string[] = [];
  return { log: jsonLogger((line) => raw.push(line), base), raw, lines: () => raw.map((line) => JSON.parse(line) as Line) };
}

const depsWith = (log: Logger) => ({ log }) as unknown as StepDeps;

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('logKeysOf: the keys a step input carries', () => {
  it.each([
    ['ValidateRequest (the raw request)', REQUEST, { certificateId: 'broker-eu1' }],
    ['CreateOrder … PackageAndStore ({request, …})', { request: REQUEST, order: { url: 'https://ca/order/1' } }, { certificateId: 'broker-eu1' }],
    ['PublishRenewed ({certificate, executionId})', { certificate: { certificateId: 'broker-eu1', version: '3' }, executionId: EXECUTION }, { certificateId: 'broker-eu1', executionId: EXECUTION }],
    ['PublishFailed ({input, failure, step, executionId})', { input: REQUEST, failure: { Error: 'OrderInvalid' }, step: 'CheckOrder', executionId: EXECUTION }, { certificateId: 'broker-eu1', executionId: EXECUTION }],
    ['CleanupAfterFailure ({state}) after validation', { state: { request: REQUEST, failure: {} } }, { certificateId: 'broker-eu1' }],
    ['CleanupAfterFailure ({state}) before validation', { state: { ...REQUEST, failure: {} } }, { certificateId: 'broker-eu1' }],
    ['PresentChallenges ({records}) today', { records: [{ name: '_acme-challenge.broker.certflow.test', value: 'v' }] }, {}],
    ['PresentChallenges with the keys the catalogue adds', { records: [], certificateId: 'broker-eu1', executionId: EXECUTION }, { certificateId: 'broker-eu1', executionId: EXECUTION }],
    ['ScanInventory ({})', {}, {}],
    ['not an object', 'text', {}],
  ])('%s', (_step, input, keys) => {
    expect(logKeysOf(input)).toEqual(keys);
  });

  it('the top-level certificateId wins over nested ones', () => {
    expect(logKeysOf({ certificateId: 'top', request: { certificateId: 'nested' } })).toEqual({ certificateId: 'top' });
  });
});

describe('invokeStep: keys on every line of a step', () => {
  it('puts certificateId and executionId on each line the step writes; the step’s own fields win', async () => {
    const { log, lines } = capture({ step: 'publish-failed' });
    await invokeStep(
      async (_input: unknown, deps: StepDeps) => {
        deps.log.info('first');
        deps.log.warn('second', { reason: 'r' });
        deps.log.error('about another', { certificateId: 'other' });
      },
      { input: REQUEST, executionId: EXECUTION },
      depsWith(log),
    );
    expect(lines().map(({ level, message, step, certificateId, executionId }) => ({ level, message, step, certificateId, executionId }))).toEqual([
      { level: 'INFO', message: 'first', step: 'publish-failed', certificateId: 'broker-eu1', executionId: EXECUTION },
      { level: 'WARN', message: 'second', step: 'publish-failed', certificateId: 'broker-eu1', executionId: EXECUTION },
      { level: 'ERROR', message: 'about another', step: 'publish-failed', certificateId: 'other', executionId: EXECUTION },
    ]);
  });

  it('concurrent steps on one logger keep their own keys', async () => {
    const { log, lines } = capture();
    const step = async (input: { request: { certificateId: string } }, deps: StepDeps) => {
      deps.log.info('before');
      await new Promise((resolve) => setTimeout(resolve, input.request.certificateId === 'a' ? 20 : 1));
      deps.log.info('after');
    };
    await Promise.all(['a', 'b'].map((id) => invokeStep(step, { request: { certificateId: id }, executionId: `exec-${id}` }, depsWith(log))));
    expect(lines()).toHaveLength(4);
    for (const line of lines()) expect(line.executionId).toBe(`exec-${String(line.certificateId)}`);
  });

  it('works with any Logger port (a recording one)', async () => {
    const recorded: [string, Record<string, unknown> | undefined][] = [];
    const recording: Logger = { info: (m, f) => recorded.push([m, f]), warn: (m, f) => recorded.push([m, f]), error: (m, f) => recorded.push([m, f]) };
    withLogKeys(recording, { certificateId: 'c' }).info('x', { n: 1 });
    expect(recorded).toEqual([['x', { certificateId: 'c', n: 1 }]]);
  });
});

describe('the Powertools-backed port', () => {
  it('writes one JSON line per entry with Powertools’ standard keys, even when POWERTOOLS_DEV asks for pretty printing', () => {
    vi.stubEnv('POWERTOOLS_DEV', 'true');
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'ERROR'); // a sink takes info lines whatever the shell says
    const { log, raw, lines } = capture();
    log.info('one', { a: 1 });
    expect(raw).toHaveLength(1);
    expect(raw[0]).not.toContain('\n');
    expect(lines()[0]).toMatchObject({ level: 'INFO', message: 'one', service: 'certflow', a: 1 });
    expect(Date.parse(lines()[0]!.timestamp as string)).not.toBeNaN();
  });

  it('keeps a field named like a Powertools key (PublishFailed logs the failure’s message)', () => {
    const { log, lines } = capture();
    log.warn('renewal failed', { error: 'OrderInvalid', message: 'order is invalid', level: 'x' });
    expect(lines()).toEqual([expect.objectContaining({ message: 'renewal failed', error: 'OrderInvalid', field_message: 'order is invalid', field_level: 'x', level: 'WARN' })]);
  });
});

describe('lambdaHandler', () => {
  it('logs to stdout through Powertools with the Lambda context, the step and the keys of the input', async () => {
    vi.stubEnv('POWERTOOLS_DEV', '');
    vi.stubEnv('CERTFLOW_STEP', 'publish-renewed');
    vi.stubEnv('CERTFLOW_DIRECTORY_URL', 'https://acme.test/directory');
    vi.stubEnv('CERTFLOW_SECRET_PREFIX', 'certflow/');
    vi.stubEnv('CERTFLOW_KMS_KEY_ID', 'alias/certflow');
    vi.stubEnv('CERTFLOW_EVENT_BUS', 'certflow');
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const handler = lambdaHandler(async (input: { certificate: { certificateId: string }; executionId: string }, deps: StepDeps) => {
      deps.log.info('renewed', { version: '3' });
      return input.certificate.certificateId;
    });
    const context = {
      functionName: 'certflow-publish-renewed',
      memoryLimitInMB: '256',
      invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:certflow-publish-renewed',
      awsRequestId: 'request-1',
    } as unknown as LambdaContext;

    await expect(handler({ certificate: { certificateId: 'broker-eu1' }, executionId: EXECUTION }, context)).resolves.toBe('broker-eu1');
    vi.mocked(process.stdout.write).mockRestore();

    const lines = written.join('').trim().split('\n').map((line) => JSON.parse(line) as Line);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'renewed',
        service: 'certflow',
        function_name: 'certflow-publish-renewed',
        function_request_id: 'request-1',
        cold_start: expect.any(Boolean),
        step: 'publish-renewed',
        certificateId: 'broker-eu1',
        executionId: EXECUTION,
        version: '3',
      }),
    ]);
  });
});
