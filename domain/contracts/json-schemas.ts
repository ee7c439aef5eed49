/**
 * The published JSON Schemas (schemas/*.json), generated from the zod contracts: `npm run schemas`
 * writes them, test/unit/contracts/json-schemas.test.ts fails when a committed file is stale.
 */
import { z } from 'zod';
import { CertificateBundleSchema } from './bundle';
import {
  CertificateExpiringSchema,
  CertificateInstalledSchema,
  CertificateReloadFailedSchema,
  CertificateRenewalFailedSchema,
  CertificateRenewedSchema,
  CertificateRevocationFailedSchema,
  CertificateRevokedSchema,
  CertificateRolledBackSchema,
} from './events';
import { RenewCertificateInputSchema } from './request';
import { RevokeCertificateInputSchema } from './revocation';

const JSON_SCHEMA_BASE_URL = 'https://certflow.dev/schemas/';

interface PublishedSchema {
  readonly schema: z.ZodType;
  /** `output` for what certflow writes (extra fields are refused); `input` for what it accepts. */
  readonly io: 'input' | 'output';
}

/** File name under schemas/ → contract. */
export const PUBLISHED_SCHEMAS: Readonly<Record<string, PublishedSchema>> = {
  'certificate-renewed.schema.json': { schema: CertificateRenewedSchema, io: 'output' },
  'certificate-renewal-failed.schema.json': { schema: CertificateRenewalFailedSchema, io: 'output' },
  'certificate-expiring.schema.json': { schema: CertificateExpiringSchema, io: 'output' },
  'certificate-rolled-back.schema.json': { schema: CertificateRolledBackSchema, io: 'output' },
  'certificate-installed.schema.json': { schema: CertificateInstalledSchema, io: 'output' },
  'certificate-reload-failed.schema.json': { schema: CertificateReloadFailedSchema, io: 'output' },
  'certificate-bundle.schema.json': { schema: CertificateBundleSchema, io: 'output' },
  'certificate-revoked.schema.json': { schema: CertificateRevokedSchema, io: 'output' },
  'certificate-revocation-failed.schema.json': { schema: CertificateRevocationFailedSchema, io: 'output' },
  'renew-certificate-input.schema.json': { schema: RenewCertificateInputSchema, io: 'input' },
  'revoke-certificate-input.schema.json': { schema: RevokeCertificateInputSchema, io: 'input' },
};

/** The JSON Schema (draft 2020-12) of one published file, as its text. */
export function jsonSchemaText(file: string): string {
  const published = PUBLISHED_SCHEMAS[file];
  if (!published) throw new Error(`no published schema named ${file}`);
  const { $schema, ...schema } = z.toJSONSchema(published.schema, {
    target: 'draft-2020-12',
    io: published.io,
    unrepresentable: 'throw',
    override: ({ jsonSchema }) => {
      // `format: date-time` says it; zod's own pattern for it is an implementation detail.
      if (jsonSchema.format === 'date-time') delete jsonSchema.pattern;
    },
  });
  return `${JSON.stringify({ $schema, $id: `${JSON_SCHEMA_BASE_URL}${file}`, ...schema }, null, 2)}\n`;
}
