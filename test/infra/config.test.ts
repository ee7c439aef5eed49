/** defineConfig: the defaults it fills in, and bad configs refused with every problem, each naming its field. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_DIRECTORIES, DEFAULT_POLL, DEFAULTS, defineConfig, LETS_ENCRYPT_PRODUCTION, LETS_ENCRYPT_STAGING, trustAnchorsOf, type CertflowConfigInput } from '../../infra/config';
import { letsEncryptProductionRoots, letsEncryptStagingRoots } from '../../domain/trust';

const zones = [{ name: 'example.com', id: 'Z1EXAMPLE' }];

/** The problems listed by the error, one per line. */
function problemsOf(input: CertflowConfigInput): string[] {
  try {
    defineConfig(input);
  } catch (error) {
    const [title, ...lines] = (error as Error).message.split('\n');
    expect(title).toBe('certflow config is invalid:');
    return lines.map((line) => line.replace(/^ {2}- /, ''));
  }
  throw new Error('the config was accepted');
}

describe('defineConfig', () => {
  it('fills in the defaults, merging acme and schedule field by field', () => {
    const config = defineConfig({ hostedZones: zones, acme: { contact: ['mailto:ops@example.com'] }, schedule: { scanIntervalHours: 3 } });
    expect(config).toEqual({
      ...DEFAULTS,
      hostedZones: zones,
      acme: { directoryUrl: LETS_ENCRYPT_STAGING, contact: ['mailto:ops@example.com'], directories: DEFAULT_DIRECTORIES },
      schedule: { ...DEFAULTS.schedule, scanIntervalHours: 3 },
    });
    expect(DEFAULTS).toMatchObject({ secretPrefix: 'certflow/', lambda: { memoryMb: 512, timeoutSeconds: 30 }, poll: DEFAULT_POLL });
    // The scan interval defaults to the budget window: every window's orders are used.
    expect(DEFAULTS.schedule).toEqual({ scanIntervalHours: 3, orderBudget: { windowHours: 3, maxOrders: 300 }, maxConcurrentRenewals: 10, expiringDays: 7, notServedAfterMinutes: 10 });
  });

  it.each<[string, CertflowConfigInput, number]>([
    ['no certificate: the budget window', { hostedZones: zones }, 3],
    ['a 6-hour budget window, classic certificates', { hostedZones: zones, schedule: { orderBudget: { windowHours: 6, maxOrders: 300 } }, certificates: [{ id: 'web', names: ['www.example.com'] }] }, 6],
    ['a 24-hour window and a shortlived certificate: the lifetime bounds it', { hostedZones: zones, schedule: { orderBudget: { windowHours: 24, maxOrders: 50 } }, certificates: [{ id: 'api', names: ['api.example.com'], preferredProfile: 'shortlived' }] }, 13],
    ['another CA\'s stated lifetime', { hostedZones: zones, acme: { defaultProfile: 'short', profileLifetimeHours: { short: 48 } }, schedule: { orderBudget: { windowHours: 24, maxOrders: 50 } }, certificates: [{ id: 'api', names: ['api.example.com'] }] }, 4],
    ['a stated interval that fits', { hostedZones: zones, schedule: { scanIntervalHours: 12 }, certificates: [{ id: 'api', names: ['api.example.com'], profile: 'shortlived' }] }, 12],
  ])('derives or keeps the scan interval: %s', (_case, input, hours) => {
    expect(defineConfig(input).schedule.scanIntervalHours).toBe(hours);
  });

  it('takes a default EAB secret and declared keystore passwords under the prefix', () => {
    const certificates = [{ id: 'mq', names: ['mq.example.com'], keystore: { passwordSecretRef: 'team-a/passwords/mq' } }];
    const config = defineConfig({ hostedZones: zones, secretPrefix: 'team-a/', acme: { externalAccountBindingSecret: 'team-a/eab/zerossl' }, certificates });
    expect(config.acme.externalAccountBindingSecret).toBe('team-a/eab/zerossl');
    expect(config.certificates).toEqual(certificates);
  });

  it('allows Let\'s Encrypt staging and production by default, each anchored to its two roots', () => {
    expect(trustAnchorsOf(DEFAULTS)).toEqual({ [LETS_ENCRYPT_STAGING]: letsEncryptStagingRoots(), [LETS_ENCRYPT_PRODUCTION]: letsEncryptProductionRoots() });
  });

  it('takes an internal CA with its root, URLs kept as URL parsing writes them', () => {
    const [root] = letsEncryptProductionRoots(); // any CA certificate does for the schema
    const config = defineConfig({
      hostedZones: zones,
      acme: { directoryUrl: 'https://CA.internal.example:443/acme/dir', directories: [{ url: 'https://CA.internal.example:443/acme/dir', trustAnchors: [root!] }] },
    });
    expect(trustAnchorsOf(config)).toEqual({ 'https://ca.internal.example/acme/dir': [root] });
  });

  it('keeps a valid declared certificate and subscriber as given', () => {
    const certificates = [{ id: 'broker-eu1', names: ['mq.example.com', '*.mq.example.com'], keystore: { profile: 'legacy' as const } }];
    const config = defineConfig({ hostedZones: zones, certificates, subscribers: [{ name: 'brokers-eu', certificateIds: ['broker-eu1'] }] });
    expect(config.certificates).toEqual(certificates);
    expect(config.subscribers).toEqual([{ name: 'brokers-eu', certificateIds: ['broker-eu1'] }]);
  });

  it.each<[string, CertflowConfigInput, string[]]>([
    ['no hosted zone', { hostedZones: [] }, ['hostedZones: at least one hosted zone is needed']],
    ['a malformed zone id', { hostedZones: [{ name: 'example.com', id: 'example' }] }, ["hostedZones['example.com'].id: 'example' is not a hosted zone id"]],
    ['a secret prefix without its slash', { hostedZones: zones, secretPrefix: 'certflow' }, ["secretPrefix: 'certflow' must end with '/'"]],
    [
      'schedule values out of range',
      { hostedZones: zones, schedule: { scanIntervalHours: 0, maxConcurrentRenewals: 41, orderBudget: { windowHours: 3, maxOrders: 0 } } },
      ['schedule.scanIntervalHours: between 1 and 24', 'schedule.orderBudget.maxOrders: at least 1', 'schedule.maxConcurrentRenewals: between 1 and 40'],
    ],
    [
      'a scan schedule too coarse for the shortest lifetime declared',
      { hostedZones: zones, schedule: { scanIntervalHours: 24 }, certificates: [{ id: 'web', names: ['www.example.com'] }, { id: 'api', names: ['api.example.com'], profile: 'shortlived' }] },
      ["schedule.scanIntervalHours: 24 h is too coarse for the shortest lifetime declared: certificates['api'] (profile shortlived, 160 h) needs a scan at least every 13.3 h (4 scans between its latest renewal point and ⅙ of its lifetime left; docs/renewal-policy.md)"],
    ],
    [
      'a stated lifetime too short for any schedule',
      { hostedZones: zones, acme: { profileLifetimeHours: { hourly: 6 } }, certificates: [{ id: 'api', names: ['api.example.com'], profile: 'hourly' }] },
      ["schedule.scanIntervalHours: no schedule fits: certificates['api'] (profile hourly, 6 h) needs a scan at least every 0.5 h (4 scans between its latest renewal point and ⅙ of its lifetime left; docs/renewal-policy.md)"],
    ],
    ['too little Lambda memory', { hostedZones: zones, lambda: { memoryMb: 128, timeoutSeconds: 30 } }, ['lambda.memoryMb: at least 256 (RSA key generation and keystores)']],
    ['a contact that is not a mailto: URI', { hostedZones: zones, acme: { contact: ['ops@example.com'] } }, ["acme.contact[0]: 'ops@example.com' is not a mailto: URI"]],
    [
      'a bad subscriber group',
      { hostedZones: zones, subscribers: [{ name: 'brokers eu', certificateIds: [] }, { name: 'web', certificateIds: ['Web'] }] },
      [
        "subscribers['brokers eu'].name: 'brokers eu' must be 1–40 of A-Z a-z 0-9 -",
        "subscribers['brokers eu'].certificateIds: is empty: name the certificates this group installs",
        "subscribers['web'].certificateIds[0]: must be 1–64 of a-z 0-9 . _ - starting with a letter or digit (got \"Web\")",
      ],
    ],
    [
      'declared certificates that fail as requests, or twice',
      {
        hostedZones: zones,
        certificates: [
          { id: 'web', names: ['web.example.org'] },
          { id: 'web', names: ['web.example.com'] },
          { id: 'mq', names: ['mq.example.com'], keystore: { profile: 'modern', alias: 'MQ Broker' } },
        ],
      },
      [
        "certificates['mq'].keystore.alias: 'MQ Broker' must be 1–64 of a-z 0-9 . _ - starting with a letter or digit",
        "certificates['web']: names[0]: 'web.example.org' is outside every configured hosted zone (zones: example.com)",
        "certificates['web']: duplicate id 'web'",
      ],
    ],
    [
      'a default EAB secret outside <secretPrefix>eab/',
      { hostedZones: zones, acme: { externalAccountBindingSecret: 'zerossl/eab' } },
      ["acme.externalAccountBindingSecret: 'zerossl/eab' must be a secret under certflow/eab/"],
    ],
    [
      'a default EAB secret under another prefix than the stack\'s, or climbing out',
      { hostedZones: zones, secretPrefix: 'team-a/', acme: { externalAccountBindingSecret: 'certflow/eab/../../x' } },
      ["acme.externalAccountBindingSecret: 'certflow/eab/../../x' must be a secret under team-a/eab/"],
    ],
    [
      'a declared keystore password outside <secretPrefix>passwords/',
      { hostedZones: zones, certificates: [{ id: 'mq', names: ['mq.example.com'], keystore: { passwordSecretRef: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:db' } }] },
      ["certificates['mq']: keystore.passwordSecretRef: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:db' must be a secret under certflow/passwords/ (a name, not an ARN)"],
    ],
    [
      'a default directory that is not among the allowed ones',
      { hostedZones: zones, acme: { directories: [{ url: 'https://ca.internal.example/acme', trustAnchors: letsEncryptProductionRoots() }] } },
      [`acme.directoryUrl: '${LETS_ENCRYPT_STAGING}' is not one of acme.directories (https://ca.internal.example/acme): add it with its trust anchors`],
    ],
    [
      'directories without anchors, twice, or not https',
      {
        hostedZones: zones,
        acme: {
          directoryUrl: 'https://ca.internal.example/acme',
          directories: [
            { url: 'https://ca.internal.example/acme', trustAnchors: [] },
            { url: 'https://CA.internal.example:443/acme', trustAnchors: letsEncryptProductionRoots() },
            { url: 'http://ca.internal.example/acme', trustAnchors: letsEncryptProductionRoots() },
          ],
        },
      },
      [
        "acme.directories[0].trustAnchors: is empty: name the root(s) this directory issues under",
        "acme.directories[2].url: 'http://ca.internal.example/acme' is not an https URL",
        "acme.directories[1].url: duplicate directory 'https://ca.internal.example/acme'",
      ],
    ],
    [
      'trust anchors that are not one CA certificate each',
      {
        hostedZones: zones,
        acme: {
          directoryUrl: 'https://ca.internal.example/acme',
          directories: [{ url: 'https://ca.internal.example/acme', trustAnchors: ['not a pem', letsEncryptProductionRoots().join('')] }],
        },
      },
      ['acme.directories[0].trustAnchors[0]: must be one PEM certificate (found 0)', 'acme.directories[0].trustAnchors[1]: must be one PEM certificate (found 4)'],
    ],
    ['a value of the wrong type', { hostedZones: zones, verifyAuthoritativeNameServers: 'yes' as unknown as boolean }, ['verifyAuthoritativeNameServers: is not true or false (got "yes")']],
  ])('refuses %s, naming the field', (_case, input, problems) => {
    expect(problemsOf(input)).toEqual(problems);
  });
});
