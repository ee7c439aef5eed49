import { describe, expect, it } from 'vitest';
import { InvalidCertificateRequest } from '../../../domain/core/errors';
import { resolveAcmeProfile, validateCertificateRequest, type RequestPolicy } from '../../../domain/core/request';

const policy: RequestPolicy = { zones: [{ name: 'example.com' }], defaultDirectoryUrl: 'https://acme.example/dir', defaultContact: [], secretPrefix: 'certflow/' };
const base = { certificateId: 'broker-1', names: ['example.com'] };
const LE_PROFILES = ['classic', 'tlsserver', 'shortlived'];

describe('ACME profile of a request', () => {
  it.each([
    ['profile: required', { profile: 'shortlived' }, { name: 'shortlived', required: true }],
    ['preferredProfile: preferred', { preferredProfile: 'tlsserver' }, { name: 'tlsserver', required: false }],
    ['neither: none', {}, undefined],
  ])('%s', (_, fields, expected) => {
    expect(validateCertificateRequest({ ...base, ...fields }, policy).acmeProfile).toEqual(expected);
  });

  it("takes the stack's default profile as a preference when the request names none", () => {
    expect(validateCertificateRequest(base, { ...policy, defaultAcmeProfile: 'classic' }).acmeProfile).toEqual({ name: 'classic', required: false });
    expect(validateCertificateRequest({ ...base, profile: 'shortlived' }, { ...policy, defaultAcmeProfile: 'classic' }).acmeProfile).toEqual({ name: 'shortlived', required: true });
  });

  it.each([
    [{ profile: 'a', preferredProfile: 'b' }, /profile and preferredProfile exclude each other/],
    [{ profile: 'has space' }, /profile: 'has space' must be an ACME profile name/],
    [{ preferredProfile: 'x'.repeat(65) }, /preferredProfile: .* must be an ACME profile name/],
    [{ profile: 42 }, /profile: must be an ACME profile name/],
  ])('refuses %j', (fields, message) => {
    expect(() => validateCertificateRequest({ ...base, ...fields }, policy)).toThrow(message);
  });

  it('a declared certificate brings its profile; a request may not contradict it', () => {
    const declared = { ...policy, certificates: [{ id: 'broker-1', names: ['example.com'], profile: 'tlsserver' }] };
    expect(validateCertificateRequest({ certificateId: 'broker-1' }, declared).acmeProfile).toEqual({ name: 'tlsserver', required: true });
    expect(() => validateCertificateRequest({ certificateId: 'broker-1', profile: 'shortlived' }, declared)).toThrow(/profile: 'shortlived' differs from the declaration/);
  });
});

describe('resolveAcmeProfile against the directory', () => {
  it('keeps an offered profile, required or preferred', () => {
    expect(resolveAcmeProfile({ name: 'shortlived', required: true }, LE_PROFILES)).toEqual({ profile: 'shortlived' });
    expect(resolveAcmeProfile({ name: 'tlsserver', required: false }, LE_PROFILES)).toEqual({ profile: 'tlsserver' });
  });

  it('refuses a required profile the CA does not offer, naming those it offers', () => {
    const attempt = () => resolveAcmeProfile({ name: 'tlsclient', required: true }, LE_PROFILES);
    expect(attempt).toThrow(InvalidCertificateRequest);
    expect(attempt).toThrow("profile: 'tlsclient' is not offered by the CA (it offers classic, tlsserver, shortlived)");
    expect(() => resolveAcmeProfile({ name: 'classic', required: true }, undefined)).toThrow('(it offers no profiles)');
  });

  it("falls back for a preferred profile: the stack default when offered, else the CA's own, with a warning", () => {
    expect(resolveAcmeProfile({ name: 'tlsclient', required: false }, LE_PROFILES, 'classic')).toEqual({
      profile: 'classic',
      warning: "preferred profile 'tlsclient' is not offered by the CA (it offers classic, tlsserver, shortlived): ordering with the default profile 'classic'",
    });
    expect(resolveAcmeProfile({ name: 'classic', required: false }, undefined, 'classic')).toEqual({
      warning: "preferred profile 'classic' is not offered by the CA (it offers no profiles): ordering with the CA's default",
    });
  });

  it('asks nothing when no profile is chosen', () => {
    expect(resolveAcmeProfile(undefined, LE_PROFILES, 'classic')).toEqual({});
  });
});
