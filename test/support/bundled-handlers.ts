/**
 * What each Lambda of a synthesized stack really deploys, read from its asset: the bundle is
 * loaded as Lambda loads it (CommonJS, `require`, the `Handler` export named in the template) and
 * its handler's wrapped step (lambdas/runtime/lambda.ts `step`) is named; esbuild's keepNames keeps
 * the function's source name through minification. The assembly must live inside the project
 * (e.g. under node_modules/.cache) so a bundle's external `@aws-sdk/*` resolve, as Lambda's runtime
 * provides them.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { isStepId, STEPS } from '../../lambdas/catalogue';

interface LambdaResource {
  readonly Type: string;
  readonly Metadata?: Record<string, string>;
  readonly Properties: { readonly Handler: string; readonly Environment: { readonly Variables: Record<string, string> } };
}

export interface DeployedStep {
  /** The step the function is deployed as (its CERTFLOW_STEP, from the catalogue key). */
  readonly stepId: string;
  /** The catalogue entry's step function, by name. */
  readonly expected: string;
  /** The step the bundled handler runs, by name (undefined: the export is missing or wraps nothing). */
  readonly found: string | undefined;
}

const load = createRequire(import.meta.url);

/** The catalogue entry's step function, by name. */
export const stepName = (stepId: string): string => (isStepId(stepId) ? (STEPS[stepId].run as (...args: never[]) => unknown).name : '(not a step)');

export function deployedSteps(assemblyDir: string, template: { readonly Resources: Record<string, LambdaResource> }): DeployedStep[] {
  return Object.values(template.Resources)
    .filter((resource) => resource.Type === 'AWS::Lambda::Function')
    .map((fn) => {
      const stepId = fn.Properties.Environment.Variables.CERTFLOW_STEP ?? '(none)';
      const [file, exportName] = fn.Properties.Handler.split('.') as [string, string];
      const bundle = load(path.join(assemblyDir, fn.Metadata!['aws:asset:path']!, `${file}.js`)) as Record<string, { step?: { name: string } } | undefined>;
      return { stepId, expected: stepName(stepId), found: bundle[exportName]?.step?.name };
    });
}

/** The functions whose bundle runs another step than their catalogue entry's. */
export function misdeployedSteps(assemblyDir: string, template: { readonly Resources: Record<string, LambdaResource> }): DeployedStep[] {
  return deployedSteps(assemblyDir, template).filter((deployed) => deployed.found !== deployed.expected);
}
