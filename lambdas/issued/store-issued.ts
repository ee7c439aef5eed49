/**
 * What both issuers' PackageAndStore do with an issued chain: verify it against the pending key and
 * the request (names, declared usages) and against the issuer's trust anchors, package every format a
 * Java host needs (truststores lead with those anchors), then promote. Any mismatch throws before
 * anything is stored, so the previous version stays current.
 */
import { describeCertificate, verifyIssuedChain } from '../../domain/core/certificate';
import { topmostIssuerCn } from '../../domain/core/chains';
import { parseCertificate } from '../../domain/core/parsed-certificates';
import { verifyChainToAnchors } from '../../domain/core/trust-anchors';
import { certificateFingerprint } from '../../domain/core/root-rotation';
import { checkUsages } from '../../domain/core/usages';
import { DEFAULT_USAGES } from '../../domain/contracts/request';
import type { CertificateMetadata } from '../../domain/core/certificate';
import type { PendingKey } from '../../domain/ports';
import { buildKeystoreFiles, keystorePasswordFor } from '../../domain/keystores';
import type { StepDeps } from '../deps';
import type { CertificateRequest, CertificateSummary } from '../state';

export interface IssuedChain {
  readonly request: CertificateRequest;
  /** Leaf first. */
  readonly chain: readonly string[];
  readonly pending: PendingKey;
  /** The anchors of the issuer (its ACME directory's, or the private CA's). */
  readonly trustAnchors: readonly string[];
  /** Added to the stored metadata (the ACME profile). */
  readonly metadata?: Partial<CertificateMetadata>;
  /** Added to the "certificate stored" log line. */
  readonly logFields?: Readonly<Record<string, unknown>>;
  /** Record the truststores' roots and the chain's root in the metadata (the private issuer: a root rotation gates on them). */
  readonly recordAnchors?: boolean;
}

export async function storeIssuedChain(
  { request, chain, pending, trustAnchors, metadata, logFields, recordAnchors = false }: IssuedChain,
  deps: StepDeps<{ store: 'readPendingKey' | 'readSecret' | 'currentKeystorePassword' | 'promote' }>,
): Promise<CertificateSummary> {
  const privateKeyPem = await deps.store.readPendingKey(pending);
  const now = deps.now();
  verifyIssuedChain({ chain: [...chain], privateKeyPem, names: request.names, now });
  // MissingExtendedKeyUsage otherwise (an execution started before usages existed declares the default).
  checkUsages(parseCertificate(chain[0]!), request.usages ?? DEFAULT_USAGES);
  // UntrustedChain otherwise: the failure path removes what the execution made.
  const { anchor } = verifyChainToAnchors(chain, trustAnchors, now);

  const password = await keystorePasswordFor(request.certificateId, request.keystore, deps.store);
  const [leaf = '', ...issuers] = chain;
  const stored = await deps.store.promote(pending, {
    certificatePem: leaf,
    chainPem: issuers.join(''),
    privateKeyPem,
    metadata: {
      ...describeCertificate(leaf, request.keyType),
      ...metadata,
      ...(recordAnchors ? { trustAnchorsSha256: trustAnchors.map(certificateFingerprint), anchorSha256: certificateFingerprint(anchor) } : {}),
    },
    files: buildKeystoreFiles({ chain: [...chain], trustAnchors, privateKeyPem, password, options: request.keystore, created: now }),
  });
  deps.log.info('certificate stored', {
    certificateId: stored.certificateId,
    version: stored.version,
    serialNumber: stored.metadata.serialNumber,
    notAfter: stored.metadata.notAfter,
    formats: stored.formats,
    trustAnchor: parseCertificate(anchor).subject.replaceAll('\n', ', '),
    chainTopIssuer: topmostIssuerCn([...chain]),
    ...logFields,
  });
  return stored;
}
