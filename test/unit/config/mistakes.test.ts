/** Config mistakes → the message: every object in the schema refuses unknown keys, naming the key path and the nearest known key. */
import { describe, expect, it } from 'vitest';
import { createLocalhostTls } from '../../../local/tls';
import { checkConfig, ConfigError, defineConfig, isConfigError, knownKeysAt, CertflowConfigSchema, nearestKey } from '../../../infra/config';

const zones = [{ name: 'example.com', id: 'Z1EXAMPLE' }];
const poll = { waitSeconds: 1, maxAttempts: 1 };

function problemsOf(input: unknown): string[] {
  const result = checkConfig(input);
  if (result.ok) throw new Error('the config was accepted');
  return result.problems;
}

describe('config mistakes', () => {
  it.each<[string, unknown, string[]]>([
    [
      'hostedZone for hostedZones',
      { hostedZone: zones },
      ['hostedZones: at least one hosted zone is needed', "hostedZone: unknown key; did you mean 'hostedZones'?"],
    ],
    ['acme.directoryURL for directoryUrl (case)', { hostedZones: zones, acme: { directoryURL: 'https://x' } }, ["acme.directoryURL: unknown key; did you mean 'directoryUrl'?"]],
    ['acme.contacts', { hostedZones: zones, acme: { contacts: ['mailto:a@b.c'] } }, ["acme.contacts: unknown key; did you mean 'contact'?"]],
    ['a zone id under zoneId', { hostedZones: [{ name: 'example.com', zoneId: 'Z1' }] }, ["hostedZones['example.com'].zoneId: unknown key; did you mean 'id'?"]],
    ['a directory anchors list', { hostedZones: zones, acme: { directories: [{ url: 'https://ca.example/acme', trustAnchor: [] }] } }, [
      'acme.directories[0].trustAnchors: is missing',
      "acme.directories[0].trustAnchor: unknown key; did you mean 'trustAnchors'?",
    ]],
    ['delegations targetzone', { hostedZones: zones, delegations: [{ match: 'example.com', targetzone: 'acme.example.net' }] }, ["delegations['example.com'].targetzone: unknown key; did you mean 'targetZone'?"]],
    ['a certificate renewBefore', { hostedZones: zones, certificates: [{ id: 'mq', names: ['mq.example.com'], renewBefore: 30 }] }, ["certificates['mq'].renewBefore: unknown key; did you mean 'renewBeforeDays'?"]],
    [
      'a keystore password in clear',
      { hostedZones: zones, certificates: [{ id: 'mq', names: ['mq.example.com'], keystore: { password: 'hunter2' } }] },
      ["certificates['mq'].keystore.password: unknown key; did you mean 'passwordSecretRef'?"],
    ],
    ['a subscriber certificates list', { hostedZones: zones, subscribers: [{ name: 'brokers', certificateIds: ['mq'], certificates: ['mq'] }] }, ["subscribers['brokers'].certificates: unknown key; did you mean 'certificateIds'?"]],
    ['schedule.scanInterval', { hostedZones: zones, schedule: { scanInterval: 3 } }, ["schedule.scanInterval: unknown key; did you mean 'scanIntervalHours'?"]],
    [
      'schedule.orderBudget.window',
      { hostedZones: zones, schedule: { orderBudget: { window: 3, maxOrders: 10 } } },
      ['schedule.orderBudget.windowHours: is missing', "schedule.orderBudget.window: unknown key; did you mean 'windowHours'?"],
    ],
    ['lambda.memory', { hostedZones: zones, lambda: { memoryMb: 512, timeoutSeconds: 30, memory: 1024 } }, ["lambda.memory: unknown key; did you mean 'memoryMb'?"]],
    ['poll.dnsSync.wait', { hostedZones: zones, poll: { dnsSync: { ...poll, wait: 5 }, orderReady: poll, certificateIssued: poll } }, ["poll.dnsSync.wait: unknown key; did you mean 'waitSeconds'?"]],
    [
      'groups whose host queues would mix (issue #20 point 7)',
      { hostedZones: zones, subscribers: [{ name: 'brokers', certificateIds: ['mq'] }, { name: 'brokers-eu', certificateIds: ['mq'] }, { name: 'brokersx', certificateIds: ['mq'] }] },
      ["subscribers['brokers-eu'].name: 'brokers-eu' starts with 'brokers-': the host queues of group 'brokers' (certflow-brokers-*) would include this group's, and their host names could collide; rename one group"],
    ],
    ['a group named twice', { hostedZones: zones, subscribers: [{ name: 'brokers', certificateIds: ['mq'] }, { name: 'brokers', certificateIds: ['web'] }] }, ["subscribers['brokers'].name: duplicate group 'brokers'"]],
    ['a key like none known', { hostedZones: zones, subscribers: [{ name: 'brokers', certificateIds: ['mq'], queue: 'q' }] }, ["subscribers['brokers'].queue: unknown key (known here: name, certificateIds)"]],
    ['two unknown keys at the top', { hostedZones: zones, evntBusName: 'x', region: 'eu-west-1' }, [
      "evntBusName: unknown key; did you mean 'eventBusName'?",
      'region: unknown key (known here: acme, hostedZones, delegations, verifyAuthoritativeNameServers, secretPrefix, eventBusName, certificates, subscribers, schedule, lambda, poll, privateCa)',
    ]],
  ])('%s', (_case, input, problems) => {
    expect(problemsOf(input)).toEqual(problems);
  });

  it('defineConfig throws a ConfigError holding the same problems, its message listing them', () => {
    let thrown: unknown;
    try {
      defineConfig({ hostedZones: zones, acme: { directoryURL: 'x' } } as never);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect(isConfigError(thrown)).toBe(true);
    expect((thrown as ConfigError).problems).toEqual(["acme.directoryURL: unknown key; did you mean 'directoryUrl'?"]);
    expect((thrown as Error).message).toBe("certflow config is invalid:\n  - acme.directoryURL: unknown key; did you mean 'directoryUrl'?");
  });

  it('finds the keys of every object in the schema, through defaults and lists', () => {
    expect(knownKeysAt(CertflowConfigSchema, ['schedule', 'orderBudget'])).toEqual(['windowHours', 'maxOrders']);
    expect(knownKeysAt(CertflowConfigSchema, ['certificates', 0, 'keystore'])).toEqual(['alias', 'profile', 'passwordSecretRef']);
    expect(knownKeysAt(CertflowConfigSchema, ['acme', 'directories', 2])).toEqual(['url', 'trustAnchors']);
    expect(knownKeysAt(CertflowConfigSchema, ['secretPrefix'])).toEqual([]);
  });

  it.each([
    ['hostedZone', ['hostedZones', 'delegations'], 'hostedZones'],
    ['directoryURL', ['directoryUrl', 'contact'], 'directoryUrl'],
    ['zones', ['hostedZones', 'secretPrefix'], 'hostedZones'],
    ['region', ['acme', 'hostedZones', 'lambda'], undefined],
  ])('nearestKey(%s) is %s', (key, known, nearest) => {
    expect(nearestKey(key, known)).toBe(nearest);
  });

  it('accepts every key docs/reference/config.md documents, in a full config', async () => {
    const { caPem } = await createLocalhostTls();
    const result = checkConfig({
      acme: { directoryUrl: 'https://acme-staging-v02.api.letsencrypt.org/directory', contact: ['mailto:ops@corp.io'], externalAccountBindingSecret: 'certflow/eab/ca' },
      hostedZones: [{ name: 'corp.io', id: 'Z1ABC', roleArn: 'arn:aws:iam::210987654321:role/certflow-dns', externalId: 'certflow' }],
      delegations: [{ match: 'corp.io', targetZone: 'acme.corp.net' }],
      verifyAuthoritativeNameServers: true,
      secretPrefix: 'certflow/',
      eventBusName: 'certflow',
      certificates: [{ id: 'mq', names: ['mq.corp.io'], keyType: 'rsa-2048', renewBeforeDays: 30, keystore: { alias: 'mq', profile: 'modern' } }],
      subscribers: [{ name: 'brokers', certificateIds: ['mq'] }],
      schedule: { scanIntervalHours: 6, orderBudget: { windowHours: 3, maxOrders: 300 }, maxConcurrentRenewals: 10, maxRenewalsPerScan: 50, expiringDays: 7 },
      lambda: { memoryMb: 512, timeoutSeconds: 30 },
      poll: { dnsSync: poll, orderReady: poll, certificateIssued: poll },
      privateCa: { certificateAuthorityArn: 'arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555', mode: 'SHORT_LIVED_CERTIFICATE', trustAnchors: [caPem], defaultLifetimeDays: 7, signingAlgorithm: 'SHA256WITHRSA' },
    });
    expect(result.ok ? [] : result.problems).toEqual([]);
  });
});
