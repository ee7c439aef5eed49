/** What every step gets: settings plus one adapter per port. Built once per process. */
import type { HostedZone } from './core/dns-names';
import type { ManagedCertificate, ScanSettings } from './core/scan-plan';
import type { CertificateStore, DnsChallengeProvider, EventPublisher, Logger, OrderLedger } from './ports';

export interface PipelineSettings {
  readonly zones: readonly HostedZone[];
  readonly defaultDirectoryUrl: string;
  readonly defaultContact: readonly string[];
  /** Secret reference of the EAB credentials for requests that name none. */
  readonly defaultExternalAccountBinding?: string;
  /** Extra CA certificates to trust for the ACME directory (Pebble, internal CAs). */
  readonly acmeCaBundlePem?: string;
  /** The declared inventory and scan limits (the scheduled scan only). */
  readonly certificates?: readonly ManagedCertificate[];
  readonly scan?: ScanSettings;
}

export interface StepDeps {
  readonly settings: PipelineSettings;
  readonly dns: DnsChallengeProvider;
  readonly store: CertificateStore;
  readonly events: EventPublisher;
  readonly orders: OrderLedger;
  readonly log: Logger;
  readonly now: () => Date;
}
