/**
 * Parsing untrusted JSON against a contract, with messages that name the field at fault:
 * `metadata.names[0] is not a string (got 42)`. Each caller wraps the text in its own error class.
 */
import { z } from 'zod';

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value as it appears in a message: JSON, shortened. */
export function shown(value: unknown): string {
  const text = value === undefined ? 'undefined' : (JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

const TYPE_NAMES: Record<string, string> = { object: 'a JSON object', array: 'a list', string: 'a string', number: 'a number', boolean: 'true or false' };
const FORMAT_NAMES: Record<string, string> = { datetime: 'an ISO 8601 date-time', url: 'a URL', email: 'an e-mail address' };

/**
 * Messages for any issue a schema did not word itself; each reads after the field's path.
 * Passed per parse (schema-level `error`s still win), so zod's global config stays untouched.
 * `showValues: false` for documents holding secrets: the message then never quotes the input.
 */
export function fieldMessages({ showValues }: { showValues: boolean }): z.core.$ZodErrorMap {
  const got = (value: unknown) => (showValues ? ` (got ${shown(value)})` : '');
  return (issue) => {
    switch (issue.code) {
      case 'invalid_type':
        return issue.input === undefined ? 'is missing' : `is not ${TYPE_NAMES[issue.expected] ?? issue.expected}${got(issue.input)}`;
      case 'invalid_value':
        return `${showValues ? `is ${shown(issue.input)}` : 'is unexpected'}, expected ${issue.values.map((value) => shown(value)).join(' or ')}`;
      case 'invalid_format':
        return `${issue.pattern && !FORMAT_NAMES[issue.format] ? `does not match ${issue.pattern}` : `is not ${FORMAT_NAMES[issue.format] ?? issue.format}`}${got(issue.input)}`;
      case 'too_small':
      case 'too_big': {
        const bound = issue.code === 'too_small' ? `at least ${issue.minimum}` : `at most ${issue.maximum}`;
        if (issue.origin === 'array') return `has ${(issue.input as unknown[]).length} entries, ${bound}`;
        if (issue.origin === 'string') return (issue.input as string).length === 0 ? 'is empty' : `is ${(issue.input as string).length} characters long, ${bound}`;
        return `is ${showValues ? shown(issue.input) : 'out of range'}, ${bound}`;
      }
      case 'unrecognized_keys':
        return `has unknown field(s) ${issue.keys.join(', ')}`;
      default:
        return undefined;
    }
  };
}

/** `metadata.names[0]`, `files["../x"]`, after `root` when given (e.g. `detail.certificateId`). */
export function fieldPath(path: readonly PropertyKey[], root = ''): string {
  let text = root;
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$-]*$/.test(key)) text += text ? `.${key}` : key;
    else text += `[${JSON.stringify(String(key))}]`;
  }
  return text;
}

const MAX_ISSUES = 5;

/** `<path> <message>` per issue, `; `-separated; a bad record key reads as that key's issue. */
function describeIssues(error: z.ZodError, { root, name = 'value' }: Pick<ParseOptions, 'root' | 'name'> = {}): string {
  const lines = error.issues.map((issue) => {
    const message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
    return `${fieldPath(issue.path, root) || name} ${message}`;
  });
  const more = lines.length - MAX_ISSUES;
  return lines.slice(0, MAX_ISSUES).join('; ') + (more > 0 ? `; and ${more} more` : '');
}

export interface ParseOptions {
  /** Leads every path, e.g. `detail` for `detail.certificateId`. */
  readonly root?: string;
  /** What the value itself is called when it is at fault (default: the root, else `value`). */
  readonly name?: string;
  /** Quote the offending input in messages (default true); false for documents that hold secrets. */
  readonly showValues?: boolean;
}

/**
 * Parse `value` with `schema`, or throw what `fail` makes of the described issues. The zod
 * error is not passed on: its issues could carry the input.
 */
export function parseContract<S extends z.ZodType>(schema: S, value: unknown, fail: (message: string) => Error, options: ParseOptions = {}): z.output<S> {
  const result = schema.safeParse(value, { error: fieldMessages({ showValues: options.showValues ?? true }) });
  if (!result.success) throw fail(describeIssues(result.error, options));
  return result.data;
}
