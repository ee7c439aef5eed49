/**
 * AWS Private CA as the private issuer: IssueCertificate with the template of the declared usages and
 * the requested Validity, GetCertificate to read it back (RequestInProgressException until issued:
 * the state machine polls, this adapter never waits).
 *
 * API reference:
 * - IssueCertificate: https://docs.aws.amazon.com/privateca/latest/APIReference/API_IssueCertificate.html
 * - GetCertificate: https://docs.aws.amazon.com/privateca/latest/APIReference/API_GetCertificate.html
 *   ("RequestInProgressException: Your request is already in progress", until the certificate is issued)
 * - Templates: https://docs.aws.amazon.com/privateca/latest/userguide/UsingTemplates.html
 *
 * Minimal IAM (infra/iam.ts privateIssue, privateFetch): acm-pca:IssueCertificate on the configured CA
 * (and the CA a root rotation moves to, config privateCa.nextCertificateAuthorityArn) with an
 * acm-pca:TemplateArn condition naming the three end-entity templates; acm-pca:GetCertificate on the same.
 */
import { GetCertificateCommand, IssueCertificateCommand, type ACMPCAClient, type SigningAlgorithm } from '@aws-sdk/client-acm-pca';
import { splitPemChain } from '../../core/certificate';
import { errorMessage, PrivateCaRejected, PrivateCaUnavailable } from '../../core/errors';
import { templateArn, templateFor } from '../../core/private-ca';
import type { PrivateIssuedChain, PrivateIssuer, PrivateIssueRequest } from '../../ports';
import { isThrottled } from './throttling';

export interface AcmPcaIssuerOptions {
  readonly certificateAuthorityArn: string;
  /** It must suit the CA's key: SHA256WITHRSA (RSA CA, the default) or SHA256WITHECDSA (EC CA). */
  readonly signingAlgorithm?: string;
}

/** Besides throttling, errors worth another try (the SDK has retried them already): the service's own failures. */
const SERVICE_FAILURES = new Set(['ServiceUnavailable', 'ServiceUnavailableException', 'InternalFailure', 'InternalServerException']);

/** Our error for an SDK error: retryable (throttled, 5xx, network) or final (everything the API documents as a refusal). */
function privateCaError(operation: string, error: unknown): Error {
  const { name = 'Error', $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = $metadata?.httpStatusCode;
  const retryable = isThrottled(error) || SERVICE_FAILURES.has(name) || (status !== undefined && status >= 500) || status === undefined;
  const message = `AWS Private CA ${operation}: ${name}: ${errorMessage(error)}`;
  return retryable ? new PrivateCaUnavailable(message, { cause: error }) : new PrivateCaRejected(message, { cause: error });
}

export class AcmPcaIssuer implements PrivateIssuer {
  constructor(
    private readonly client: Pick<ACMPCAClient, 'send'>,
    private readonly options: AcmPcaIssuerOptions,
  ) {}

  async issue({ csrPem, usages, lifetimeDays, idempotencyToken, certificateAuthority }: PrivateIssueRequest): Promise<string> {
    const { signingAlgorithm = 'SHA256WITHRSA' } = this.options;
    // A root rotation's phase may name the other CA (ADR 0013); the roles may issue from both.
    const ca = certificateAuthority ?? this.options.certificateAuthorityArn;
    try {
      const { CertificateArn } = await this.client.send(
        new IssueCertificateCommand({
          CertificateAuthorityArn: ca,
          Csr: new TextEncoder().encode(csrPem),
          SigningAlgorithm: signingAlgorithm as SigningAlgorithm,
          TemplateArn: templateArn(ca, templateFor(usages)),
          Validity: { Type: 'DAYS', Value: lifetimeDays },
          IdempotencyToken: idempotencyToken,
        }),
      );
      if (!CertificateArn) throw new PrivateCaRejected('AWS Private CA IssueCertificate answered without a CertificateArn');
      return CertificateArn;
    } catch (error) {
      throw error instanceof PrivateCaRejected ? error : privateCaError('IssueCertificate', error);
    }
  }

  async fetch(certificateRef: string): Promise<PrivateIssuedChain | undefined> {
    try {
      const { Certificate, CertificateChain } = await this.client.send(
        new GetCertificateCommand({ CertificateAuthorityArn: issuingCaOf(certificateRef) ?? this.options.certificateAuthorityArn, CertificateArn: certificateRef }),
      );
      if (!Certificate) throw new PrivateCaRejected(`AWS Private CA GetCertificate answered without a Certificate for ${certificateRef}`);
      return { chain: [...splitPemChain(Certificate), ...splitPemChain(CertificateChain ?? '')] };
    } catch (error) {
      // Not issued yet: the state machine's Wait + Choice asks again.
      if ((error as { name?: string }).name === 'RequestInProgressException') return undefined;
      throw error instanceof PrivateCaRejected ? error : privateCaError('GetCertificate', error);
    }
  }
}

/** A stack without a private CA: every call is refused (ValidateRequest refuses such requests first). */
export const NO_PRIVATE_CA: PrivateIssuer = {
  issue: () => Promise.reject(new PrivateCaRejected('no private CA is configured (config privateCa)')),
  fetch: () => Promise.reject(new PrivateCaRejected('no private CA is configured (config privateCa)')),
};

/**
 * The CA that issued a certificate, from its ARN: `<ca arn>/certificate/<id>` (IssueCertificate's
 * CertificateArn). During a root rotation the leaf may come from either CA; GetCertificate must name that one.
 */
function issuingCaOf(certificateArn: string): string | undefined {
  const match = /^(arn:[^:]+:acm-pca:[^:]*:[^:]*:certificate-authority\/[^/]+)\/certificate\/[^/]+$/.exec(certificateArn);
  return match?.[1];
}
