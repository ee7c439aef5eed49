/**
 * Lambda entry glue: each handler module exports `handler = lambdaHandler(step)`.
 * Dependencies are built once per container from the environment.
 */
import type { StepDeps } from '../deps';
import { awsDepsFromEnvironment } from './aws-deps';

export type Step<I, O> = (input: I, deps: StepDeps) => Promise<O>;

export function lambdaHandler<I, O>(step: Step<I, O>): (input: I) => Promise<O> {
  let deps: StepDeps | undefined;
  return async (input: I) => step(input, (deps ??= awsDepsFromEnvironment()));
}
