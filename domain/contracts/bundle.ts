/**
 * The bundle: one stored certificate version as one JSON document (`JSON.stringify(bundle)`),
 * what the Secrets Manager store keeps as a secret version and the agent fetches and installs.
 * Written by domain/core/bundle.ts `toBundle`; read back by the store and the agent with
 * `parseBundleDocument`. File names become paths on the host, hence the narrow alphabet.
 */
import { z } from 'zod';
import { CertificateIdSchema } from './ids';
import { CertificateMetadataSchema, VersionSchema } from './certificate';
import { shown } from './parse';
import { FORMATS, METADATA_FILE, VERSION_FILES, type VersionFile } from '../keystores/formats';

export const BUNDLE_SCHEMA = 'certflow.bundle/v1';

/** A file of a version (the registry, domain/keystores/formats.ts, names certflow's); metadata.json is written by whoever installs the version. */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const FileNameSchema = z
  .string()
  .regex(FILE_NAME, { error: 'is not allowed as a file name (1–64 of A-Z a-z 0-9 . _ -, starting with a letter or digit)' })
  .refine((name) => name !== METADATA_FILE, { error: `is not allowed: ${METADATA_FILE} is written at install time` });

/** The schema's words on formats and files, from the registry. */
const [PEM, ...KEYSTORES] = FORMATS;
const FORMATS_DESCRIPTION = `${PEM}, plus ${KEYSTORES.join(' and ')} when their keystores are included`;
const FILES_DESCRIPTION = `File name → base64 content; certflow's files: ${Object.values(VERSION_FILES)
  .map((file: VersionFile) => `${file.name} (${file.visibility}, ${file.encoding}${file.optional ? ', when there is something to trust' : ''})`)
  .join(', ')}`;

export const CertificateBundleSchema = z
  .object({
    schema: z.literal(BUNDLE_SCHEMA, { error: (issue) => `is ${shown(issue.input)}, expected '${BUNDLE_SCHEMA}'` }),
    certificateId: CertificateIdSchema,
    version: VersionSchema,
    metadata: CertificateMetadataSchema,
    formats: z.array(z.string()).describe(FORMATS_DESCRIPTION),
    files: z.record(FileNameSchema, z.string().regex(BASE64, { error: 'is not base64' })).describe(FILES_DESCRIPTION),
  })
  .meta({
    title: 'Certificate bundle',
    description: 'One stored certificate version: the SecretString of a version of <prefix>certificates/<id> (Secrets Manager). Holds the private key.',
  });

export type CertificateBundle = Readonly<z.output<typeof CertificateBundleSchema>>;

/**
 * `archive/<id>/<n>/metadata.json`, in the store's and the agent's certbot layout: the certificate's
 * metadata plus the version and formats of the bundle it was written from (domain/core/bundle.ts
 * `metadataJson`). Read back by domain/layout/certbot-layout.ts `readMetadata`.
 */
export const VersionMetadataSchema = CertificateMetadataSchema.extend({
  version: VersionSchema,
  formats: CertificateBundleSchema.shape.formats,
});

export type VersionMetadata = Readonly<z.output<typeof VersionMetadataSchema>>;
