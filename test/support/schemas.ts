/** The published JSON Schemas of the event details (schemas/*.json), compiled once. */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats.default(ajv);

const load = (file: string) => ajv.compile(JSON.parse(readFileSync(new URL(`../../schemas/${file}`, import.meta.url), 'utf8')));

const SCHEMAS = {
  'Certificate Renewed': load('certificate-renewed.schema.json'),
  'Certificate Renewal Failed': load('certificate-renewal-failed.schema.json'),
  'Certificate Expiring': load('certificate-expiring.schema.json'),
  'Certificate Rolled Back': load('certificate-rolled-back.schema.json'),
  'Certificate Installed': load('certificate-installed.schema.json'),
  'Certificate Reload Failed': load('certificate-reload-failed.schema.json'),
  'Certificate Revoked': load('certificate-revoked.schema.json'),
  'Certificate Revocation Failed': load('certificate-revocation-failed.schema.json'),
} as const;

/** Schema errors for a detail of the given detail-type ([] when valid). */
export function detailErrors(detailType: string, detail: unknown): string[] {
  const validate = SCHEMAS[detailType as keyof typeof SCHEMAS];
  if (!validate) return [`no schema for detail-type '${detailType}'`];
  return validate(detail) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message}`);
}
