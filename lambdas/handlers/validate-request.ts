import { validateCertificateRequest, type CertificateRequest } from '../../domain/core/request';
import type { NoPorts, StepDeps } from '../deps';
import { lambdaHandler } from '../runtime/lambda';

/** First state: reject bad input before any ACME or DNS traffic. */
export async function validateRequest(input: { readonly request: unknown }, deps: StepDeps<NoPorts>): Promise<CertificateRequest> {
  // The settings are the request policy (PipelineSettings extends RequestPolicy).
  const request = validateCertificateRequest(input.request, deps.settings);
  deps.log.info('request valid', { certificateId: request.certificateId, names: request.names, keyType: request.keyType });
  return request;
}

export const handler = lambdaHandler(validateRequest);
