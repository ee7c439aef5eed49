/** The host agent's public surface (bin/agent.ts, the demo, tests). */
export { startAgent, runOnce, leaveGroup } from './start';
export type { AgentSourceOptions, OnceResult, ReloadOptions, RunningAgent, StartAgentOptions } from './start';
export type * from './ports';
export { AgentConfigError } from './errors';
export { EventFileReporter } from './reporters';
export { StoreCertificateSource } from './adapters/local/store-source';
export { EventFileSource } from './adapters/local/event-file-source';
export * from './fleet/host-queue-plan';
