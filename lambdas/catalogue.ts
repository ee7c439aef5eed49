/**
 * The step catalogue: the one place a step is defined. Each entry names its handler, the state it
 * reads (its payload, typed from the state), where its result goes, the ports and IAM capabilities it
 * gets, and how it is retried. From it come the Lambda functions and their roles
 * (infra/renewal-functions.ts), the tasks of the state machines (infra/renew-state-machine.ts,
 * infra/scan-state-machine.ts, infra/revoke-state-machine.ts) and the local runner's steps (local/runner.ts).
 *
 * Adding a step: a handler in lambdas/handlers/ and an entry here. The compiler holds the two
 * together (payload ⇄ the handler's input, ports ⇄ its deps, result ⇄ the state field it fills);
 * test/infra/ports.test.ts holds the ports against the capabilities.
 */
import type { CertflowConfig } from '../infra/config';
import type { Capability } from '../infra/iam';
import type { ScanSettings } from '../domain/core/scan-plan';
import type { ServedCheckSettings } from '../domain/contracts/settings';
import { narrowDeps, type NeedsOf, type PortSpec, type StepDeps } from './deps';
import { answerChallenges } from './handlers/answer-challenges';
import { checkCertificate } from './handlers/check-certificate';
import { checkDnsSync } from './handlers/check-dns-sync';
import { checkOrder } from './handlers/check-order';
import { checkPrivateCertificate } from './handlers/check-private-certificate';
import { cleanupAfterFailure, cleanupChallenges } from './handlers/cleanup-challenges';
import { createOrder } from './handlers/create-order';
import { finalizeOrder } from './handlers/finalize-order';
import { issuePrivate } from './handlers/issue-private';
import { markRevoked } from './handlers/mark-revoked';
import { packageAndStore } from './handlers/package-and-store';
import { packageAndStorePrivate } from './handlers/package-and-store-private';
import { presentChallenges } from './handlers/present-challenges';
import { publishFailed } from './handlers/publish-failed';
import { publishRenewed } from './handlers/publish-renewed';
import { publishRevocationFailed } from './handlers/publish-revocation-failed';
import { publishRevoked } from './handlers/publish-revoked';
import { cleanupPrivateAfterFailure, releasePrivate } from './handlers/release-private';
import { revokeAtCa } from './handlers/revoke-at-ca';
import { scanInventory } from './handlers/scan-inventory';
import { advanceRotation } from './handlers/advance-rotation';
import { checkServed } from './handlers/check-served';
import { validateRequest } from './handlers/validate-request';
import { validateRevocation } from './handlers/validate-revocation';
import { ENV } from './runtime/env';
import { invokeStep } from './runtime/lambda';
import type { FailureState, RenewalState, RevocationState, ScanState, ServedCheckState } from './state';

/** No Parameters: the task receives the whole state (a first state: the execution's input). */
export const WHOLE_INPUT = 'whole input';

/** What a payload may read from the execution's context. */
interface ContextValues {
  readonly '$$.Execution.Id': string;
  readonly '$$.Execution.Input': unknown;
}
/** Every field a task may read: the renewal or revocation state, and on the failure path what Catch added. */
type Readable = RenewalState & RevocationState & FailureState & ScanState & ServedCheckState;
type FieldPath = {
  [K in keyof Readable & string]: `$.${K}` | (NonNullable<Readable[K]> extends object ? `$.${K}.${keyof NonNullable<Readable[K]> & string}` : never);
}[keyof Readable & string];
/** A JSONPath a payload field may take: a state field or one of its fields, `$` (the whole state), the context. */
type PayloadPath = '$' | keyof ContextValues | FieldPath;
type ValueAt<P extends PayloadPath> = P extends keyof ContextValues
  ? ContextValues[P]
  : P extends '$'
    ? FailureState & RevocationState
    : P extends `$.${infer K extends keyof Readable}.${infer F}`
      ? F extends keyof NonNullable<Readable[K]>
        ? NonNullable<Readable[K]>[F]
        : never
      : P extends `$.${infer K extends keyof Readable}`
        ? NonNullable<Readable[K]>
        : never;

/** The task's input: each field from its path (`{ order: '$.order' }` → `{ order: OrderRef }`). */
export type Payload = typeof WHOLE_INPUT | { readonly [field: string]: PayloadPath };
export type InputOf<P extends Payload> = P extends typeof WHOLE_INPUT ? unknown : { readonly [K in keyof P]: ValueAt<P[K] & PayloadPath> };

/** Where the result goes: a field of the renewal, revocation or scan state, the scan's `$.scan`, or nowhere (null). */
export type ResultPath = `$.${keyof RenewalState}` | `$.${keyof RevocationState}` | `$.${keyof ScanState}` | `$.${keyof ServedCheckState}` | '$.scan' | null;
type ResultOf<R extends ResultPath> = R extends `$.${infer K extends keyof RenewalState}`
  ? NonNullable<RenewalState[K]>
  : R extends `$.${infer K extends keyof RevocationState}`
    ? NonNullable<RevocationState[K]>
    : R extends `$.${infer K extends keyof ScanState}`
      ? NonNullable<ScanState[K]>
      : R extends `$.${infer K extends keyof ServedCheckState}`
        ? NonNullable<ServedCheckState[K]>
        : unknown;

/**
 * - `rate-limited`: transient errors (Lambda, network, not yet in sync…) within seconds, and a CA's
 *   rate limit over minutes; any other error goes down the failure path. The renewal's steps.
 * - `transient`: transient errors only. Cleanup, the failure path and the scan, which must not sit
 *   out a CA's rate limit.
 */
export type RetryClass = 'rate-limited' | 'transient';

type Machine = 'RenewCertificate' | 'ScanCertificates' | 'RevokeCertificate' | 'CheckServed';

/** Per-step additions to its Lambda function, from the config. */
interface LambdaExtras {
  readonly environment?: Readonly<Record<string, string>>;
  /** esbuild `define`: values compiled into the bundle. */
  readonly define?: Readonly<Record<string, string>>;
}

interface StepDefinition<P extends Payload, S extends PortSpec, R extends ResultPath, F> {
  readonly machine: Machine;
  /** The Lambda handler: export `exportName` of lambdas/handlers/<file>.ts. */
  readonly handler: { readonly file: string; readonly exportName: string };
  /** The step itself (what the Lambda handler wraps), for running in-process. */
  readonly run: F;
  readonly payload: P;
  readonly resultPath: R;
  /** The port methods its handler uses: exactly what its deps type names. */
  readonly ports: S;
  /** What its role may do (infra/iam.ts). */
  readonly capabilities: readonly Capability[];
  readonly retry: RetryClass;
  readonly lambda?: (config: CertflowConfig) => LambdaExtras;
  /**
   * Log keys the payload does not carry already (the Lambda's logger puts `certificateId` and
   * `executionId` on every line; `executionId` is added to every payload by the task builder).
   */
  readonly logKeys?: { readonly certificateId: PayloadPath };
}

export interface StepEntry<P extends Payload = Payload, S extends PortSpec = PortSpec, R extends ResultPath = ResultPath, F = unknown>
  extends StepDefinition<P, S, R, F> {
  /**
   * Runs the step in-process the way its Lambda runs it: the input as the state machine built it,
   * passed on unchecked; the deps narrowed to the entry's ports, as its role narrows what it may
   * call, once per deps (what a warm container caches stays cached, per step as on Lambda).
   */
  readonly invoke: (input: unknown, deps: StepDeps) => Promise<unknown>;
}

function step<
  const P extends Payload,
  const S extends PortSpec,
  const R extends ResultPath,
  F extends (input: InputOf<P>, deps: StepDeps<NeedsOf<S>>) => Promise<ResultOf<R>>,
>(definition: StepDefinition<P, S, R, F>): StepEntry<P, S, R, F> {
  const narrowed = new WeakMap<StepDeps, StepDeps<NeedsOf<S>>>();
  const depsFor = (deps: StepDeps) => narrowed.get(deps) ?? narrowed.set(deps, narrowDeps(deps, definition.ports)).get(deps)!;
  // Through invokeStep, as the Lambda handler does: the log keys of the input on every line.
  return { ...definition, invoke: (input, deps) => invokeStep(definition.run, input as InputOf<P>, depsFor(deps)) };
}

// One entry per step; the entries share a shape because they are data, not repeated logic.
const CATALOGUE = {
  'validate-request': step({
    machine: 'RenewCertificate',
    handler: { file: 'validate-request', exportName: 'handler' },
    run: validateRequest,
    // The execution's raw input, as it came: the first state is where it is judged.
    payload: { request: '$' },
    resultPath: '$.request',
    ports: {},
    capabilities: [],
    retry: 'rate-limited',
    // A request by id alone is completed from the declared inventory (compiled in, ADR 0005).
    lambda: (config) => ({ define: inventoryDefine(config) }),
  }),
  'create-order': step({
    machine: 'RenewCertificate',
    handler: { file: 'create-order', exportName: 'handler' },
    run: createOrder,
    payload: { request: '$.request', executionId: '$$.Execution.Id' },
    resultPath: '$.order',
    ports: { store: ['account', 'saveAccountUrl', 'readSecret', 'acquireLease'], executions: ['isGone'] },
    capabilities: ['accountWrite', 'renewalLease', 'executionStatus'],
    retry: 'rate-limited',
  }),
  'present-challenges': step({
    machine: 'RenewCertificate',
    handler: { file: 'present-challenges', exportName: 'handler' },
    run: presentChallenges,
    payload: { records: '$.order.records' },
    resultPath: '$.dns',
    ports: { dns: ['present'] },
    capabilities: ['dnsChange'],
    logKeys: { certificateId: '$.request.certificateId' },
    retry: 'rate-limited',
  }),
  'check-dns-sync': step({
    machine: 'RenewCertificate',
    handler: { file: 'check-dns-sync', exportName: 'handler' },
    run: checkDnsSync,
    payload: { dns: '$.dns', records: '$.order.records' },
    resultPath: '$.dns',
    ports: { dns: ['isInSync'] },
    capabilities: ['dnsSync'],
    logKeys: { certificateId: '$.request.certificateId' },
    retry: 'rate-limited',
  }),
  'answer-challenges': step({
    machine: 'RenewCertificate',
    handler: { file: 'answer-challenges', exportName: 'handler' },
    run: answerChallenges,
    payload: { request: '$.request', order: '$.order' },
    resultPath: '$.validation',
    ports: { store: ['account'] },
    capabilities: ['accountRead'],
    retry: 'rate-limited',
  }),
  'check-order': step({
    machine: 'RenewCertificate',
    handler: { file: 'check-order', exportName: 'handler' },
    run: checkOrder,
    payload: { request: '$.request', order: '$.order', validation: '$.validation' },
    resultPath: '$.validation',
    ports: { store: ['account'] },
    capabilities: ['accountRead'],
    retry: 'rate-limited',
  }),
  'finalize-order': step({
    machine: 'RenewCertificate',
    handler: { file: 'finalize-order', exportName: 'handler' },
    run: finalizeOrder,
    payload: { request: '$.request', order: '$.order', validation: '$.validation' },
    resultPath: '$.issuance',
    ports: { store: ['account', 'pendingKey'] },
    capabilities: ['accountRead', 'pendingWrite'],
    retry: 'rate-limited',
  }),
  'check-certificate': step({
    machine: 'RenewCertificate',
    handler: { file: 'check-certificate', exportName: 'handler' },
    run: checkCertificate,
    payload: { request: '$.request', order: '$.order', issuance: '$.issuance' },
    resultPath: '$.issuance',
    ports: { store: ['account'] },
    capabilities: ['accountRead'],
    retry: 'rate-limited',
  }),
  'package-and-store': step({
    machine: 'RenewCertificate',
    handler: { file: 'package-and-store', exportName: 'handler' },
    run: packageAndStore,
    payload: { request: '$.request', order: '$.order', issuance: '$.issuance' },
    resultPath: '$.certificate',
    ports: { store: ['account', 'readPendingKey', 'readSecret', 'currentKeystorePassword', 'promote'] },
    capabilities: ['accountRead', 'pendingRead', 'certificateWrite'],
    retry: 'rate-limited',
  }),
  'publish-renewed': step({
    machine: 'RenewCertificate',
    handler: { file: 'publish-renewed', exportName: 'handler' },
    run: publishRenewed,
    payload: { certificate: '$.certificate', executionId: '$$.Execution.Id' },
    resultPath: null,
    ports: { events: ['renewed'] },
    capabilities: ['publish'],
    retry: 'rate-limited',
  }),
  'cleanup-challenges': step({
    machine: 'RenewCertificate',
    handler: { file: 'cleanup-challenges', exportName: 'handler' },
    run: cleanupChallenges,
    payload: { records: '$.order.records', certificateId: '$.request.certificateId', executionId: '$$.Execution.Id', pending: '$.issuance.pending' },
    resultPath: null,
    ports: { dns: ['cleanup'], store: ['discardPending', 'pendingFor', 'heldLease', 'releaseLease'] },
    capabilities: ['dnsChange', 'pendingDiscard', 'renewalLease'],
    retry: 'transient',
  }),
  'cleanup-after-failure': step({
    machine: 'RenewCertificate',
    handler: { file: 'cleanup-challenges', exportName: 'failureHandler' },
    run: cleanupAfterFailure,
    payload: { state: '$', executionId: '$$.Execution.Id' },
    resultPath: null,
    ports: { dns: ['cleanup'], store: ['discardPending', 'pendingFor', 'heldLease', 'releaseLease'] },
    capabilities: ['dnsChange', 'pendingDiscard', 'renewalLease'],
    retry: 'transient',
  }),
  'publish-failed': step({
    machine: 'RenewCertificate',
    handler: { file: 'publish-failed', exportName: 'handler' },
    run: publishFailed,
    // The execution's raw input: it may be the invalid request itself.
    payload: { input: '$$.Execution.Input', failure: '$.failure', step: '$.failedStep', executionId: '$$.Execution.Id' },
    resultPath: null,
    ports: { events: ['failed'], store: ['currentVersion', 'recordFailure'] },
    capabilities: ['publish', 'versionLookup', 'failureRecord'],
    retry: 'transient',
  }),
  // The private path (issuer privateCa): no ACME account, no DNS (docs/private-ca.md).
  'issue-private': step({
    machine: 'RenewCertificate',
    handler: { file: 'issue-private', exportName: 'handler' },
    run: issuePrivate,
    payload: { request: '$.request', executionId: '$$.Execution.Id' },
    resultPath: '$.privateIssuance',
    ports: { store: ['acquireLease', 'heldLease', 'pendingKey'], issuer: ['issue'], executions: ['isGone'], rotations: ['rotation'] },
    capabilities: ['renewalLease', 'pendingWrite', 'privateIssue', 'executionStatus', 'rotationRead'],
    retry: 'rate-limited',
  }),
  'check-private-certificate': step({
    machine: 'RenewCertificate',
    handler: { file: 'check-private-certificate', exportName: 'handler' },
    run: checkPrivateCertificate,
    payload: { privateIssuance: '$.privateIssuance' },
    resultPath: '$.privateIssuance',
    ports: { issuer: ['fetch'] },
    capabilities: ['privateFetch'],
    logKeys: { certificateId: '$.request.certificateId' },
    retry: 'rate-limited',
  }),
  'package-and-store-private': step({
    machine: 'RenewCertificate',
    handler: { file: 'package-and-store-private', exportName: 'handler' },
    run: packageAndStorePrivate,
    payload: { request: '$.request', privateIssuance: '$.privateIssuance' },
    resultPath: '$.certificate',
    ports: { issuer: ['fetch'], store: ['readPendingKey', 'readSecret', 'currentKeystorePassword', 'promote'], rotations: ['rotation'] },
    capabilities: ['privateFetch', 'pendingRead', 'certificateWrite', 'rotationRead'],
    retry: 'rate-limited',
  }),
  'release-private': step({
    machine: 'RenewCertificate',
    handler: { file: 'release-private', exportName: 'handler' },
    run: releasePrivate,
    payload: { certificateId: '$.request.certificateId', executionId: '$$.Execution.Id', pending: '$.privateIssuance.pending' },
    resultPath: null,
    ports: { store: ['discardPending', 'pendingFor', 'heldLease', 'releaseLease'] },
    capabilities: ['pendingDiscard', 'renewalLease'],
    retry: 'transient',
  }),
  'cleanup-private-after-failure': step({
    machine: 'RenewCertificate',
    handler: { file: 'release-private', exportName: 'failureHandler' },
    run: cleanupPrivateAfterFailure,
    payload: { state: '$', executionId: '$$.Execution.Id' },
    resultPath: null,
    ports: { store: ['discardPending', 'pendingFor', 'heldLease', 'releaseLease'] },
    capabilities: ['pendingDiscard', 'renewalLease'],
    retry: 'transient',
  }),
  // RevokeCertificate (infra/revoke-state-machine.ts).
  'validate-revocation': step({
    machine: 'RevokeCertificate',
    handler: { file: 'validate-revocation', exportName: 'handler' },
    run: validateRevocation,
    // The execution's raw input, as it came: the first state is where it is judged.
    payload: { request: '$' },
    resultPath: '$.revocation',
    ports: {},
    capabilities: [],
    retry: 'transient',
  }),
  'revoke-at-ca': step({
    machine: 'RevokeCertificate',
    handler: { file: 'revoke-at-ca', exportName: 'handler' },
    run: revokeAtCa,
    payload: { revocation: '$.revocation', executionId: '$$.Execution.Id' },
    resultPath: '$.revoked',
    // The version's leaf (GetSecretValue: Secrets Manager has no partial reads) and the account key; no write.
    ports: { store: ['account', 'issuedCertificate'] },
    capabilities: ['accountRead', 'certificateRead'],
    retry: 'rate-limited',
    // A declared certificate is reissued as declared (by id alone): the inventory is compiled in, as into ValidateRequest.
    lambda: (config) => ({ define: inventoryDefine(config) }),
  }),
  'mark-revoked': step({
    machine: 'RevokeCertificate',
    handler: { file: 'mark-revoked', exportName: 'handler' },
    run: markRevoked,
    payload: { revoked: '$.revoked' },
    resultPath: '$.mark',
    ports: { store: ['markRevoked'] },
    capabilities: ['revocationMark'],
    retry: 'transient',
  }),
  'publish-revoked': step({
    machine: 'RevokeCertificate',
    handler: { file: 'publish-revoked', exportName: 'handler' },
    run: publishRevoked,
    payload: { revoked: '$.revoked', mark: '$.mark', reissue: '$.revocation.reissue', executionId: '$$.Execution.Id' },
    resultPath: null,
    ports: { events: ['revoked'] },
    capabilities: ['publish'],
    retry: 'transient',
  }),
  'publish-revocation-failed': step({
    machine: 'RevokeCertificate',
    handler: { file: 'publish-revocation-failed', exportName: 'handler' },
    run: publishRevocationFailed,
    // The execution's raw input (it may be the invalid request itself) and whatever state it got to.
    payload: { input: '$$.Execution.Input', state: '$', executionId: '$$.Execution.Id' },
    resultPath: null,
    ports: { events: ['revocationFailed'] },
    capabilities: ['publish'],
    retry: 'transient',
  }),
  'advance-rotation': step({
    machine: 'ScanCertificates',
    handler: { file: 'advance-rotation', exportName: 'handler' },
    run: advanceRotation,
    payload: {},
    resultPath: '$.rotation',
    ports: { rotations: ['rotation', 'saveRotation'], hosts: ['hostStates'], store: ['inventory'] },
    capabilities: ['rotationWrite', 'hostReports', 'inventory'],
    retry: 'transient',
    // The declared inventory: a declared certificate is reissued as declared.
    lambda: (config) => ({ define: inventoryDefine(config) }),
  }),
  'scan-inventory': step({
    machine: 'ScanCertificates',
    handler: { file: 'scan-inventory', exportName: 'handler' },
    run: scanInventory,
    payload: { rotation: '$.rotation' },
    resultPath: '$.scan',
    ports: { store: ['inventory', 'recordAri'], orders: ['ordersSince'], events: ['expiring'] },
    // states:ListExecutions on the RenewCertificate machine (the order ledger) is added by the
    // stack, which knows its ARN (infra/certflow-stack.ts).
    capabilities: ['inventory', 'ariRecord', 'publish'],
    retry: 'transient',
    lambda: (config) => ({
      environment: { [ENV.scan]: JSON.stringify(scanSettingsOf(config.schedule)) },
      // The declared inventory is compiled into the scan function (no 4 KB environment limit).
      define: inventoryDefine(config),
    }),
  }),
  'check-served': step({
    machine: 'CheckServed',
    handler: { file: 'check-served', exportName: 'handler' },
    run: checkServed,
    payload: WHOLE_INPUT,
    resultPath: '$.served',
    ports: { hosts: ['reports'], queues: ['queueNames'] },
    // logs:FilterLogEvents on the inventory log group is added by the stack, which creates it
    // (infra/served-check.ts); the metrics are EMF lines in its own log (no PutMetricData).
    capabilities: ['hostReports', 'groupQueues'],
    retry: 'transient',
    // The groups are compiled into the function (no 4 KB environment limit), as the inventory into the scan's.
    lambda: (config) => ({ define: { [`process.env.${ENV.servedCheck}`]: JSON.stringify(JSON.stringify(servedCheckSettingsOf(config))) } }),
  }),
};

export type StepId = keyof typeof CATALOGUE;
export const STEP_IDS = Object.keys(CATALOGUE) as StepId[];
/** Every entry with its handler's types erased, for code that treats all steps alike. */
export const STEPS: Readonly<Record<StepId, StepEntry>> = CATALOGUE;

export function isStepId(value: unknown): value is StepId {
  return typeof value === 'string' && Object.hasOwn(CATALOGUE, value);
}

/**
 * The declared inventory as an esbuild `define`: compiled into the bundles of the steps that read
 * it (ValidateRequest, the scan), as Lambda's 4 KB of environment cannot hold a fleet's names.
 */
function inventoryDefine(config: CertflowConfig): Record<string, string> {
  return { [`process.env.${ENV.inventory}`]: JSON.stringify(JSON.stringify(config.certificates)) };
}

function servedCheckSettingsOf(config: CertflowConfig): ServedCheckSettings {
  return { groups: config.subscribers.map(({ name, certificateIds }) => ({ name, certificateIds: [...certificateIds] })), graceMinutes: config.schedule.notServedAfterMinutes };
}

function scanSettingsOf(schedule: CertflowConfig['schedule']): ScanSettings {
  return {
    intervalHours: schedule.scanIntervalHours,
    budget: schedule.orderBudget,
    expiringDays: schedule.expiringDays,
    ...(schedule.maxRenewalsPerScan !== undefined ? { maxPerScan: schedule.maxRenewalsPerScan } : {}),
  };
}

// Compile-time: each entry's ports and payload fields are exactly those its handler declares (the
// step() signature already holds the other direction). A mismatch names the step here.
type DepsParam<F> = F extends (input: never, deps: infer D) => unknown ? D : never;
type InputParam<F> = F extends (input: infer I, deps: never) => unknown ? I : never;
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
type Exact<E> = E extends StepEntry<infer P, infer S, ResultPath, infer F>
  ? [DepsParam<F>] extends [StepDeps<NeedsOf<S>>]
    ? P extends typeof WHOLE_INPUT
      ? true
      : SameKeys<InputParam<F>, P>
    : false
  : false;
type Inexact = { [K in StepId]: Exact<(typeof CATALOGUE)[K]> extends true ? never : K }[StepId];
type ExpectNone<T extends never> = T;
/** @public Never read: it compiles only while every catalogue entry matches its handler. */
export type CatalogueMatchesHandlers = ExpectNone<Inexact>;
