/** The step functions by id, for running them in-process (local runner, tests, bench). */
import type { StepDeps } from './deps';
import { answerChallenges } from './handlers/answer-challenges';
import { checkCertificate } from './handlers/check-certificate';
import { checkDnsSync } from './handlers/check-dns-sync';
import { checkOrder } from './handlers/check-order';
import { cleanupAfterFailure, cleanupChallenges } from './handlers/cleanup-challenges';
import { createOrder } from './handlers/create-order';
import { finalizeOrder } from './handlers/finalize-order';
import { packageAndStore } from './handlers/package-and-store';
import { publishFailed } from './handlers/publish-failed';
import { publishRenewed } from './handlers/publish-renewed';
import { presentChallenges } from './handlers/present-challenges';
import { scanInventory } from './handlers/scan-inventory';
import { validateRequest } from './handlers/validate-request';
import type { StepId } from './step-ids';

// Inputs are built by the state machine's Parameters from state the first step validated.
type AnyStep = (input: never, deps: StepDeps) => Promise<unknown>;

export const STEPS: Record<StepId, AnyStep> = {
  'validate-request': validateRequest,
  'create-order': createOrder,
  'present-challenges': presentChallenges,
  'check-dns-sync': checkDnsSync,
  'answer-challenges': answerChallenges,
  'check-order': checkOrder,
  'finalize-order': finalizeOrder,
  'check-certificate': checkCertificate,
  'package-and-store': packageAndStore,
  'publish-renewed': publishRenewed,
  'cleanup-challenges': cleanupChallenges,
  'cleanup-after-failure': cleanupAfterFailure,
  'publish-failed': publishFailed,
  'scan-inventory': scanInventory,
};
