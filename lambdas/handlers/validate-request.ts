import { fetchDirectoryOffer } from '../acme/directory';
import { resolveAcmeProfile, validateCertificateRequest, type CertificateRequest } from '../../domain/core/request';
import type { NoPorts, StepDeps } from '../deps';
import { lambdaHandler } from '../runtime/lambda';

/**
 * First state: reject bad input before any order or DNS change. A request that names an ACME
 * profile costs one directory read: a required profile the CA lacks is refused here, a preferred
 * one falls back to the CA's default (the request then carries no profile).
 */
export async function validateRequest(input: { readonly request: unknown }, deps: StepDeps<NoPorts>): Promise<CertificateRequest> {
  // The settings are the request policy (PipelineSettings extends RequestPolicy).
  const validated = validateCertificateRequest(input.request, deps.settings);
  const { acmeProfile, ...rest } = validated;
  let request: CertificateRequest = rest;
  if (acmeProfile) {
    const offer = await fetchDirectoryOffer(validated.directoryUrl, deps.settings.acmeCaBundlePem);
    const { profile, warning } = resolveAcmeProfile(acmeProfile, offer.profiles, deps.settings.defaultAcmeProfile);
    if (warning) deps.log.warn(warning);
    if (profile) request = { ...rest, acmeProfile: { ...acmeProfile, name: profile } };
  }
  deps.log.info('request valid', { names: request.names, keyType: request.keyType, profile: request.acmeProfile?.name });
  return request;
}

export const handler = lambdaHandler(validateRequest);
