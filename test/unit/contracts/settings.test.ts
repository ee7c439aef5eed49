/** The Lambda environment's JSON settings are parsed with their contracts, naming the variable and the field. */
import { describe, expect, it } from 'vitest';
import { ENV, settingsFromEnvironment } from '../../../lambdas/runtime/aws-deps';
import { DEFAULT_SCAN } from '../../../domain/core/scan-plan';

const base = { [ENV.directoryUrl]: 'https://acme.example/dir', [ENV.secretPrefix]: 'certflow/' };

describe('settingsFromEnvironment', () => {
  it('reads what the stack writes, with defaults for what it leaves out', () => {
    const settings = settingsFromEnvironment({
      ...base,
      [ENV.zones]: JSON.stringify([{ name: 'example.com', id: 'Z1', roleArn: 'arn:aws:iam::222222222222:role/dns', externalId: 'x' }]),
      [ENV.contact]: JSON.stringify(['mailto:ops@example.com']),
      [ENV.scan]: JSON.stringify({ intervalHours: 3, budget: { windowHours: 3, maxOrders: 50 }, expiringDays: 10 }),
    });
    expect(settings).toMatchObject({
      zones: [{ name: 'example.com', id: 'Z1', roleArn: 'arn:aws:iam::222222222222:role/dns', externalId: 'x' }],
      defaultContact: ['mailto:ops@example.com'],
      scan: { intervalHours: 3, budget: { windowHours: 3, maxOrders: 50 }, expiringDays: 10 },
    });
    expect(settingsFromEnvironment(base)).toMatchObject({ zones: [], defaultContact: [], secretPrefix: 'certflow/', scan: DEFAULT_SCAN });
    expect(settingsFromEnvironment({ ...base, [ENV.eabSecret]: 'certflow/eab/zerossl' })).toMatchObject({ defaultExternalAccountBinding: 'certflow/eab/zerossl' });
  });

  it('reads the allowed directories (the default alone when unset) and the trust anchors by directory', () => {
    expect(settingsFromEnvironment(base)).toMatchObject({ allowedDirectories: ['https://acme.example/dir'], trustAnchors: {} });
    const anchors = { 'https://acme.example/dir': ['-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'] };
    const settings = settingsFromEnvironment({
      ...base,
      [ENV.directories]: JSON.stringify(['https://acme.example/dir', 'https://ca.internal.example/acme']),
      [ENV.trustAnchors]: JSON.stringify(anchors),
    });
    expect(settings).toMatchObject({ allowedDirectories: ['https://acme.example/dir', 'https://ca.internal.example/acme'], trustAnchors: anchors });
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ['not JSON', { [ENV.zones]: '[{' }, /CERTFLOW_ZONES is not valid JSON/],
    ['a zone without a name', { [ENV.zones]: JSON.stringify([{ id: 'Z1' }]) }, /CERTFLOW_ZONES\[0\]\.name is missing/],
    ['a contact that is not a string', { [ENV.contact]: JSON.stringify([42]) }, /CERTFLOW_CONTACT\[0\] is not a string \(got 42\)/],
    ['a scan budget without maxOrders', { [ENV.scan]: JSON.stringify({ intervalHours: 6, budget: { windowHours: 3 }, expiringDays: 7 }) }, /CERTFLOW_SCAN\.budget\.maxOrders is missing/],
    ['trust anchors that are not lists of PEM strings', { [ENV.trustAnchors]: JSON.stringify({ 'https://acme.example/dir': 'pem' }) }, /CERTFLOW_TRUST_ANCHORS/],
    ['directories that are not a list', { [ENV.directories]: JSON.stringify('https://acme.example/dir') }, /CERTFLOW_DIRECTORIES/],
    ['no secret prefix', { [ENV.secretPrefix]: '' }, /CERTFLOW_SECRET_PREFIX is not set/],
    ['a secret prefix without its slash', { [ENV.secretPrefix]: 'certflow' }, /CERTFLOW_SECRET_PREFIX must end with '\/'/],
    ['a default EAB secret outside <prefix>eab/', { [ENV.eabSecret]: 'other/eab/x' }, /CERTFLOW_EAB_SECRET: 'other\/eab\/x' must be a secret under certflow\/eab\//],
  ])('rejects %s, naming the variable and the field', (_case, env, message) => {
    expect(() => settingsFromEnvironment({ ...base, ...env })).toThrow(message);
  });
});
