/**
 * Validation of a RenewCertificate request. Pure: the first state calls it before any
 * ACME or DNS traffic, and every rejection names the field or the name at fault.
 */
import { InvalidCertificateRequest } from './errors';
import { baseName, normalizeName, zoneFor, type HostedZone } from './dns-names';
import { DEFAULT_KEY_TYPE, KEY_TYPES, isKeyType, type KeyType } from './key-types';

export const MAX_NAMES = 100;
const MAX_NAME_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;
const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const CERTIFICATE_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const SECRET_REF = /^[A-Za-z0-9/_+=.@:-]{1,2048}$/;

/** Stack-level defaults and limits the request is checked against. */
export interface RequestPolicy {
  readonly zones: readonly HostedZone[];
  readonly defaultDirectoryUrl: string;
  readonly defaultContact: readonly string[];
  /** EAB credentials used when a request names none (secret reference). */
  readonly defaultExternalAccountBinding?: string;
}

export const PKCS12_PROFILES = ['legacy', 'modern'] as const;
export type KeystoreProfile = (typeof PKCS12_PROFILES)[number];

/** How the keystores are written; the password itself never appears here. */
export interface KeystoreOptions {
  /** Entry alias, lowercase (Java lowercases aliases). Default: the certificate id. */
  readonly alias: string;
  /** PKCS#12 encryption: `legacy` (3DES/SHA-1, every JDK) or `modern` (AES-256/SHA-256). */
  readonly profile: KeystoreProfile;
  /** Take the keystore password from this secret instead of generating one. */
  readonly passwordSecretRef?: string;
  /** Generate a new password this time (otherwise the current one is kept). */
  readonly rotatePassword: boolean;
}

export interface CertificateRequest {
  readonly certificateId: string;
  /** Normalized (lowercase, no trailing dot), in request order, unique. */
  readonly names: string[];
  readonly keyType: KeyType;
  readonly directoryUrl: string;
  readonly contact: string[];
  readonly keystore: KeystoreOptions;
  /** RFC 9773 certID of the certificate this order replaces (set by the scan when the CA offers ARI). */
  readonly replaces?: string;
  /** Reference (secret name/ARN) to `{kid, hmacKey}`; the credentials never enter state. */
  readonly externalAccountBinding?: { readonly secretRef: string };
}

function reject(message: string): never {
  throw new InvalidCertificateRequest(message);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Why `name` (already normalized) is not a valid DNS identifier, or undefined if it is. */
export function nameProblem(name: string): string | undefined {
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
      return `has invalid label '${label}' (letters, digits and inner hyphens only; IDNs as punycode)`;
    }
  }
  return undefined;
}

function validateNames(raw: unknown, zones: readonly HostedZone[]): string[] {
  if (!Array.isArray(raw)) reject('names: must be a list of domain names');
  if (raw.length === 0) reject('names: at least one name is required');
  if (raw.length > MAX_NAMES) reject(`names: ${raw.length} names given, at most ${MAX_NAMES} per certificate`);

  const firstIndexOf = new Map<string, number>();
  return raw.map((value, index) => {
    if (typeof value !== 'string') reject(`names[${index}]: must be a string`);
    const name = normalizeName(value.trim());
    const problem = nameProblem(name);
    if (problem) reject(`names[${index}]: '${value}' ${problem}`);
    const earlier = firstIndexOf.get(name);
    if (earlier !== undefined) {
      reject(`names[${index}]: '${value}' duplicates names[${earlier}] ('${name}' after normalization)`);
    }
    firstIndexOf.set(name, index);
    if (!zoneFor(name, zones)) {
      const known = zones.map((zone) => zone.name).join(', ') || 'none';
      reject(`names[${index}]: '${baseName(name)}' is outside every configured hosted zone (zones: ${known})`);
    }
    return name;
  });
}

const ALIAS = /^[a-z0-9][a-z0-9._-]{0,63}$/;

function validateKeystore(raw: unknown, certificateId: string): KeystoreOptions {
  if (raw === undefined) return { alias: certificateId, profile: 'legacy', rotatePassword: false };
  if (!isRecord(raw)) reject('keystore: must be an object');
  const unknown = Object.keys(raw).filter((key) => !['alias', 'profile', 'passwordSecretRef', 'rotatePassword'].includes(key));
  if (unknown.length > 0) reject(`keystore: unknown field(s) ${unknown.join(', ')} (passwords are given by reference only)`);
  const alias = raw.alias === undefined ? certificateId : raw.alias;
  if (typeof alias !== 'string' || !ALIAS.test(alias.toLowerCase())) {
    reject(`keystore.alias: '${String(alias)}' must be 1–64 of a-z 0-9 . _ - starting with a letter or digit`);
  }
  const profile = raw.profile ?? 'legacy';
  if (!(PKCS12_PROFILES as readonly unknown[]).includes(profile)) {
    reject(`keystore.profile: unknown profile '${String(profile)}' (one of ${PKCS12_PROFILES.join(', ')})`);
  }
  const ref = raw.passwordSecretRef;
  if (ref !== undefined && (typeof ref !== 'string' || !SECRET_REF.test(ref))) reject('keystore.passwordSecretRef: must be a secret name or ARN');
  if (raw.rotatePassword !== undefined && typeof raw.rotatePassword !== 'boolean') reject('keystore.rotatePassword: must be true or false');
  if (ref !== undefined && raw.rotatePassword === true) reject('keystore: rotatePassword and passwordSecretRef exclude each other');
  return {
    alias: alias.toLowerCase(),
    profile: profile as KeystoreProfile,
    rotatePassword: raw.rotatePassword === true,
    ...(ref !== undefined ? { passwordSecretRef: ref as string } : {}),
  };
}

const ARI_CERT_ID = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

function validateReplaces(raw: unknown): { replaces?: string } {
  if (raw === undefined) return {};
  if (typeof raw !== 'string' || raw.length > 512 || !ARI_CERT_ID.test(raw)) reject(`replaces: '${String(raw)}' is not an RFC 9773 certificate identifier`);
  return { replaces: raw };
}

function validateDirectoryUrl(raw: unknown, fallback: string): string {
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string') reject('directoryUrl: must be a string');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    reject(`directoryUrl: '${raw}' is not a valid URL`);
  }
  if (url.protocol !== 'https:') reject(`directoryUrl: '${raw}' must use https (RFC 8555 §6.1)`);
  return url.toString();
}

function validateContact(raw: unknown, fallback: readonly string[]): string[] {
  if (raw === undefined) return [...fallback];
  if (!Array.isArray(raw)) reject('contact: must be a list of mailto: URIs');
  return raw.map((entry, index) => {
    if (typeof entry !== 'string' || !/^mailto:[^@\s]+@[^@\s]+\.[^@\s]+$/.test(entry)) {
      reject(`contact[${index}]: '${String(entry)}' is not a mailto: URI`);
    }
    return entry;
  });
}

export function validateCertificateRequest(raw: unknown, policy: RequestPolicy): CertificateRequest {
  if (!isRecord(raw)) reject('request: must be a JSON object');
  // Step Functions adds this when a parent execution (the scheduled scan) starts this one.
  const { AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: _parent, ...input } = raw;
  const known = new Set(['certificateId', 'names', 'keyType', 'directoryUrl', 'contact', 'keystore', 'replaces', 'externalAccountBinding']);
  const unknown = Object.keys(input).filter((key) => !known.has(key));
  if (unknown.length > 0) reject(`request: unknown field(s) ${unknown.join(', ')}`);

  const { certificateId } = input;
  if (typeof certificateId !== 'string' || !CERTIFICATE_ID.test(certificateId)) {
    reject(`certificateId: '${String(certificateId)}' must be 1–64 of a-z 0-9 . _ - starting with a letter or digit`);
  }

  const names = validateNames(input.names, policy.zones);

  const keyType = input.keyType ?? DEFAULT_KEY_TYPE;
  if (!isKeyType(keyType)) reject(`keyType: unknown key type '${String(keyType)}' (one of ${KEY_TYPES.join(', ')})`);

  const request: CertificateRequest = {
    certificateId,
    names,
    keyType,
    directoryUrl: validateDirectoryUrl(input.directoryUrl, policy.defaultDirectoryUrl),
    contact: validateContact(input.contact, policy.defaultContact),
    keystore: validateKeystore(input.keystore, certificateId),
    ...validateReplaces(input.replaces),
  };

  const eab = input.externalAccountBinding;
  if (eab === undefined) {
    const fallback = policy.defaultExternalAccountBinding;
    return fallback ? { ...request, externalAccountBinding: { secretRef: fallback } } : request;
  }
  if (!isRecord(eab) || typeof eab.secretRef !== 'string' || !SECRET_REF.test(eab.secretRef)) {
    reject('externalAccountBinding: must be { "secretRef": "<secret name or ARN>" } (credentials by reference only)');
  }
  return { ...request, externalAccountBinding: { secretRef: eab.secretRef } };
}
