/**
 * The Logger port on Powertools for AWS Lambda: one JSON line per entry with Powertools' standard
 * keys, secrets redacted by its formatter (./redaction.ts), and the keys of the running step
 * (`certificateId`, `executionId`) on every line. In Lambda the lines go to stdout through
 * Powertools' own console; local runs, tests and the agent give a sink instead.
 */
import { Logger as PowertoolsLogger, type LogItem } from '@aws-lambda-powertools/logger';
import type { ConstructorOptions } from '@aws-lambda-powertools/logger/types';
import type { Logger } from '../ports';
import { RedactingLogFormatter } from './redaction';

/** Receives one JSON line per entry. */
export type LineSink = (line: string) => void;

const SERVICE_NAME = 'certflow';

/** Powertools' standard keys: a field of that name would be dropped, so it is kept as `field_<name>`. */
const RESERVED = new Set(['level', 'message', 'sampling_rate', 'service', 'timestamp']);

/** Powertools Logger printing to a sink instead of stdout: same formatter, same lines. */
class SinkLogger extends PowertoolsLogger {
  // Set after super(): a line Powertools prints while constructing goes to stdout as usual.
  private sink: LineSink | undefined;

  constructor(sink: LineSink, options: ConstructorOptions) {
    super(options);
    this.sink = sink;
  }

  protected override printLog(logLevel: number, log: LogItem): void {
    if (!this.sink) return super.printLog(logLevel, log);
    log.prepareForPrint();
    this.sink(JSON.stringify(log.getAttributes(), this.getJsonReplacer()));
  }
}

type Fields = Record<string, unknown>;

/**
 * The port, backed by one Powertools Logger. Keys are bound per invocation by `withKeys`, which
 * returns a new port over the same Logger: concurrent executions sharing a process (the local
 * runner's Map) never see each other's keys, as they could with Powertools' `appendKeys`.
 */
export class PowertoolsLog implements Logger {
  constructor(
    readonly logger: PowertoolsLogger,
    /** Where lines go when not to stdout; metrics (./metrics.ts) go there too. */
    readonly sink: LineSink | undefined,
    private readonly keys: Fields = {},
  ) {}

  info(message: string, fields?: Fields): void {
    this.logger.info(message, this.attributes(fields));
  }

  warn(message: string, fields?: Fields): void {
    this.logger.warn(message, this.attributes(fields));
  }

  error(message: string, fields?: Fields): void {
    this.logger.error(message, this.attributes(fields));
  }

  withKeys(keys: Fields): PowertoolsLog {
    return new PowertoolsLog(this.logger, this.sink, { ...this.keys, ...keys });
  }

  private attributes(fields: Fields = {}): Fields {
    const attributes: Fields = {};
    for (const [key, value] of Object.entries({ ...this.keys, ...fields })) attributes[RESERVED.has(key) ? `field_${key}` : key] = value;
    return attributes;
  }
}

export interface PowertoolsLogOptions {
  /** Lines go here instead of stdout (local runs, tests, the agent). */
  readonly sink?: LineSink;
  /** Keys on every line (e.g. the step, the agent's component). */
  readonly keys?: Fields;
}

export function powertoolsLog(options: PowertoolsLogOptions = {}): PowertoolsLog {
  const config = { serviceName: SERVICE_NAME, logFormatter: new RedactingLogFormatter() };
  // In Lambda the level comes from POWERTOOLS_LOG_LEVEL (or Lambda's log level control); a sink
  // takes every info line, whatever a developer's shell sets, since tests read them.
  const logger = options.sink ? new SinkLogger(options.sink, { ...config, logLevel: 'INFO' }) : new PowertoolsLogger(config);
  return new PowertoolsLog(logger, options.sink, options.keys);
}

/** A Logger port writing JSON lines to `write` (the local pipeline, tests, the agent). */
export function jsonLogger(write: LineSink, base: Fields = {}): PowertoolsLog {
  return powertoolsLog({ sink: write, keys: base });
}

/** `log` with `keys` on every line; any Logger port will do (tests pass recording ones). */
export function withLogKeys(log: Logger, keys: Fields): Logger {
  if (Object.keys(keys).length === 0) return log;
  if (log instanceof PowertoolsLog) return log.withKeys(keys);
  return {
    info: (message, fields) => log.info(message, { ...keys, ...fields }),
    warn: (message, fields) => log.warn(message, { ...keys, ...fields }),
    error: (message, fields) => log.error(message, { ...keys, ...fields }),
  };
}

export interface StepLogKeys {
  certificateId?: string;
  executionId?: string;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The keys a step's lines carry, from its input: `executionId` at the top (the state machine
 * passes `$$.Execution.Id` there), `certificateId` at the top or one or two objects down
 * (`request`, `certificate`, `input` of PublishFailed, `state.request` of CleanupAfterFailure).
 */
export function logKeysOf(input: unknown): StepLogKeys {
  const keys: StepLogKeys = {};
  if (!isObject(input)) return keys;
  if (typeof input.executionId === 'string') keys.executionId = input.executionId;
  let level: Json[] = [input];
  for (let depth = 0; depth < 3 && level.length > 0; depth++) {
    const found = level.find((node) => typeof node.certificateId === 'string');
    if (found) return { ...keys, certificateId: found.certificateId as string };
    level = level.flatMap((node) => Object.values(node).filter(isObject));
  }
  return keys;
}
