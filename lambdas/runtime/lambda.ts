/**
 * Lambda entry glue: each handler module exports `handler = lambdaHandler(step)`.
 * Dependencies are built once per container from the environment.
 */
import type { StepDeps } from '../deps';

export type Step<I, O> = (input: I, deps: StepDeps) => Promise<O>;

async function depsFromEnvironment(): Promise<StepDeps> {
  // The AWS adapters (Route 53, Secrets Manager, EventBridge) are tracked in issue #4.
  // Until they land, a deployed function fails loudly here instead of pretending to work.
  throw new Error(
    `certflow: no AWS adapters in this build (step ${process.env.CERTFLOW_STEP ?? '?'}); ` +
      'run locally with `npm run demo`, AWS adapters land with issue #4',
  );
}

export function lambdaHandler<I, O>(step: Step<I, O>): (input: I) => Promise<O> {
  let deps: Promise<StepDeps> | undefined;
  return async (input: I) => step(input, await (deps ??= depsFromEnvironment()));
}
