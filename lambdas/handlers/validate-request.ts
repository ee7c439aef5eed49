import { validateCertificateRequest, type CertificateRequest } from '../../domain/core/request';
import type { NoPorts, StepDeps } from '../deps';
import { lambdaHandler } from '../runtime/lambda';

/** First state: reject bad input before any ACME or DNS traffic. */
export async function validateRequest(input: { readonly request: unknown }, deps: StepDeps<NoPorts>): Promise<CertificateRequest> {
  const request = validateCertificateRequest(input.request, {
    zones: deps.settings.zones,
    defaultDirectoryUrl: deps.settings.defaultDirectoryUrl,
    defaultContact: deps.settings.defaultContact,
    secretPrefix: deps.settings.secretPrefix,
    ...(deps.settings.defaultExternalAccountBinding ? { defaultExternalAccountBinding: deps.settings.defaultExternalAccountBinding } : {}),
  });
  deps.log.info('request valid', { certificateId: request.certificateId, names: request.names, keyType: request.keyType });
  return request;
}

export const handler = lambdaHandler(validateRequest);
