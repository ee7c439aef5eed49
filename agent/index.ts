/** The host agent's public surface (bin/agent.ts, the demo, tests). */
export { startAgent, runOnce, leaveGroup, DEFAULT_RELOAD_TIMEOUT_MS } from './start';
export type { AgentSourceOptions, OnceResult, ReloadOptions, RunningAgent, StartAgentOptions } from './start';
export { CertificateAgent, isDone, type AgentDeps, type SyncOutcome } from './certificate-agent';
export type * from './ports';
export { AgentConfigError, BundleRejected, InvalidEvent, ReloadFailed, VersionNotFound } from './errors';
export { InstallDir } from './install/install-dir';
export { repairInstall } from './install/repair';
export { commandReload } from './reload/command';
export { signalReload } from './reload/signal';
export { EventBridgeReporter, EventFileReporter } from './reporters';
export { StoreCertificateSource } from './adapters/local/store-source';
export { EventFileSource } from './adapters/local/event-file-source';
export { SecretsManagerCertificateSource } from './adapters/aws/secrets-manager-source';
export { SqsEventSource } from './adapters/aws/sqs-event-source';
export { HostQueue } from './adapters/aws/host-queue';
export * from './fleet/host-queue-plan';
