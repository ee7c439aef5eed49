/** Structured JSON logs, one line per entry. Defence in depth: PEM private keys are redacted. */
import type { Logger } from '../ports';

const PRIVATE_KEY_PEM = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----/g;

export function redact(text: string): string {
  return text.replace(PRIVATE_KEY_PEM, '[redacted private key]');
}

export function jsonLogger(write: (line: string) => void, base: Record<string, unknown> = {}): Logger {
  const emit = (level: string) => (message: string, fields: Record<string, unknown> = {}) =>
    write(redact(JSON.stringify({ time: new Date().toISOString(), level, message, ...base, ...fields })));
  return { info: emit('info'), warn: emit('warn'), error: emit('error') };
}
