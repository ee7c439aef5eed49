/**
 * The input of a RenewCertificate execution (manual, or one item of the scheduled scan's Map):
 * its shape, field by field, with the messages the first state answers. What depends on the
 * stack (hosted zones, default directory, contact, EAB) and the checks of each DNS name after
 * normalization stay in domain/core/request.ts, which parses with this schema first.
 */
import { z } from 'zod';
import { KEY_TYPES } from '../core/key-types';
import { CERTIFICATE_ID, CERTIFICATE_ID_RULE } from './ids';

export const MAX_NAMES = 100;
const PKCS12_PROFILES = ['legacy', 'modern'] as const;
export type KeystoreProfile = (typeof PKCS12_PROFILES)[number];

/**
 * A secret reference's characters: credentials and passwords are given by reference only. Which
 * names are allowed depends on the stack (a plain name under `<secretPrefix>eab/` or
 * `<secretPrefix>passwords/`): domain/core/request.ts checks that, and refuses ARNs by name.
 */
const SECRET_REF = /^[A-Za-z0-9/_+=.@:-]{1,2048}$/;
const SECRET_RULE = 'must be a secret name';
/** An alias follows the id's rules (the default alias is the id); it is lowercased, as Java does. */
const ALIAS = new RegExp(CERTIFICATE_ID.source.replaceAll('a-z', 'A-Za-z'));
const ARI_CERT_ID = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const MAILTO = /^mailto:[^@\s]+@[^@\s]+\.[^@\s]+$/;
/** An ACME profile name as a directory's `meta.profiles` keys them (draft-ietf-acme-profiles: a short token). */
const ACME_PROFILE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ACME_PROFILE_RULE = 'must be an ACME profile name (letters, digits, . _ -; at most 64)';

/** The ACME profile fields a request (and a certificate of the config) may set: one of the two. */
export const AcmeProfileFields = {
  profile: z
    .string({ error: ACME_PROFILE_RULE })
    .regex(ACME_PROFILE, { error: (issue) => `${quoted(issue.input)} ${ACME_PROFILE_RULE}` })
    .optional()
    .describe("ACME profile the order must carry (e.g. Let's Encrypt's classic, tlsserver, shortlived): refused when the CA does not offer it"),
  preferredProfile: z
    .string({ error: ACME_PROFILE_RULE })
    .regex(ACME_PROFILE, { error: (issue) => `${quoted(issue.input)} ${ACME_PROFILE_RULE}` })
    .optional()
    .describe("ACME profile to use when the CA offers it; otherwise the CA's default, with a warning (certbot's --preferred-profile). Excludes profile"),
};

/** Longest part of a rejected value a message repeats: a 1 MB value gives a short message. */
const MAX_QUOTED = 64;

/**
 * A rejected value as a message shows it: at most MAX_QUOTED characters then `…`, with control,
 * format and non-space separator characters (NUL, newline, NBSP, BOM, U+2028…) as `\uXXXX`.
 */
export function escaped(input: unknown): string {
  const text = String(input);
  let out = '';
  let count = 0;
  for (const char of text) {
    if (count === MAX_QUOTED) return `${out}…`;
    const code = char.codePointAt(0)!;
    out += char === '\\' ? '\\\\' : char !== ' ' && /[\p{C}\p{Z}]/u.test(char) ? `\\u${code.toString(16).padStart(4, '0')}` : char;
    count += 1;
  }
  return out;
}

/** `'<input>'`, escaped and shortened, as the messages quote a rejected value. */
export const quoted = (input: unknown) => `'${escaped(input)}'`;

/**
 * The extended key usages (RFC 5280 §4.2.1.12) a certificate may declare: PackageAndStore refuses
 * an issued leaf that lacks one. Let's Encrypt issues serverAuth only since 2026 (docs/chains-and-usages.md).
 */
export const USAGES = ['serverAuth', 'clientAuth'] as const;
export type Usage = (typeof USAGES)[number];
export const DEFAULT_USAGES: readonly Usage[] = ['serverAuth'];

/** The usages field, for a request and a declaration alike: a non-empty list without repeats. */
export const UsagesSchema = z
  .array(z.enum(USAGES, { error: (issue) => `unknown usage ${quoted(issue.input)} (one of ${USAGES.join(', ')})` }), { error: `must be a list of usages (${USAGES.join(', ')})` })
  .min(1, { error: 'at least one usage is required' })
  .refine((usages) => new Set(usages).size === usages.length, { error: 'each usage at most once' })
  .describe(`Extended key usages the issued certificate must carry (${USAGES.join(', ')}); a certificate without one is refused and nothing is stored. Default: serverAuth`);

/**
 * Who issues the certificate: `acme` (an ACME CA over DNS-01, public names) or `privateCa` (the
 * stack's private CA: AWS Private CA on AWS, a local CA under CERTFLOW_HOME on the embedded default;
 * broker-to-broker identities with clientAuth, docs/private-ca.md).
 */
const ISSUERS = ['acme', 'privateCa'] as const;
export type IssuerKind = (typeof ISSUERS)[number];
export const DEFAULT_ISSUER: IssuerKind = 'acme';

/** The issuer field, for a request and a declaration alike. */
export const IssuerSchema = z
  .enum(ISSUERS, { error: (issue) => `unknown issuer ${quoted(issue.input)} (one of ${ISSUERS.join(', ')})` })
  .describe('acme (an ACME CA, DNS-01: public names) or privateCa (the stack\'s private CA: broker-to-broker identities, clientAuth). Default: acme');

/** The longest lifetime a request may name; a CA's mode may allow less (SHORT_LIVED_CERTIFICATE: 7 days). */
const MAX_LIFETIME_DAYS = 825;
const LIFETIME_RULE = `must be a whole number of days between 1 and ${MAX_LIFETIME_DAYS}`;

/** The lifetimeDays field (privateCa only: an ACME CA's lifetime comes from its profile). */
export const LifetimeDaysSchema = z
  .number({ error: LIFETIME_RULE })
  .int({ error: LIFETIME_RULE })
  .min(1, { error: LIFETIME_RULE })
  .max(MAX_LIFETIME_DAYS, { error: LIFETIME_RULE })
  .describe("privateCa only: the certificate's validity in days (the CA's Validity). Default: the config's privateCa.defaultLifetimeDays; at most 7 from a CA in SHORT_LIVED_CERTIFICATE mode");

/** An issuer common name as certbot's `--preferred-chain` takes it: printable, no surrounding spaces. */
const ISSUER_CN = /^[^\s\p{C}](?:[^\p{C}]{0,62}[^\s\p{C}])?$/u;
const ISSUER_CN_RULE = 'must be an issuer common name (1–64 printable characters, no leading or trailing space)';

/** The preferredChain field, for a request and a declaration alike. */
export const PreferredChainSchema = z
  .string({ error: ISSUER_CN_RULE })
  .regex(ISSUER_CN, { error: (issue) => `${quoted(issue.input)} ${ISSUER_CN_RULE}` })
  .describe(
    "Of the chains the CA offers, take the one whose topmost certificate's issuer has this common name (certbot's --preferred-chain), e.g. 'ISRG Root X1'; " +
      "none matching: the CA's default chain. Either way the chain must lead to one of the directory's trust anchors",
  );

const EAB_RULE = 'must be { "secretRef": "<secret name>" } (credentials by reference only)';

/** The keystore fields a request (and a certificate of the config) may set. */
export const KeystoreFieldsSchema = z.strictObject(
  {
    alias: z
      .string({ error: (issue) => `${quoted(issue.input)} must be ${CERTIFICATE_ID_RULE}` })
      .regex(ALIAS, { error: (issue) => `${quoted(issue.input)} must be ${CERTIFICATE_ID_RULE}` })
      .optional()
      .describe('Entry alias, lowercased (Java lowercases aliases). Default: the certificate id'),
    profile: z
      .enum(PKCS12_PROFILES, { error: (issue) => `unknown profile ${quoted(issue.input)} (one of ${PKCS12_PROFILES.join(', ')})` })
      .optional()
      .describe('PKCS#12 encryption: legacy (3DES/SHA-1, every JDK, the default) or modern (AES-256/SHA-256)'),
    passwordSecretRef: z
      .string({ error: SECRET_RULE })
      .regex(SECRET_REF, { error: (issue) => `${quoted(issue.input)} ${SECRET_RULE}` })
      .optional()
      .describe('Take the keystore password from this secret instead of generating one'),
    rotatePassword: z.boolean({ error: 'must be true or false' }).optional().describe('Generate a new password this time (otherwise the current one is kept)'),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? `unknown field(s) ${escaped(issue.keys.join(', '))} (passwords are given by reference only)` : 'must be an object',
  },
);

const KeystoreInputSchema = KeystoreFieldsSchema.refine((keystore) => !(keystore.passwordSecretRef !== undefined && keystore.rotatePassword === true), {
  error: 'rotatePassword and passwordSecretRef exclude each other',
});

export const RenewCertificateInputSchema = z
  .strictObject(
    {
      certificateId: z
        .string({ error: (issue) => `${quoted(issue.input)} must be ${CERTIFICATE_ID_RULE}` })
        .regex(CERTIFICATE_ID, { error: (issue) => `${quoted(issue.input)} must be ${CERTIFICATE_ID_RULE}` })
        .describe(
          'The certificate\'s id in the store (lowercase letters, digits, . _ -). A declared id (certflow.config.ts `certificates`) alone renews it as declared: ' +
            'omitted names, keyType and keystore fields are taken from the declaration, and given ones must agree with it',
        ),
      names: z
        .array(z.string({ error: 'must be a string' }), { error: 'must be a list of domain names' })
        .min(1, { error: 'at least one name is required' })
        .max(MAX_NAMES, { error: (issue) => `${(issue.input as unknown[]).length} names given, at most ${MAX_NAMES} per certificate` })
        .describe(
          'DNS names: lowercased, trailing dot dropped, no duplicates after that; LDH labels ≤ 63, name ≤ 253, IDNs as punycode; ' +
            'a wildcard only as the whole leftmost label; each inside a configured hosted zone. ' +
            'Optional for a declared certificate (the declared names; given, they must be the same set); required otherwise',
        )
        .optional(),
      keyType: z
        .enum(KEY_TYPES, { error: (issue) => `unknown key type ${quoted(issue.input)} (one of ${KEY_TYPES.join(', ')})` })
        .optional()
        .describe('Key type of the new key. Default: the declaration\'s, else ec-p256'),
      ...AcmeProfileFields,
      directoryUrl: z.string({ error: 'must be a string' }).meta({ format: 'uri' }).optional().describe('ACME directory, https (RFC 8555 §6.1); default from the stack config'),
      contact: z
        .array(
          z
            .string({ error: (issue) => `${quoted(issue.input)} is not a mailto: URI` })
            .regex(MAILTO, { error: (issue) => `${quoted(issue.input)} is not a mailto: URI` }),
          { error: 'must be a list of mailto: URIs' },
        )
        .optional()
        .describe('ACME account contact (mailto: URIs). Default from the stack config'),
      usages: UsagesSchema.optional(),
      preferredChain: PreferredChainSchema.optional(),
      issuer: IssuerSchema.optional(),
      lifetimeDays: LifetimeDaysSchema.optional(),
      keystore: KeystoreInputSchema.optional().describe('How the JKS and PKCS#12 keystores are written; passwords by reference only. Default: the declaration\'s'),
      replaces: z
        .string({ error: (issue) => `${quoted(issue.input)} is not an RFC 9773 certificate identifier` })
        .max(512, { error: (issue) => `${quoted(issue.input)} is not an RFC 9773 certificate identifier` })
        .regex(ARI_CERT_ID, { error: (issue) => `${quoted(issue.input)} is not an RFC 9773 certificate identifier` })
        .optional()
        .describe('RFC 9773 certID of the certificate this order replaces (set by the scan when the CA offers ARI)'),
      externalAccountBinding: z
        .strictObject(
          {
            secretRef: z
              .string({ error: EAB_RULE })
              .regex(SECRET_REF, { error: (issue) => `${quoted(issue.input)} ${SECRET_RULE}` })
              .describe('Name of a secret under <secretPrefix>eab/ (not an ARN)'),
          },
          { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field(s) ${escaped(issue.keys.join(', '))}; ${EAB_RULE}` : EAB_RULE) },
        )
        .optional()
        .describe('The secret holds {"kid","hmacKey"}; default from the stack config'),
      AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: z.string().optional().describe('Added by Step Functions when a parent execution (the scheduled scan) starts this one'),
    },
    { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field(s) ${escaped(issue.keys.join(', '))}` : 'must be a JSON object') },
  )
  .meta({
    title: 'RenewCertificate input',
    description: 'Input of a RenewCertificate execution. Unknown fields are rejected; secrets are given by reference only.',
  });

export type RenewCertificateInput = z.input<typeof RenewCertificateInputSchema>;
