/**
 * Revocation (RFC 8555 §7.6): the reasons certflow asks a CA to revoke for, the input of a
 * RevokeCertificate execution and the mark a store keeps on a revoked version. Published as
 * schemas/revoke-certificate-input.schema.json.
 */
import { z } from 'zod';
import { CERTIFICATE_ID, CERTIFICATE_ID_RULE } from './ids';
import { escaped, quoted } from './request';
import { TimestampSchema, VersionSchema } from './certificate';
import { REVOCATION_REASON_NAMES } from './revocation-reasons';

export { DEFAULT_REVOCATION_REASON, REVOCATION_REASONS, type RevocationReason } from './revocation-reasons';

export const RevocationReasonSchema = z
  .enum(REVOCATION_REASON_NAMES, { error: (issue) => `unknown reason ${quoted(issue.input)} (one of ${REVOCATION_REASON_NAMES.join(', ')})` })
  .describe('RFC 5280 §5.3.1 reason, by name: unspecified (0), keyCompromise (1), affiliationChanged (3), superseded (4), cessationOfOperation (5)');

export const RevokeCertificateInputSchema = z
  .strictObject(
    {
      certificateId: z
        .string({ error: (issue) => `${quoted(issue.input)} must be ${CERTIFICATE_ID_RULE}` })
        .regex(CERTIFICATE_ID, { error: (issue) => `${quoted(issue.input)} must be ${CERTIFICATE_ID_RULE}` })
        .describe('The certificate\'s id in the store'),
      reason: RevocationReasonSchema.optional().describe('Why (RFC 5280 §5.3.1). Default: unspecified'),
      version: VersionSchema.optional().describe('The stored version to revoke (Secrets Manager VersionId, or archive number locally). Default: the current one'),
      reissue: z
        .boolean({ error: 'must be true or false' })
        .optional()
        .describe(
          'Once revoked, issue a new certificate with a new key right away (a RenewCertificate execution: a declared certificate as declared, ' +
            'any other with the revoked one\'s names and key type). Default: false',
        ),
      directoryUrl: z
        .string({ error: 'must be a string' })
        .meta({ format: 'uri' })
        .optional()
        .describe('ACME directory of the CA that issued it (one of the stack\'s directories). Default: the stack\'s default directory'),
    },
    { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field(s) ${escaped(issue.keys.join(', '))}` : 'must be a JSON object') },
  )
  .meta({
    title: 'RevokeCertificate input',
    description: 'Input of a certflow-RevokeCertificate execution (`certflow revoke`, or `aws stepfunctions start-execution`). Unknown fields are refused.',
  });

/**
 * A revoked version, as the store marks it: a JSON file beside the archive locally
 * (`revoked/<id>/<n>.json`), a tag `certflow:revoked:<VersionId>` on AWS. Public data only; the
 * version's material is never rewritten.
 */
export const RevocationMarkSchema = z.object({
  reason: RevocationReasonSchema,
  revokedAt: TimestampSchema,
});
export type RevocationMark = Readonly<z.output<typeof RevocationMarkSchema>>;
