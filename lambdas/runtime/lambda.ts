/**
 * Lambda entry glue: each handler module exports `handler = lambdaHandler(step)`.
 * Dependencies are built once per container from the environment; the AWS wiring is loaded then,
 * so the local runner, which imports every handler through the catalogue, never loads the AWS SDK.
 */
import type { StepDeps } from '../deps';
import type { Logger } from '../../domain/ports';
import { logKeysOf, PowertoolsLog, withLogKeys } from '../../domain/logging/logger';

export type Step<I, O> = (input: I, deps: StepDeps) => Promise<O>;

/** What Lambda passes as the handler's second argument (Powertools reads the request id, ARN, memory). */
export type LambdaContext = Parameters<PowertoolsLog['logger']['addContext']>[0];

/**
 * Runs a step with its log keys (`certificateId`, `executionId`, from its input) on every line it
 * writes: the one way a step's lines get them (the catalogue puts them in the payload, `logKeys`;
 * handlers do not repeat them in their fields). The Lambda handler calls steps through here, and
 * so does the local runner (any deps with a `log` will do, narrowed ones too).
 */
export function invokeStep<I, O, D extends { readonly log: Logger }>(step: (input: I, deps: D) => Promise<O>, input: I, deps: D): Promise<O> {
  return step(input, { ...deps, log: withLogKeys(deps.log, { ...logKeysOf(input) }) });
}

/**
 * A Lambda handler, carrying the step it runs: test/infra/bundled-handlers.test.ts loads each
 * bundled asset and checks its handler's step is its catalogue entry's (a wrong file or export
 * name in the catalogue would deploy another step's code with every other test green).
 */
export type LambdaHandler<I, O> = ((input: I, context?: LambdaContext) => Promise<O>) & { readonly step: Step<I, O> };

export function lambdaHandler<I, O>(step: Step<I, O>): LambdaHandler<I, O> {
  let deps: StepDeps | undefined;
  const handler = async (input: I, context?: LambdaContext) => {
    deps ??= (await import('./aws-deps')).awsDepsFromEnvironment();
    // cold_start, function_name, function_request_id… on every line of this invocation.
    if (context && deps.log instanceof PowertoolsLog) deps.log.logger.addContext(context);
    return invokeStep(step, input, deps);
  };
  return Object.assign(handler, { step });
}
