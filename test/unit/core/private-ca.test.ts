/** The private issuer's pure rules: template per usages, the short-lived limit, and requests and configs judged by them. */
import { describe, expect, it } from 'vitest';
import { createLocalhostTls } from '../../../local/tls';
import { checkConfig } from '../../../infra/config';
import { lifetimeProblem, templateArn, templateFor } from '../../../domain/core/private-ca';
import { validateCertificateRequest, type RequestPolicy } from '../../../domain/core/request';

const CA = 'arn:aws:acm-pca:eu-west-1:111111111111:certificate-authority/11111111-2222-3333-4444-555555555555';
const policy: RequestPolicy = {
  zones: [{ name: 'example.com' }],
  defaultDirectoryUrl: 'https://acme.example/dir',
  defaultContact: [],
  secretPrefix: 'certflow/',
  privateCa: { mode: 'SHORT_LIVED_CERTIFICATE', defaultLifetimeDays: 7 },
};

describe('templateFor / templateArn', () => {
  it.each([
    [['clientAuth'], 'EndEntityClientAuthCertificate/V1'],
    [['serverAuth'], 'EndEntityServerAuthCertificate/V1'],
    [['serverAuth', 'clientAuth'], 'EndEntityCertificate/V1'],
  ] as const)('%j → %s', (usages, template) => {
    expect(templateFor(usages)).toBe(template);
    expect(templateArn(CA, templateFor(usages))).toBe(`arn:aws:acm-pca:::template/${template}`);
  });

  it('takes the partition from the CA', () => {
    expect(templateArn('arn:aws-cn:acm-pca:cn-north-1:1:certificate-authority/x', 'EndEntityCertificate/V1')).toBe('arn:aws-cn:acm-pca:::template/EndEntityCertificate/V1');
  });
});

describe('lifetimeProblem', () => {
  it.each([
    [7, 'SHORT_LIVED_CERTIFICATE', undefined],
    [1, 'SHORT_LIVED_CERTIFICATE', undefined],
    [8, 'SHORT_LIVED_CERTIFICATE', '8 days is more than a CA in SHORT_LIVED_CERTIFICATE mode can issue (at most 7)'],
    [365, 'GENERAL_PURPOSE', undefined],
  ] as const)('%i days in %s → %s', (days, mode, problem) => {
    expect(lifetimeProblem(days, mode)).toBe(problem);
  });
});

describe('a privateCa request (ValidateRequest)', () => {
  it('takes the default lifetime, needs no hosted zone for its names, and carries issuer privateCa', () => {
    const request = validateCertificateRequest({ certificateId: 'b1', names: ['b1.mq.internal'], issuer: 'privateCa', usages: ['serverAuth', 'clientAuth'] }, policy);
    expect(request).toMatchObject({ issuer: 'privateCa', lifetimeDays: 7, names: ['b1.mq.internal'], usages: ['serverAuth', 'clientAuth'] });
    expect(request.acmeProfile).toBeUndefined();
  });

  it('leaves an ACME request as it was (no issuer field: the Choice takes the ACME path)', () => {
    expect(validateCertificateRequest({ certificateId: 'a1', names: ['a.example.com'] }, policy)).not.toHaveProperty('issuer');
  });

  it.each([
    [{ issuer: 'privateCa', lifetimeDays: 8 }, policy, 'lifetimeDays: 8 days is more than a CA in SHORT_LIVED_CERTIFICATE mode can issue (at most 7)'],
    [{ issuer: 'privateCa' }, { ...policy, privateCa: undefined }, 'issuer: privateCa is not configured for this stack'],
    [{ issuer: 'privateCa', profile: 'shortlived' }, policy, 'profile: an ACME field; issuer privateCa takes none'],
    [{ issuer: 'privateCa', preferredChain: 'ISRG Root X1' }, policy, 'preferredChain: an ACME field'],
    [{ lifetimeDays: 5 }, policy, 'lifetimeDays: issuer privateCa only'],
    [{ issuer: 'privateCa', lifetimeDays: 0 }, policy, 'lifetimeDays: must be a whole number of days'],
    [{ issuer: 'vault' }, policy, "issuer: unknown issuer 'vault' (one of acme, privateCa)"],
  ])('refuses %j', (fields, withPolicy, message) => {
    expect(() => validateCertificateRequest({ certificateId: 'b1', names: ['b1.example.com'], ...fields }, withPolicy as RequestPolicy)).toThrow(message);
  });

  it('completes a declared private identity by id, and refuses another issuer for it', () => {
    const declared = { ...policy, certificates: [{ id: 'b2', names: ['b2.mq.internal'], issuer: 'privateCa' as const, lifetimeDays: 3, usages: ['clientAuth' as const] }] };
    expect(validateCertificateRequest({ certificateId: 'b2' }, declared)).toMatchObject({ issuer: 'privateCa', lifetimeDays: 3, usages: ['clientAuth'] });
    expect(() => validateCertificateRequest({ certificateId: 'b2', issuer: 'acme' }, declared)).toThrow("issuer: 'acme' differs from the declaration");
  });
});

describe('config check with a private CA', async () => {
  const { caPem } = await createLocalhostTls();
  const base = { hostedZones: [{ name: 'example.com', id: 'Z1EXAMPLE' }] };
  const problemsOf = (input: object) => {
    const result = checkConfig({ ...base, ...input });
    return result.ok ? [] : result.problems;
  };

  it('accepts a short-lived CA with 7-day identities, and a general-purpose one with longer', () => {
    expect(problemsOf({ privateCa: { certificateAuthorityArn: CA, trustAnchors: [caPem] }, certificates: [{ id: 'b1', names: ['b1.mq.internal'], issuer: 'privateCa', lifetimeDays: 7 }] })).toEqual([]);
    expect(problemsOf({ privateCa: { certificateAuthorityArn: CA, mode: 'GENERAL_PURPOSE', trustAnchors: [caPem], defaultLifetimeDays: 30 } })).toEqual([]);
  });

  it('refuses a validity the CA\'s mode cannot issue, a private identity without a CA, and a CA without anchors', () => {
    expect(problemsOf({ privateCa: { certificateAuthorityArn: CA, trustAnchors: [caPem] }, certificates: [{ id: 'b1', names: ['b1.mq.internal'], issuer: 'privateCa', lifetimeDays: 10 }] })).toEqual([
      "certificates['b1']: lifetimeDays: 10 days is more than a CA in SHORT_LIVED_CERTIFICATE mode can issue (at most 7)",
    ]);
    expect(problemsOf({ privateCa: { certificateAuthorityArn: CA, trustAnchors: [caPem], defaultLifetimeDays: 30 } })).toEqual([
      'privateCa.defaultLifetimeDays: 30 days is more than a CA in SHORT_LIVED_CERTIFICATE mode can issue (at most 7)',
    ]);
    expect(problemsOf({ certificates: [{ id: 'b1', names: ['b1.mq.internal'], issuer: 'privateCa' }] })[0]).toContain('issuer: privateCa is not configured');
    expect(problemsOf({ privateCa: { certificateAuthorityArn: 'arn:aws:acm:x', trustAnchors: [] } })).toHaveLength(2);
  });

  it('refuses a scan schedule too coarse for the identities\' lifetime (renewed at 50–80 %), and derives one that fits', () => {
    const oneDay = { privateCa: { certificateAuthorityArn: CA, trustAnchors: [caPem] }, certificates: [{ id: 'b1', names: ['b1.mq.internal'], issuer: 'privateCa', lifetimeDays: 1 }] };
    // One rule with the ACME certificates' (domain/core/scan-schedule.ts): stated too coarse is refused…
    expect(problemsOf({ ...oneDay, schedule: { scanIntervalHours: 3 } })).toEqual([
      "schedule.scanIntervalHours: 3 h is too coarse for the shortest lifetime declared: certificates['b1'] (private CA identity, 1 d) needs a scan at least every 1.2 h (4 scans between 80 % of its lifetime and expiry; docs/private-ca.md)",
    ]);
    // …unstated, the schedule is derived to fit (1 h), not the order budget's 3 h window.
    expect(problemsOf(oneDay)).toEqual([]);
    expect(problemsOf({ ...oneDay, schedule: { scanIntervalHours: 1 } })).toEqual([]);
  });
});
