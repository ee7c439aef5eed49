import type { StepDeps } from '../deps';
import type { CertificateRenewedEvent } from '../ports';
import type { CertificateSummary } from '../state';
import { lambdaHandler } from '../runtime/lambda';

export async function publishRenewed(
  input: { certificate: CertificateSummary; executionId: string },
  deps: StepDeps,
): Promise<CertificateRenewedEvent> {
  const { certificate } = input;
  const { metadata } = certificate;
  const event: CertificateRenewedEvent = {
    certificateId: certificate.certificateId,
    version: certificate.version,
    location: certificate.location,
    names: metadata.names,
    serialNumber: metadata.serialNumber,
    notBefore: metadata.notBefore,
    notAfter: metadata.notAfter,
    fingerprintSha256: metadata.fingerprintSha256,
    keyType: metadata.keyType,
    formats: certificate.formats,
    executionId: input.executionId,
  };
  await deps.events.renewed(event);
  return event;
}

export const handler = lambdaHandler(publishRenewed);
