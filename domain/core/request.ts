/**
 * Validation of a RenewCertificate request. Pure: the first state calls it before any
 * ACME or DNS traffic, and every rejection names the field or the name at fault.
 */
import { isIP } from 'node:net';
import { domainToASCII, domainToUnicode } from 'node:url';
import type { z } from 'zod';
import { fieldPath } from '../contracts/parse';
import { DEFAULT_ISSUER, DEFAULT_USAGES, MAX_NAMES, RenewCertificateInputSchema, USAGES, quoted, type KeystoreProfile, type RenewCertificateInput, type Usage } from '../contracts/request';
import { InvalidCertificateRequest } from './errors';
import type { ManagedCertificate, PrivateCaSettings } from '../contracts/settings';
import { lifetimeProblem } from './private-ca';
import { baseName, normalizeName, zoneFor, type HostedZone } from './dns-names';
import { DEFAULT_KEY_TYPE, type KeyType } from './key-types';

// The input's shape is a contract (domain/contracts/request.ts, schemas/renew-certificate-input.schema.json).
export { MAX_NAMES, type KeystoreProfile };
const MAX_NAME_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;
const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/** Stack-level defaults and limits the request is checked against. */
export interface RequestPolicy {
  readonly zones: readonly HostedZone[];
  readonly defaultDirectoryUrl: string;
  readonly defaultContact: readonly string[];
  /** EAB credentials used when a request names none (secret reference). */
  readonly defaultExternalAccountBinding?: string;
  /** The stack's secret prefix (`certflow/`): references must name a secret under `<prefix>eab/` or `<prefix>passwords/`. */
  readonly secretPrefix: string;
  /**
   * The ACME directories a request may name (the config's `acme.directories`, each with its trust
   * anchors). Absent: the default directory only. Any other is refused.
   */
  readonly allowedDirectories?: readonly string[];
  /**
   * The declared inventory (certflow.config.ts `certificates`). A request by id alone takes its
   * names and options from here; explicit fields must agree with the declaration. The stack
   * compiles it into ValidateRequest's and the scan's bundles (ADR 0005).
   */
  readonly certificates?: readonly ManagedCertificate[];
  /**
   * The profile an order names when its request names none (or the preferred one is not offered).
   * Absent: the order names none and the CA applies its default. The local default sets `classic`,
   * since Pebble picks a profile at random for an order without one.
   */
  readonly defaultAcmeProfile?: string;
  /**
   * The private issuer (config `privateCa`): its mode bounds a request's lifetime. Absent: a request
   * naming `issuer: privateCa` is refused.
   */
  readonly privateCa?: Pick<PrivateCaSettings, 'mode' | 'defaultLifetimeDays'>;
}

/** What a request may reference, each kind in its folder: `<prefix>passwords/` and `<prefix>eab/` (infra/iam.ts grants no other). */
export type SecretKind = 'passwords' | 'eab';
/** One `/`-separated segment of a secret name: Secrets Manager's characters, led by a letter or digit (so never `.` or `..`). */
const SECRET_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9_+=.@-]*$/;
/** Secrets Manager's limit for a name. */
const MAX_SECRET_NAME = 512;

/** How the keystores are written; the password itself never appears here. */
export interface KeystoreOptions {
  /** Entry alias, lowercase (Java lowercases aliases). Default: the certificate id. */
  readonly alias: string;
  /** PKCS#12 encryption: `legacy` (3DES/SHA-1, every JDK) or `modern` (AES-256/SHA-256). */
  readonly profile: KeystoreProfile;
  /** Take the keystore password from this secret (a name under `<prefix>passwords/`) instead of generating one. */
  readonly passwordSecretRef?: string;
  /** Generate a new password this time (otherwise the current one is kept). */
  readonly rotatePassword: boolean;
}

/** The ACME profile asked for: `required` refuses a CA that does not offer it, otherwise its default is used. */
export interface AcmeProfileChoice {
  readonly name: string;
  readonly required: boolean;
}

export interface CertificateRequest {
  readonly certificateId: string;
  /** Normalized (lowercase, no trailing dot), in request order, unique. */
  readonly names: string[];
  readonly keyType: KeyType;
  readonly directoryUrl: string;
  readonly contact: string[];
  readonly keystore: KeystoreOptions;
  /** The ACME profile asked for (ValidateRequest checks it against the directory's `meta.profiles`). */
  readonly acmeProfile?: AcmeProfileChoice;
  /** Extended key usages the issued leaf must carry (PackageAndStore refuses it otherwise), in declaration order. */
  readonly usages: readonly Usage[];
  /** Issuer CN of the topmost certificate of the chain to take when the CA offers several (certbot's --preferred-chain). */
  readonly preferredChain?: string;
  /** RFC 9773 certID of the certificate this order replaces (set by the scan when the CA offers ARI). */
  readonly replaces?: string;
  /** Secret name (under `<prefix>eab/`) of `{kid, hmacKey}`; the credentials never enter state. */
  readonly externalAccountBinding?: { readonly secretRef: string };
  /**
   * `privateCa`: the private path (IssuePrivate…), which the state machine's Choice takes; absent:
   * the ACME path (CreateOrder…), so an ACME request reads as it always did.
   */
  readonly issuer?: 'privateCa';
  /** privateCa only: the validity asked of the CA, in days. */
  readonly lifetimeDays?: number;
}

function reject(message: string): never {
  throw new InvalidCertificateRequest(message);
}

/**
 * The input, parsed with its schema; the first problem becomes the message, `<field>: <why>`.
 * Unknown fields are named first, as they are likely the reason for the rest.
 */
type ParsedInput = z.output<typeof RenewCertificateInputSchema>;

function parseInput(raw: unknown): ParsedInput {
  const result = RenewCertificateInputSchema.safeParse(raw);
  if (result.success) return result.data;
  const { issues } = result.error;
  const issue = issues.find((candidate) => candidate.code === 'unrecognized_keys' && candidate.path.length === 0) ?? issues[0]!;
  // The EAB rule is about the object as a whole: name it, not its secretRef (unless the reference itself is malformed).
  const path = issue.path[0] === 'externalAccountBinding' && issue.code !== 'invalid_format' ? ['externalAccountBinding'] : issue.path;
  reject(`${fieldPath(path) || 'request'}: ${issue.message}`);
}

/**
 * Why `ref` is not a plain secret name under `<prefix><kind>/`, or undefined if it is. Refused:
 * other prefixes and kinds, ARNs (even of a secret under the prefix: a name is resolved in the
 * stack's own account and region), empty, `.` and `..` segments, and any other character.
 */
export function secretRefProblem(ref: string, prefix: string, kind: SecretKind): string | undefined {
  const folder = `${prefix}${kind}/`;
  const refused = (why?: string) => `${quoted(ref)} must be a secret under ${folder}${why ? ` (${why})` : ''}`;
  if (/^arn:/i.test(ref)) return refused('a name, not an ARN');
  if (!ref.startsWith(folder)) return refused();
  if (ref.length > MAX_SECRET_NAME) return refused(`at most ${MAX_SECRET_NAME} characters`);
  const name = ref.slice(folder.length);
  if (name === '') return refused('a name after the folder');
  for (const segment of name.split('/')) {
    if (segment === '') return refused('no empty segment');
    if (segment === '.' || segment === '..') return refused("no '.' or '..' segment");
    if (!SECRET_SEGMENT.test(segment)) return refused('segments of letters, digits and _+=.@-, each led by a letter or digit');
  }
  return undefined;
}

function checkSecretRef(field: string, ref: string, prefix: string, kind: SecretKind): string {
  const problem = secretRefProblem(ref, prefix, kind);
  if (problem) reject(`${field}: ${problem}`);
  return ref;
}

/** Why `name` (already normalized) is not a valid DNS identifier, or undefined if it is. */
function nameProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name.length > MAX_NAME_LENGTH) return `is ${name.length} characters long (at most ${MAX_NAME_LENGTH})`;
  const labels = name.split('.');
  const wildcardAt = labels.findIndex((label) => label.includes('*'));
  if (wildcardAt > 0 || (wildcardAt === 0 && labels[0] !== '*')) {
    return 'has a wildcard that is not the whole leftmost label';
  }
  const rest = wildcardAt === 0 ? labels.slice(1) : labels;
  if (rest.length < 2) return 'is not a fully qualified domain name (needs at least two labels)';
  for (const label of rest) {
    if (label.length === 0) return 'has an empty label';
    if (label.length > MAX_LABEL_LENGTH) {
      return `has label '${label.slice(0, 20)}…' of ${label.length} characters (at most ${MAX_LABEL_LENGTH})`;
    }
    if (!LABEL.test(label)) {
      return `has invalid label ${quoted(label)} (letters, digits and inner hyphens only; IDNs as punycode)`;
    }
    if (label.startsWith('xn--') && !isALabel(label)) {
      return `has malformed A-label ${quoted(label)} (not the punycode of an internationalised label)`;
    }
  }
  return undefined;
}

/** `xn--…` (lowercase) decodes to a non-ASCII label that encodes back to exactly itself. */
function isALabel(label: string): boolean {
  const unicode = domainToUnicode(label);
  return unicode !== '' && !unicode.includes('.') && /[\u0080-\u{10ffff}]/u.test(unicode) && domainToASCII(unicode) === label;
}

/** An IPv4 or IPv6 address, possibly bracketed or with a trailing dot. */
function isIpAddress(value: string): boolean {
  const bare = value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value.endsWith('.') ? value.slice(0, -1) : value;
  return isIP(bare) !== 0;
}

/**
 * Why the name as given is refused before any normalisation, or undefined: surrounding
 * whitespace, an IP address, or a character outside ASCII (which lowercasing or NFKC could
 * turn into ASCII: the Kelvin sign U+212A becomes `k`). Internationalised names come as A-labels.
 */
function rawNameProblem(value: string): string | undefined {
  if (/^[\s\p{Cf}]|[\s\p{Cf}]$/u.test(value)) return 'has leading or trailing whitespace';
  if (isIpAddress(value)) return 'is an IP address: DNS-01 cannot validate IP addresses';
  const nonAscii = /[\u0080-\u{10ffff}]/u.exec(value);
  if (nonAscii) {
    const label = value.split('.').find((candidate) => candidate.includes(nonAscii[0])) ?? value;
    const code = nonAscii[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    return `has invalid label ${quoted(label)} (U+${code} is not ASCII; give internationalised names as A-labels, xn--…, IDNs as punycode)`;
  }
  return undefined;
}

/** Each name normalized and checked, in order; inside a hosted zone unless `zones` is undefined (a private CA's names). */
function validateNames(raw: readonly string[], zones: readonly HostedZone[] | undefined): string[] {
  const firstIndexOf = new Map<string, number>();
  return raw.map((value, index) => {
    const raw = rawNameProblem(value);
    if (raw) reject(`names[${index}]: ${quoted(value)} ${raw}`);
    const name = normalizeName(value);
    const problem = nameProblem(name);
    if (problem) reject(`names[${index}]: ${quoted(value)} ${problem}`);
    const earlier = firstIndexOf.get(name);
    if (earlier !== undefined) {
      reject(`names[${index}]: ${quoted(value)} duplicates names[${earlier}] (${quoted(name)} after normalization)`);
    }
    firstIndexOf.set(name, index);
    if (zones && !zoneFor(name, zones)) {
      const known = zones.map((zone) => zone.name).join(', ') || 'none';
      reject(`names[${index}]: ${quoted(baseName(name))} is outside every configured hosted zone (zones: ${known})`);
    }
    return name;
  });
}

function keystoreOptions(input: RenewCertificateInput['keystore'], certificateId: string, secretPrefix: string): KeystoreOptions {
  const { alias = certificateId, profile = 'legacy', passwordSecretRef, rotatePassword = false } = input ?? {};
  if (passwordSecretRef !== undefined) checkSecretRef('keystore.passwordSecretRef', passwordSecretRef, secretPrefix, 'passwords');
  return { alias: alias.toLowerCase(), profile, rotatePassword, ...(passwordSecretRef !== undefined ? { passwordSecretRef } : {}) };
}

/** Usages in one order (USAGES'), so a request and its declaration compare and print alike. */
const orderedUsages = (usages: readonly Usage[]): Usage[] => USAGES.filter((usage) => usages.includes(usage));

/** The request's EAB reference, else the stack default: either must sit under `<prefix>eab/`. */
function externalAccountBinding(given: { secretRef: string } | undefined, policy: RequestPolicy): { secretRef: string } | undefined {
  if (given) return { secretRef: checkSecretRef('externalAccountBinding.secretRef', given.secretRef, policy.secretPrefix, 'eab') };
  const fallback = policy.defaultExternalAccountBinding;
  return fallback ? { secretRef: checkSecretRef('externalAccountBinding (the stack default)', fallback, policy.secretPrefix, 'eab') } : undefined;
}

/** A directory URL as URL parsing writes it (`https://Host:443/dir` → `https://host/dir`), for comparing; undefined if it is not a URL. */
export function normalizeDirectoryUrl(raw: string): string | undefined {
  try {
    return new URL(raw).toString();
  } catch {
    return undefined;
  }
}

/** The directories a request may name, normalized: the policy's list, else the default alone. */
function allowedDirectoriesOf(policy: Pick<RequestPolicy, 'allowedDirectories' | 'defaultDirectoryUrl'>): string[] {
  return (policy.allowedDirectories ?? [policy.defaultDirectoryUrl]).map((url) => normalizeDirectoryUrl(url) ?? url);
}

/** The request's directory (normalized), else the stack default: either must be an allowed one (InvalidCertificateRequest otherwise). */
export function validateDirectoryUrl(raw: string | undefined, policy: Pick<RequestPolicy, 'allowedDirectories' | 'defaultDirectoryUrl'>): string {
  const allowed = allowedDirectoriesOf(policy);
  const notAllowed = (what: string) => reject(`${what} is not an allowed ACME directory (allowed: ${allowed.join(', ') || 'none'})`);
  if (raw === undefined) {
    const fallback = normalizeDirectoryUrl(policy.defaultDirectoryUrl) ?? policy.defaultDirectoryUrl;
    if (!allowed.includes(fallback)) notAllowed(`directoryUrl (the stack default) ${quoted(policy.defaultDirectoryUrl)}`);
    return policy.defaultDirectoryUrl;
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    reject(`directoryUrl: ${quoted(raw)} is not a valid URL`);
  }
  if (url.protocol !== 'https:') reject(`directoryUrl: ${quoted(raw)} must use https (RFC 8555 §6.1)`);
  if (!allowed.includes(url.toString())) notAllowed(`directoryUrl: ${quoted(raw)}`);
  return url.toString();
}

/** How many declared ids a refusal lists before it says "…". */
const LISTED_IDS = 10;

function declaredIdsText(declared: readonly ManagedCertificate[]): string {
  if (declared.length === 0) return 'none';
  const ids = declared.slice(0, LISTED_IDS).map((certificate) => certificate.id);
  return `${ids.join(', ')}${declared.length > LISTED_IDS ? `, … (${declared.length} in all)` : ''}`;
}

const sameSet = (a: readonly string[], b: readonly string[]) => {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((item) => right.has(item));
};
const sameNames = (a: readonly string[], b: readonly string[]) => sameSet(a.map(normalizeName), b.map(normalizeName));

/**
 * A request as its declaration completes it (pure). Declared id: omitted names, key type and
 * keystore fields come from the declaration; a given one must agree with it (names as a set,
 * after normalization), or the request is refused, since the next scan would reissue what the
 * declaration says (usages as a set). `rotatePassword`, `directoryUrl`, `contact`, `replaces` and
 * `externalAccountBinding` are not part of a declaration and pass as given. Undeclared id: the
 * names are required.
 */
function resolveDeclared(input: ParsedInput, declared: readonly ManagedCertificate[] = []): ParsedInput & { readonly names: string[] } {
  const { certificateId } = input;
  const declaration = declared.find((certificate) => certificate.id === certificateId);
  if (!declaration) {
    if (input.names === undefined) {
      reject(`names: required, as ${quoted(certificateId)} is not a declared certificate (declared in certflow.config.ts: ${declaredIdsText(declared)})`);
    }
    return { ...input, names: input.names };
  }
  const disagree = (field: string, given: unknown, wanted: unknown): never =>
    reject(
      `${field}: ${quoted(Array.isArray(given) ? given.join(', ') : given)} differs from the declaration of ${quoted(certificateId)} (${quoted(Array.isArray(wanted) ? wanted.join(', ') : wanted)}): ` +
        'the next scan would reissue it as declared; omit the field or change certflow.config.ts',
    );
  if (input.names !== undefined && !sameNames(input.names, declaration.names)) disagree('names', input.names, declaration.names);
  const keyType = declaration.keyType ?? DEFAULT_KEY_TYPE;
  if (input.keyType !== undefined && input.keyType !== keyType) disagree('keyType', input.keyType, keyType);

  for (const field of ['profile', 'preferredProfile'] as const) {
    if (input[field] !== undefined && input[field] !== declaration[field]) disagree(field, input[field], declaration[field] ?? '(none)');
  }
  const usages = declaration.usages ?? DEFAULT_USAGES;
  if (input.usages !== undefined && !sameSet(input.usages, usages)) disagree('usages', input.usages, usages);
  const preferredChain = declaration.preferredChain;
  if (input.preferredChain !== undefined && input.preferredChain !== preferredChain) disagree('preferredChain', input.preferredChain, preferredChain ?? '(the CA\'s default chain)');

  const issuer = declaration.issuer ?? DEFAULT_ISSUER;
  if (input.issuer !== undefined && input.issuer !== issuer) disagree('issuer', input.issuer, issuer);
  if (input.lifetimeDays !== undefined && input.lifetimeDays !== declaration.lifetimeDays) disagree('lifetimeDays', input.lifetimeDays, declaration.lifetimeDays ?? '(the default lifetime)');

  const given = input.keystore ?? {};
  const wanted = declaration.keystore ?? {};
  const alias = (wanted.alias ?? certificateId).toLowerCase();
  if (given.alias !== undefined && given.alias.toLowerCase() !== alias) disagree('keystore.alias', given.alias, alias);
  const profile = wanted.profile ?? 'legacy';
  if (given.profile !== undefined && given.profile !== profile) disagree('keystore.profile', given.profile, profile);
  if (given.passwordSecretRef !== wanted.passwordSecretRef && given.passwordSecretRef !== undefined) {
    disagree('keystore.passwordSecretRef', given.passwordSecretRef, wanted.passwordSecretRef ?? '(a generated password)');
  }
  if (given.rotatePassword === true && wanted.passwordSecretRef !== undefined) {
    reject(`keystore.rotatePassword: ${quoted(certificateId)} is declared with keystore.passwordSecretRef: its password is rotated in that secret, not generated`);
  }
  const keystore = {
    ...wanted,
    ...(given.rotatePassword !== undefined ? { rotatePassword: given.rotatePassword } : {}),
  };
  return {
    ...input,
    names: input.names ?? [...declaration.names],
    keyType,
    ...(declaration.profile !== undefined ? { profile: declaration.profile } : {}),
    ...(declaration.preferredProfile !== undefined ? { preferredProfile: declaration.preferredProfile } : {}),
    usages: [...usages],
    ...(preferredChain !== undefined ? { preferredChain } : {}),
    ...(declaration.issuer !== undefined ? { issuer: declaration.issuer } : {}),
    ...(declaration.lifetimeDays !== undefined ? { lifetimeDays: declaration.lifetimeDays } : {}),
    ...(Object.keys(keystore).length > 0 ? { keystore } : {}),
  };
}

/** `profile` (required) or `preferredProfile`, else the stack's default profile as a preference. */
function acmeProfileChoice(input: Pick<ParsedInput, 'profile' | 'preferredProfile'>, fallback: string | undefined): { acmeProfile?: AcmeProfileChoice } {
  if (input.profile !== undefined && input.preferredProfile !== undefined) reject('profile and preferredProfile exclude each other');
  if (input.profile !== undefined) return { acmeProfile: { name: input.profile, required: true } };
  const preferred = input.preferredProfile ?? fallback;
  return preferred === undefined ? {} : { acmeProfile: { name: preferred, required: false } };
}

/**
 * The profile the order names, given what the directory offers (`meta.profiles`; absent: a CA
 * without profiles). A required profile the CA lacks is refused, naming the ones it offers; a
 * preferred one falls back to `stackDefault` when offered, else to the CA's own default (no
 * profile named), with `warning` set.
 */
export function resolveAcmeProfile(
  choice: AcmeProfileChoice | undefined,
  offered: readonly string[] | undefined,
  stackDefault?: string,
): { readonly profile?: string; readonly warning?: string } {
  if (!choice) return {};
  if (offered?.includes(choice.name)) return { profile: choice.name };
  const offers = offered && offered.length > 0 ? `offers ${offered.join(', ')}` : 'offers no profiles';
  if (choice.required) reject(`profile: ${quoted(choice.name)} is not offered by the CA (it ${offers})`);
  const fallback = stackDefault !== undefined && offered?.includes(stackDefault) ? stackDefault : undefined;
  const instead = fallback ? `the default profile ${quoted(fallback)}` : "the CA's default";
  return { ...(fallback ? { profile: fallback } : {}), warning: `preferred profile ${quoted(choice.name)} is not offered by the CA (it ${offers}): ordering with ${instead}` };
}

export function validateCertificateRequest(raw: unknown, policy: RequestPolicy): CertificateRequest {
  // Step Functions adds AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID when a parent execution (the scan) starts this one.
  const input = resolveDeclared(parseInput(raw), policy.certificates);
  const { certificateId } = input;
  const issuer = input.issuer ?? DEFAULT_ISSUER;
  const privateCa = issuer === 'privateCa' ? privateIssuance(input, policy) : undefined;
  if (!privateCa && input.lifetimeDays !== undefined) reject("lifetimeDays: issuer privateCa only (an ACME certificate's lifetime comes from its profile)");
  const request: CertificateRequest = {
    certificateId,
    // A private CA validates nothing over DNS: its names need no hosted zone.
    names: validateNames(input.names, privateCa ? undefined : policy.zones),
    keyType: input.keyType ?? DEFAULT_KEY_TYPE,
    directoryUrl: validateDirectoryUrl(input.directoryUrl, policy),
    contact: input.contact ?? [...policy.defaultContact],
    keystore: keystoreOptions(input.keystore, certificateId, policy.secretPrefix),
    ...(privateCa ? {} : acmeProfileChoice(input, policy.defaultAcmeProfile)),
    usages: orderedUsages(input.usages ?? DEFAULT_USAGES),
    ...(input.preferredChain !== undefined ? { preferredChain: input.preferredChain } : {}),
    ...(input.replaces !== undefined ? { replaces: input.replaces } : {}),
    ...(privateCa ? { issuer: 'privateCa' as const, ...privateCa } : {}),
  };

  const eab = externalAccountBinding(input.externalAccountBinding, policy);
  return eab ? { ...request, externalAccountBinding: eab } : request;
}

/**
 * A private issuance's own fields: the lifetime (the CA's default when none is named), within what
 * the CA's mode can issue. ACME-only fields are refused, as is a stack without a private CA; an
 * ACME request naming a lifetime is refused too (its lifetime comes from the CA's profile).
 */
function privateIssuance(input: ParsedInput, policy: RequestPolicy): { lifetimeDays: number } {
  const ca = policy.privateCa;
  if (!ca) reject('issuer: privateCa is not configured for this stack (config privateCa: the CA\'s ARN, its mode and its trust anchors)');
  for (const field of ['profile', 'preferredProfile', 'preferredChain', 'replaces', 'externalAccountBinding'] as const) {
    if (input[field] !== undefined) reject(`${field}: an ACME field; issuer privateCa takes none`);
  }
  const lifetimeDays = input.lifetimeDays ?? ca.defaultLifetimeDays;
  const problem = lifetimeProblem(lifetimeDays, ca.mode);
  if (problem) reject(`lifetimeDays: ${problem}`);
  return { lifetimeDays };
}
