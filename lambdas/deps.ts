/** What a step gets: settings plus the adapters of the ports it uses. Built once per process. */
import type { RequestPolicy } from '../domain/core/request';
import type { TrustAnchors } from '../domain/core/trust-anchors';
import type { ScanSettings } from '../domain/core/scan-plan';
import type { PrivateCaSettings, ServedCheckSettings } from '../domain/contracts/settings';
import type { CertificateStore, DnsChallengeProvider, EventPublisher, ExecutionStatus, GroupQueues, HostReports, Logger, OrderLedger, PrivateIssuer, RootRotations } from '../domain/ports';

/** The request policy (zones, defaults, secret prefix) plus what only the pipeline needs. */
export interface PipelineSettings extends RequestPolicy {
  /** Extra CA certificates to trust for the ACME directory (Pebble, internal CAs). */
  readonly acmeCaBundlePem?: string;
  /**
   * Trust anchors (root PEMs) by ACME directory URL: an issued chain must lead to one of its
   * directory's before it is stored. PackageAndStore's only: the stack compiles them into that
   * function (public, yet too big for the environment and never worth carrying in state).
   */
  readonly trustAnchors?: TrustAnchors;
  /** The scan limits (the scheduled scan only); the declared inventory is part of the request policy. */
  readonly scan?: ScanSettings;
  /** The private issuer (config `privateCa`); its trust anchors are `trustAnchors[certificateAuthorityArn]`. */
  readonly privateCa?: PrivateCaSettings;
  /** The served check's host groups and grace (CheckServed only). */
  readonly servedCheck?: ServedCheckSettings;
}

/** The ports a step can be given, by name. */
interface Ports {
  readonly store: CertificateStore;
  readonly dns: DnsChallengeProvider;
  readonly events: EventPublisher;
  readonly orders: OrderLedger;
  /** The private CA (issuer `privateCa`). */
  readonly issuer: PrivateIssuer;
  /** Whether a lease's holder still runs (CreateOrder takes over from one that does not). */
  readonly executions: ExecutionStatus;
  /** The private root's rotation record (ADR 0013). */
  readonly rotations: RootRotations;
  /** The hosts' reports, which gate a rotation's phases. */
  readonly hosts: HostReports;
  /** The host groups' queues: who is still a member (the served check). */
  readonly queues: GroupQueues;
}
export type PortName = keyof Ports;
export type PortMethod<K extends PortName> = keyof Ports[K] & string;

/** Which methods of which ports a step uses, as unions of names: `{ store: 'account' | 'saveAccountUrl' }`. */
type PortNeeds = { readonly [K in PortName]?: PortMethod<K> };
type AllPorts = { readonly [K in PortName]: PortMethod<K> };
/** For a step that uses no port. */
export type NoPorts = Record<never, never>;

/**
 * What a step gets: settings, a logger and the clock, plus the methods of the ports it names.
 * `StepDeps` alone is everything (what a process builds); a handler declares the narrow form, e.g.
 * `StepDeps<{ dns: 'present' }>`, and receives nothing else.
 */
export type StepDeps<N extends PortNeeds = AllPorts> = {
  readonly settings: PipelineSettings;
  readonly log: Logger;
  readonly now: () => Date;
} & { readonly [K in keyof N & PortName]: Pick<Ports[K], N[K] & PortMethod<K>> };

/** The same needs as values, for the catalogue to declare and tests and the local runner to read. */
export type PortSpec = { readonly [K in PortName]?: readonly PortMethod<K>[] };
export type NeedsOf<S extends PortSpec> = { readonly [K in keyof S & PortName]: S[K] extends readonly (infer M extends PortMethod<K>)[] ? M : never };

/**
 * Only the methods `spec` names, each looked up on `deps` when called (so a test's spy still
 * applies). The local runner gives each step this, as Lambda's IAM role gives it only those rights.
 */
export function narrowDeps<S extends PortSpec>(deps: StepDeps, spec: S): StepDeps<NeedsOf<S>> {
  const narrowed: Record<string, unknown> = { settings: deps.settings, log: deps.log, now: deps.now };
  for (const [port, methods] of Object.entries(spec) as [PortName, readonly string[]][]) {
    const target = () => deps[port] as unknown as Record<string, (...args: unknown[]) => unknown>;
    narrowed[port] = Object.fromEntries(methods.map((method) => [method, (...args: unknown[]) => target()[method]!(...args)]));
  }
  return narrowed as StepDeps<NeedsOf<S>>;
}
