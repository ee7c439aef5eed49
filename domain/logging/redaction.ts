/**
 * Defence in depth for logs: whatever a step logs by mistake, private keys and passwords do not
 * reach a log line. Secrets never travel through state (test/e2e/secrets.test.ts proves it); this
 * is the second wall, applied to every line by the Powertools formatter below.
 */
import { LogFormatter, LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';

export const REDACTED = '[redacted]';
export const REDACTED_KEY = '[redacted private key]';
export const REDACTED_BASE64 = '[redacted base64]';

/** A private key PEM block; an unterminated one (a truncated message) is cut to the end. */
const PRIVATE_KEY_PEM = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g;
/** Base64 (or base64url) runs, line breaks allowed: a key body without its PEM armour, a keystore. */
const BASE64_RUN = /(?:[A-Za-z0-9+/_-]|\r?\n(?=[A-Za-z0-9+/_-]))+={0,2}/g;
/** Shorter runs are identifiers (order ids, TXT values, 64-hex fingerprints); a P-256 PKCS#8 body is 184. */
const MIN_BASE64_RUN = 100;

/** Key names whose values are secrets whatever they look like (compared lowercased, without `_` and `-`). */
const SECRET_KEY = /pass(word|phrase|wd)|hmac|privatekey|keypem|secretaccesskey|sessiontoken|accesstoken|apikey|^secret(value|string|binary)?$|^credentials?$/;
/** …unless the name says the value only points at one: `passwordSecretRef`, `secretArn`, `keystorePasswordFile`. */
const REFERENCE_KEY = /(ref|arn|id|file|path|name|length)$/;

export function isSecretKey(key: string): boolean {
  const normalized = key.toLowerCase().replace(/[_-]/g, '');
  return SECRET_KEY.test(normalized) && !REFERENCE_KEY.test(normalized);
}

/**
 * A base64 run long enough to be key material, and not a path (paths have a `/` every few
 * characters) nor a lowercase identifier such as an AWS Private CA certificate ARN's
 * `certificate-authority/<uuid>/certificate/<32 hex>` (103 characters): base64 of random bytes
 * has capitals (a 100-character run without one: odds 2e-23), hex has no letter past f.
 */
function isKeyMaterial(run: string): boolean {
  const chars = run.replace(/\s/g, '');
  if (chars.length < MIN_BASE64_RUN) return false;
  if (!/[A-Z]/.test(chars) && /[g-z]/.test(chars)) return false;
  const slashes = chars.split('/').length - 1;
  return slashes <= chars.length / 16;
}

/** Private key PEM blocks and long base64 runs out of a text. */
export function redact(text: string): string {
  return text.replace(PRIVATE_KEY_PEM, REDACTED_KEY).replace(BASE64_RUN, (run) => (isKeyMaterial(run) ? REDACTED_BASE64 : run));
}

/**
 * A log attribute with its secrets redacted: strings by content, values under secret key names
 * whatever they are (booleans stay: `rotatePassword: true` tells nothing), objects and arrays
 * walked. Errors become their formatted form first so that their message and stack are redacted.
 */
function redactValue(value: unknown, formatError: (error: Error) => LogAttributes = (error) => ({ name: error.name, message: error.message }), key?: string, seen: Set<object> = new Set()): unknown {
  if (value === null || value === undefined || typeof value === 'boolean') return value;
  if (key !== undefined && isSecretKey(key)) return REDACTED;
  if (typeof value === 'string') return redact(value);
  if (typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  if (value instanceof Error) return redactValue(formatError(value), formatError, undefined, seen);
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => redactValue(item, formatError, undefined, seen));
    const prototype = Object.getPrototypeOf(value) as unknown;
    if (prototype !== Object.prototype && prototype !== null) return value; // Date, Uint8Array, …: JSON.stringify decides
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, redactValue(item, formatError, name, seen)]));
  } finally {
    seen.delete(value);
  }
}

/**
 * Powertools' standard keys (the ones its own formatter writes, so queries written for Powertools
 * work), with the message and every attribute redacted.
 */
export class RedactingLogFormatter extends LogFormatter {
  override formatAttributes(attributes: UnformattedAttributes, additionalLogAttributes: LogAttributes): LogItem {
    const formatError = (error: Error) => this.formatError(error);
    return new LogItem({
      attributes: {
        level: attributes.logLevel,
        message: redact(attributes.message),
        timestamp: this.formatTimestamp(attributes.timestamp),
        service: attributes.serviceName,
        cold_start: attributes.lambdaContext?.coldStart,
        function_arn: attributes.lambdaContext?.invokedFunctionArn,
        function_memory_size: attributes.lambdaContext?.memoryLimitInMB,
        function_name: attributes.lambdaContext?.functionName,
        function_request_id: attributes.lambdaContext?.awsRequestId,
        sampling_rate: attributes.sampleRateValue,
        xray_trace_id: attributes.xRayTraceId,
      },
    }).addAttributes(redactValue(additionalLogAttributes, formatError) as LogAttributes);
  }
}
