/**
 * Revocation, the pure part: the RevokeCertificate input checked against the stack's policy, and
 * what a reissue asks RenewCertificate for. The first state calls `validateRevocationRequest`
 * before any store or ACME call.
 */
import { parseContract } from '../contracts/parse';
import {
  DEFAULT_REVOCATION_REASON,
  REVOCATION_REASONS,
  RevokeCertificateInputSchema,
  type RevocationReason,
} from '../contracts/revocation';
import type { ManagedCertificate } from '../contracts/settings';
import type { CertificateMetadata } from './certificate';
import { InvalidCertificateRequest } from './errors';
import { validateDirectoryUrl, type RequestPolicy } from './request';

export { REVOCATION_REASONS };

/** RFC 8555 §6.7: the CA's answer to a revocation of a certificate it has revoked already. */
export const ALREADY_REVOKED = 'urn:ietf:params:acme:error:alreadyRevoked';

/** A RevokeCertificate request as the first state leaves it in `$.revocation`. */
export interface RevocationRequest {
  readonly certificateId: string;
  readonly reason: RevocationReason;
  /** RFC 5280 §5.3.1 CRLReason code of `reason`. */
  readonly reasonCode: number;
  /** The stored version to revoke; absent: the current one. */
  readonly version?: string;
  readonly reissue: boolean;
  /** Normalized; one of the stack's allowed directories. */
  readonly directoryUrl: string;
}

export function validateRevocationRequest(input: unknown, policy: Pick<RequestPolicy, 'allowedDirectories' | 'defaultDirectoryUrl'>): RevocationRequest {
  const parsed = parseContract(RevokeCertificateInputSchema, input, (message) => new InvalidCertificateRequest(message), { name: 'the input' });
  const reason = parsed.reason ?? DEFAULT_REVOCATION_REASON;
  return {
    certificateId: parsed.certificateId,
    reason,
    reasonCode: REVOCATION_REASONS[reason],
    ...(parsed.version !== undefined ? { version: parsed.version } : {}),
    reissue: parsed.reissue ?? false,
    directoryUrl: validateDirectoryUrl(parsed.directoryUrl, policy),
  };
}

/** The RenewCertificate input of a reissue: its fields are the public ones a request accepts. */
export interface ReissueInput {
  readonly certificateId: string;
  readonly names?: string[];
  readonly keyType?: CertificateMetadata['keyType'];
  readonly directoryUrl: string;
}

/**
 * What RenewCertificate is asked for after a revocation. A declared certificate by its id alone, so
 * it is reissued as declared now (names, key type, keystore options); any other with the revoked
 * certificate's names and key type. Either way a new order, so a new key (FinalizeOrder makes one
 * per order; no key of an earlier order is used).
 */
export function reissueInput(
  certificateId: string,
  metadata: Pick<CertificateMetadata, 'names' | 'keyType'>,
  directoryUrl: string,
  declared: readonly Pick<ManagedCertificate, 'id'>[] = [],
): ReissueInput {
  if (declared.some((certificate) => certificate.id === certificateId)) return { certificateId, directoryUrl };
  return { certificateId, names: [...metadata.names], keyType: metadata.keyType, directoryUrl };
}
