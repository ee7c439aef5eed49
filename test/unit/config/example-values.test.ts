/** The shipped example values: found in the config, refused by the template, and `cdk deploy` told from `cdk synth`. */
import { App, CfnWaitConditionHandle, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import shipped from '../../../certflow.config';
import { defineConfig } from '../../../infra/config';
import { cdkCliCommand, exampleValuesIn, guardExampleValues } from '../../../infra/example-values';

const own = defineConfig({
  acme: { contact: ['mailto:pki@corp.io'] },
  hostedZones: [{ name: 'corp.io', id: 'Z04ABCDEF1GHIJ', roleArn: 'arn:aws:iam::210987654321:role/certflow-dns' }],
  delegations: [{ match: 'corp.io', targetZone: 'acme.corp.net' }],
  certificates: [{ id: 'mq', names: ['mq.corp.io', '*.mq.corp.io'] }],
});

describe('exampleValuesIn', () => {
  it('names every example value the shipped config holds, with its key', () => {
    expect(exampleValuesIn(shipped)).toEqual([
      { key: 'acme.contact[0]', value: 'mailto:pki-team@example.com' },
      { key: "hostedZones['example.com'].name", value: 'example.com' },
      { key: "hostedZones['example.com'].id", value: 'Z0123456789EXAMPLE' },
      { key: "certificates['broker-eu1'].names[0]", value: 'mq.example.com' },
      { key: "certificates['broker-eu1'].names[1]", value: '*.mq.example.com' },
    ]);
  });

  it('finds none in a config of your own', () => {
    expect(exampleValuesIn(own)).toEqual([]);
  });

  it.each<[string, Parameters<typeof defineConfig>[0], string[]]>([
    ['a documentation account in a zone role', { hostedZones: [{ name: 'corp.io', roleArn: 'arn:aws:iam::123456789012:role/dns' }] }, ["hostedZones['corp.io'].roleArn"]],
    ['a .test zone and its certificate', { hostedZones: [{ name: 'certflow.test' }], certificates: [{ id: 'a', names: ['a.certflow.test'] }] }, ["hostedZones['certflow.test'].name", "certificates['a'].names[0]"]],
    ['an example delegation target', { hostedZones: [{ name: 'corp.io' }], delegations: [{ match: 'corp.io', targetZone: 'validation.example.net' }] }, ["delegations['corp.io'].targetZone"]],
    ['an example alarm topic', { hostedZones: [{ name: 'corp.io' }], schedule: { alarmTopicArn: 'arn:aws:sns:eu-west-1:111111111111:alarms' } }, ['schedule.alarmTopicArn']],
  ])('finds %s', (_case, input, keys) => {
    expect(exampleValuesIn(defineConfig(input)).map(({ key }) => key)).toEqual(keys);
  });
});

describe('guardExampleValues', () => {
  const template = (config: typeof own) => {
    const stack = new Stack(new App(), 'Guarded');
    new CfnWaitConditionHandle(stack, 'AnyResource'); // a template needs one
    guardExampleValues(stack, config);
    return { stack, template: Template.fromStack(stack) };
  };

  it('example values: a Rule no value passes, with the message naming each; and a synth warning', () => {
    const { stack, template: guarded } = template(shipped);
    const rules = guarded.toJSON().Rules as Record<string, { Assertions: { Assert: unknown; AssertDescription: string }[] }>;
    const [assertion] = rules.CertflowNoExampleValues!.Assertions;
    expect(assertion!.Assert).toEqual({ 'Fn::Equals': [{ Ref: 'CertflowExampleValues' }, '__certflow_never__'] });
    expect(assertion!.AssertDescription).toContain("hostedZones['example.com'].id: 'Z0123456789EXAMPLE'");
    expect(assertion!.AssertDescription).toContain("acme.contact[0]: 'mailto:pki-team@example.com'");
    guarded.hasParameter('CertflowExampleValues', { Type: 'String', Default: Match.stringLikeRegexp("hostedZones\\['example.com'\\].id") });
    Annotations.fromStack(stack).hasWarning('/Guarded', Match.stringLikeRegexp('still holds 5 example value'));
  });

  it('a config of your own: no rule, no parameter, no warning', () => {
    const { stack, template: clean } = template(own);
    expect(clean.toJSON().Rules?.CertflowNoExampleValues).toBeUndefined();
    expect(Object.keys(clean.findParameters('CertflowExampleValues'))).toEqual([]);
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });
});

describe('cdkCliCommand', () => {
  /** A process table: pid → parent and arguments. */
  const table = (rows: Record<number, [number, string[]]>) => (pid: number) => (rows[pid] ? { ppid: rows[pid][0], args: rows[pid][1] } : undefined);

  it.each<[string, Record<number, [number, string[]]>, string | undefined]>([
    [
      'cdk deploy → sh → npx → tsx',
      {
        40: [30, ['node', '/p/node_modules/tsx/dist/cli.mjs', 'bin/app.ts']],
        30: [20, ['node', '/usr/lib/node_modules/npm/bin/npx-cli.js', 'tsx', 'bin/app.ts']],
        20: [10, ['/bin/sh', '-c', 'npx tsx bin/app.ts']],
        10: [1, ['node', '/p/node_modules/.bin/cdk', '--profile', 'prod', 'deploy', '--require-approval', 'never']],
      },
      'deploy',
    ],
    ['cdk synth', { 20: [10, ['/bin/sh', '-c', 'npx tsx bin/app.ts']], 10: [1, ['node', '/p/node_modules/aws-cdk/bin/cdk', 'synth', '-q']] }, 'synth'],
    ['no cdk above (vitest, tsx by hand)', { 20: [10, ['node', 'vitest']], 10: [1, ['bash']] }, undefined],
    ['an unreadable process', { 20: [10, ['node', 'x']] }, undefined],
  ])('%s', (_case, rows, command) => {
    expect(cdkCliCommand(40 in rows ? 40 : 20, table(rows))).toBe(command);
  });

  it('reads this machine\'s real process table without throwing (no cdk above vitest)', () => {
    expect(cdkCliCommand()).toBeUndefined();
  });
});
