/** The RevokeCertificate input as the first state judges it, and what a reissue asks RenewCertificate for. */
import { describe, expect, it } from 'vitest';
import { InvalidCertificateRequest } from '../../../domain/core/errors';
import { REVOCATION_REASONS, reissueInput, validateRevocationRequest } from '../../../domain/core/revocation';

const policy = { defaultDirectoryUrl: 'https://acme.test/dir', allowedDirectories: ['https://acme.test/dir', 'https://other.test/dir'] };

describe('validateRevocationRequest', () => {
  it.each<[string, unknown, object]>([
    ['an id alone: reason unspecified (0), the current version, no reissue, the default directory', { certificateId: 'broker' }, { certificateId: 'broker', reason: 'unspecified', reasonCode: 0, reissue: false, directoryUrl: 'https://acme.test/dir' }],
    ['keyCompromise with a reissue', { certificateId: 'broker', reason: 'keyCompromise', reissue: true }, { reason: 'keyCompromise', reasonCode: 1, reissue: true }],
    ['a version', { certificateId: 'broker', version: '3' }, { version: '3' }],
    ['another allowed directory, normalized', { certificateId: 'broker', directoryUrl: 'https://OTHER.test:443/dir' }, { directoryUrl: 'https://other.test/dir' }],
  ])('accepts %s', (_case, input, expected) => {
    expect(validateRevocationRequest(input, policy)).toMatchObject(expected);
  });

  it('has the RFC 5280 codes of the five reasons a subscriber may give', () => {
    expect(REVOCATION_REASONS).toEqual({ unspecified: 0, keyCompromise: 1, affiliationChanged: 3, superseded: 4, cessationOfOperation: 5 });
  });

  it.each<[string, unknown, RegExp]>([
    ['no object', 'broker', /the input must be a JSON object/],
    ['no id', {}, /certificateId is missing|certificateId .*must be/],
    ['a bad id', { certificateId: '../etc' }, /certificateId '\.\.\/etc' must be 1–64 of a-z/],
    ['a reason CAs refuse (certificateHold)', { certificateId: 'broker', reason: 'certificateHold' }, /reason unknown reason 'certificateHold' \(one of unspecified, keyCompromise, affiliationChanged, superseded, cessationOfOperation\)/],
    ['a reason code instead of its name', { certificateId: 'broker', reason: 1 }, /reason unknown reason '1'/],
    ['reissue as a string', { certificateId: 'broker', reissue: 'yes' }, /reissue must be true or false/],
    ['an unknown field', { certificateId: 'broker', names: ['a.test'] }, /unknown field\(s\) names/],
    ['a directory that is not allowed', { certificateId: 'broker', directoryUrl: 'https://evil.test/dir' }, /directoryUrl: 'https:\/\/evil.test\/dir' is not an allowed ACME directory/],
  ])('refuses %s as InvalidCertificateRequest', (_case, input, message) => {
    expect(() => validateRevocationRequest(input, policy)).toThrow(InvalidCertificateRequest);
    expect(() => validateRevocationRequest(input, policy)).toThrow(message);
  });
});

describe('reissueInput', () => {
  const metadata = { names: ['mq.example.com', '*.mq.example.com'], keyType: 'rsa-2048' as const };

  it('asks for a declared certificate by its id alone: it is reissued as declared now', () => {
    expect(reissueInput('broker', metadata, 'https://acme.test/dir', [{ id: 'broker' }])).toEqual({ certificateId: 'broker', directoryUrl: 'https://acme.test/dir' });
  });

  it('asks for any other with the revoked certificate\'s names and key type', () => {
    expect(reissueInput('adhoc', metadata, 'https://acme.test/dir', [{ id: 'broker' }])).toEqual({
      certificateId: 'adhoc',
      names: ['mq.example.com', '*.mq.example.com'],
      keyType: 'rsa-2048',
      directoryUrl: 'https://acme.test/dir',
    });
  });
});
