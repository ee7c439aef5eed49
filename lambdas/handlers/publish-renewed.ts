import type { StepDeps } from '../deps';
import { CertificateRenewedSchema } from '../../domain/contracts/events';
import { parseContract } from '../../domain/contracts/parse';
import { DETAIL_TYPES, type CertificateRenewedEvent } from '../../domain/ports';
import type { StateFields } from '../state';
import { lambdaHandler } from '../runtime/lambda';

export async function publishRenewed(
  input: StateFields<'certificate'> & { executionId: string },
  deps: StepDeps<{ events: 'renewed' }>,
): Promise<CertificateRenewedEvent> {
  const { certificate } = input;
  const { metadata } = certificate;
  // Parsed, not cast: the state is JSON, and the detail is a published contract.
  const event = parseContract(CertificateRenewedSchema, {
    certificateId: certificate.certificateId,
    version: certificate.version,
    location: certificate.location,
    names: metadata.names,
    serialNumber: metadata.serialNumber,
    notBefore: metadata.notBefore,
    notAfter: metadata.notAfter,
    fingerprintSha256: metadata.fingerprintSha256,
    keyType: metadata.keyType,
    ...(metadata.profile !== undefined ? { profile: metadata.profile } : {}),
    formats: certificate.formats,
    executionId: input.executionId,
  }, (message) => new TypeError(`${DETAIL_TYPES.renewed} detail: ${message}`), { root: 'detail' });
  await deps.events.renewed(event);
  return event;
}

export const handler = lambdaHandler(publishRenewed);
