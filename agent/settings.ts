/**
 * The agent's settings: what bin/agent.ts builds from its flags and what `startAgent`/`runOnce`
 * callers pass, checked before anything starts. Each message names the option at fault, and the
 * flag where a CLI user sets it. The ports, clients and callbacks a program may pass besides are
 * typed in start.ts; they are not settings and are not checked here.
 */
import { constants } from 'node:os';
import { z } from 'zod';
import { CERTIFICATE_ID, CERTIFICATE_ID_RULE } from '../domain/contracts/ids';
import { parseContract } from '../domain/contracts/parse';
import { AgentConfigError } from './errors';
import { parseEndpoint } from './serve/tls-probe';
import { keyModeProblem } from './install/ownership';
import { GROUP_NAME, GROUP_NAME_RULE } from '../domain/contracts/ids';

const firstRepeated = (ids: readonly string[]) => ids.find((id, index) => ids.indexOf(id) !== index);

const CertificateIdsSchema = z
  .array(z.string().regex(CERTIFICATE_ID, { error: (issue) => `'${String(issue.input)}' is not a certificate id (${CERTIFICATE_ID_RULE})` }))
  .min(1, { error: 'is empty: name at least one certificate (--certificate <id>)' })
  .refine((ids) => firstRepeated(ids) === undefined, { error: (issue) => `has a certificate named twice ('${firstRepeated(issue.input as string[])}')` })
  .readonly();

const LocalSourceSchema = z.object({
  kind: z.literal('local'),
  /** The pipeline's store root (archive/, live/, events.jsonl). */
  storeDir: z.string().min(1),
  /** Default `<storeDir>/events.jsonl`. */
  eventsFile: z.string().min(1).optional(),
  /** How often the events file is read for new lines. Default 250 ms. */
  pollMs: z.number().positive().optional(),
  /** When a failed event is delivered again (the stand-in for SQS's visibility timeout). Default 30 s. */
  retryDelayMs: z.number().min(0).optional(),
  /** Deliveries before an event is dead-lettered. Default 5. */
  maxReceives: z.number().int().min(1).optional(),
});

const arnOf = (service: string) =>
  z.string().regex(new RegExp(`^arn:[a-z-]+:${service}:[a-z0-9-]+:\\d{12}:[A-Za-z0-9_.-]+$`), { error: (issue) => `'${String(issue.input).slice(0, 100)}' is not an ${service.toUpperCase()} ARN` });

const AwsSourceSchema = z.object({
  kind: z.literal('aws'),
  /**
   * The subscriber group's SNS topic (stack output). The agent then makes a queue of its own,
   * `<queuePrefix><host>`, subscribes it and listens there: every host gets every event (ADR 0007).
   */
  topicArn: arnOf('sns').optional(),
  /** The group's dead-letter queue (stack output); required with topicArn. */
  deadLetterQueueArn: arnOf('sqs').optional(),
  /** `certflow-<group>-` (stack output); required with topicArn. */
  queuePrefix: z.string().regex(/^[A-Za-z0-9_-]{1,60}$/, { error: 'must be 1–60 characters of A-Z a-z 0-9 _ -' }).optional(),
  /** Peers' queues not seen for this long are removed. Default 3 days. */
  staleHostAfterMs: z.number().positive().optional(),
  /** A queue of this host's alone, made by hand (instead of topicArn). */
  queueUrl: z.string().optional(),
  region: z.string().optional(),
  /** Where current versions are read (start-up catch-up, reconcile, once): `<secretPrefix>certificates/<id>` unless named in `secretIds`. */
  secretPrefix: z.string().optional(),
  secretIds: z.record(z.string(), z.string().min(1)).readonly().optional(),
  /** Publish "Certificate Reload Failed" on this EventBridge bus (the pipeline's, e.g. certflow). */
  eventBusName: z.string().optional(),
});

/** A program's own certificate (and event) source; the ports themselves are typed in start.ts. */
const PortsSourceSchema = z.object({ kind: z.literal('ports') });

const ReloadTimeoutSchema = z
  .number({ error: (issue) => `must be positive, got ${String(issue.input)}` })
  .positive({ error: (issue) => `must be positive, got ${String(issue.input)}` });

/** The reload command's own check reads after the option's name: `reload command is empty`. */
const CommandReloadSchema = z
  .object({
    kind: z.literal('command'),
    /** Run with /bin/sh -c (see agent/reload/command.ts for its environment). */
    command: z.string(),
    /** Kill the command's process group after this long. Default DEFAULT_RELOAD_TIMEOUT_MS. */
    timeoutMs: ReloadTimeoutSchema.optional(),
  })
  .refine((reload) => reload.command.trim().length > 0, { error: 'command is empty' });

const SignalReloadSchema = z.object({
  kind: z.literal('signal'),
  signal: z.custom<NodeJS.Signals>((value) => typeof value === 'string' && value in constants.signals, {
    error: (issue) => `'${String(issue.input)}' is not a signal name (e.g. SIGHUP)`,
  }),
  /** The process to signal: the pid in a pidfile, read at each reload, or a pid. */
  target: z.union([z.object({ pidfile: z.string().min(1) }), z.object({ pid: z.number().int().min(2) })]),
});

/** A program's own reload action; the action itself is typed in start.ts. */
const ActionReloadSchema = z.object({ kind: z.literal('action') });

/** `--verify-tls`: after each reload, these endpoints must present the new leaf within the bound. */
const VerifyTlsSchema = z.object({
  /** host:port, at least one. */
  endpoints: z
    .array(z.string().refine((text) => parseOk(text), { error: (issue) => `'${String(issue.input).slice(0, 100)}' is not host:port` }))
    .min(1, { error: 'is empty: name at least one host:port (--verify-tls)' })
    .readonly(),
  /** The SNI name to send (--verify-sni); default none for an IP address, the host name otherwise. */
  serverName: z.string().min(1).max(253).optional(),
  /** How long the new certificate may take to be served after the reload. Default DEFAULT_VERIFY_TIMEOUT_MS. */
  timeoutMs: z.number().positive({ error: (issue) => `must be positive, got ${String(issue.input)}` }).optional(),
});

const parseOk = (text: string) => {
  try {
    parseEndpoint(text);
    return true;
  } catch {
    return false;
  }
};

/** Who may read the installed files: for a service that drops privileges (--owner, --group, --key-mode). */
const FilePermissionsSchema = z.object({
  /** User name or uid that owns every installed file (changing it needs root). */
  owner: z.union([z.string().min(1), z.number().int().min(0)]).optional(),
  /** Group name or gid of every installed file (the agent's user must be in it, or root). */
  group: z.union([z.string().min(1), z.number().int().min(0)]).optional(),
  /** Mode of private files (keys, keystores, passwords): default 0o600; e.g. 0o640 for a service reading them through its group. */
  keyMode: z
    .number()
    .int()
    .refine((mode) => keyModeProblem(mode) === undefined, { error: (issue) => keyModeProblem(issue.input as number) ?? 'invalid' })
    .optional(),
});

/** `--restart-turns <group>`: a turn per group in the store every host of it reads. */
const RestartTurnsSchema = z.object({
  group: z.string().regex(GROUP_NAME, { error: (issue) => `'${String(issue.input).slice(0, 100)}' is not a group name (${GROUP_NAME_RULE})` }),
  /** Waiting longer for the turn, restart without it (default two turn bounds, agent/fleet/restart-turns.ts). */
  maxWaitMs: z.number().positive().optional(),
});

const keepRule = (input: unknown) => `must be an integer ≥ 2 (the live version and one to roll back to), got ${String(input)}`;

const kindOf = (kinds: string) => (issue: { code: string }) => (issue.code === 'invalid_union' ? `is not one of ${kinds}` : undefined);

const AgentSettingsSchema = z.object({
  certificateIds: CertificateIdsSchema,
  /** Where archive/, live/ and state/ go. Created when missing. */
  installDir: z.string().min(1, { error: 'is empty: name the install directory (--dir)' }),
  source: z.discriminatedUnion('kind', [LocalSourceSchema, AwsSourceSchema, PortsSourceSchema], { error: kindOf('local, aws, ports') }),
  /** Without one, installing is switching live/<id> (the service reads the files when it starts). */
  reload: z.discriminatedUnion('kind', [CommandReloadSchema, SignalReloadSchema, ActionReloadSchema], { error: kindOf('command, signal, action') }).optional(),
  /** Installed versions kept per certificate. Default 5. */
  keepVersions: z
    .number()
    .int({ error: (issue) => keepRule(issue.input), abort: true })
    .min(2, { error: (issue) => keepRule(issue.input) })
    .optional(),
  /** Install the store's current version when an event was missed. Default 60 minutes; 0 turns it off. */
  reconcileIntervalMs: z
    .number()
    .min(0, { error: (issue) => `must be ≥ 0 (0 turns reconciling off), got ${String(issue.input)}` })
    .optional(),
  /** Names this host in its queue name and its reports. Default the host name. */
  host: z.string().min(1).max(128).optional(),
  /** PEM files of the roots every installed chain must lead to (--trust-anchor). Without, chains are checked up to their own top. */
  trustAnchorFiles: z.array(z.string().min(1)).min(1, { error: 'is empty: name at least one PEM file, or leave it out' }).readonly().optional(),
  /** After a reload, check what the service presents (--verify-tls). Skipped without a reload action. */
  verifyTls: VerifyTlsSchema.optional(),
  /** Ownership and private-file mode of what is installed (default: the agent's user, 0600). */
  files: FilePermissionsSchema.optional(),
  /** The reload restarts the service: the hosts of this group restart one at a time (--restart-turns, ADR 0014). */
  restartTurns: RestartTurnsSchema.optional(),
}).superRefine((settings, ctx) => {
  if (settings.restartTurns && !settings.reload) {
    ctx.addIssue({ code: 'custom', path: ['restartTurns'], message: 'needs a reload action: only a reload that restarts the service takes turns (--restart-turns with --reload-command)' });
  }
});

/** startAgent's: events arrive too, so AWS mode needs where they arrive (`--once` does without). */
const ListeningSettingsSchema = AgentSettingsSchema.superRefine((settings, ctx) => {
  const { source } = settings;
  if (source.kind !== 'aws') return;
  if (source.topicArn && source.queueUrl) {
    ctx.addIssue({ code: 'custom', path: ['source', 'queueUrl'], message: 'and topicArn are exclusive: the agent makes its own queue on the topic (--topic-arn) or listens on one made by hand (--queue-url)' });
  } else if (source.topicArn) {
    if (!source.deadLetterQueueArn) ctx.addIssue({ code: 'custom', path: ['source', 'deadLetterQueueArn'], message: "is missing: the group's dead-letter queue ARN comes with the topic (--dead-letter-queue-arn)" });
    if (!source.queuePrefix) ctx.addIssue({ code: 'custom', path: ['source', 'queuePrefix'], message: "is missing: the group's queue prefix comes with the topic (--queue-prefix)" });
  } else if (!source.queueUrl) {
    ctx.addIssue({ code: 'custom', path: ['source', 'topicArn'], message: "is missing: AWS mode needs the group's topic (--topic-arn) or a queue of this host's (--queue-url)" });
  }
});

export type AgentSettings = z.input<typeof AgentSettingsSchema>;
export type LocalSourceSettings = z.input<typeof LocalSourceSchema>;
export type AwsSourceSettings = z.input<typeof AwsSourceSchema>;
export type CommandReloadSettings = z.input<typeof CommandReloadSchema>;
export type SignalReloadSettings = z.input<typeof SignalReloadSchema>;

/**
 * Check the settings among `options` (other fields are left alone), or throw AgentConfigError:
 * `keepVersions must be an integer ≥ 2 (…), got 1`. `listening`: the agent will receive events.
 */
export function checkAgentSettings(options: AgentSettings, { listening }: { listening: boolean }): void {
  parseContract(listening ? ListeningSettingsSchema : AgentSettingsSchema, options, (message) => new AgentConfigError(message), { name: 'options' });
}
