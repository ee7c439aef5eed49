/**
 * One Lambda per step. The id names the function (env CERTFLOW_STEP), its entry file under
 * lambdas/handlers/ and the export there. Shared by the CDK app and the local runner.
 */
export const STEP_ENTRIES = {
  'validate-request': { file: 'validate-request', exportName: 'handler' },
  'create-order': { file: 'create-order', exportName: 'handler' },
  'present-challenges': { file: 'present-challenges', exportName: 'handler' },
  'check-dns-sync': { file: 'check-dns-sync', exportName: 'handler' },
  'answer-challenges': { file: 'answer-challenges', exportName: 'handler' },
  'check-order': { file: 'check-order', exportName: 'handler' },
  'finalize-order': { file: 'finalize-order', exportName: 'handler' },
  'check-certificate': { file: 'check-certificate', exportName: 'handler' },
  'package-and-store': { file: 'package-and-store', exportName: 'handler' },
  'publish-renewed': { file: 'publish-renewed', exportName: 'handler' },
  'cleanup-challenges': { file: 'cleanup-challenges', exportName: 'handler' },
  'cleanup-after-failure': { file: 'cleanup-challenges', exportName: 'failureHandler' },
  'publish-failed': { file: 'publish-failed', exportName: 'handler' },
  'scan-inventory': { file: 'scan-inventory', exportName: 'handler' },
} as const;

export type StepId = keyof typeof STEP_ENTRIES;
export const STEP_IDS = Object.keys(STEP_ENTRIES) as StepId[];
