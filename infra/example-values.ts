/**
 * The example values certflow.config.ts ships with (the placeholder zone id, `example.com`, the
 * example contact and account ids) must not reach an AWS account: `cdk synth` and the tests
 * synthesize them freely, `cdk deploy` stops, naming each one.
 *
 * The CDK CLI runs the app the same way for `synth` and `deploy` (same context, same
 * environment: `aws:cdk:bundling-stacks` is `["**"]` for both), so the app cannot know it is
 * being deployed from what the CLI passes. Two guards, then:
 * - bin/app.ts stops before synthesis when the CDK CLI that started it is running `deploy`
 *   (`cdkCliCommand`, from the process ancestry), before any asset is uploaded;
 * - the template itself carries a CloudFormation Rule whose assertion fails with the same
 *   message, so CloudFormation refuses the change set however the template is deployed
 *   (a pipeline, `cdk deploy --app cdk.out`, the console). `cdk synth` shows a warning.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Annotations, CfnParameter, CfnRule, Fn, type Stack } from 'aws-cdk-lib';
import type { CertflowConfig } from './config';

/** RFC 2606 / 6761 names reserved for documentation and testing: never a real deployment's zone. */
const EXAMPLE_DOMAIN = /(^|\.)(example\.(com|net|org)|example|test|invalid|localhost)$/i;
/** Account ids that appear in AWS documentation and in our examples. */
const EXAMPLE_ACCOUNTS = new Set(['123456789012', '111111111111', '000000000000']);
const EXAMPLE_ACCOUNT_IN_ARN = /^arn:[^:]+:[^:]*:[^:]*:(\d{12}):/;

/** One shipped example value left in the config: the key where it is and the value. */
export interface ExampleValue {
  readonly key: string;
  readonly value: string;
}

const isExampleName = (name: string) => EXAMPLE_DOMAIN.test(name.replace(/^\*\./, '').replace(/\.$/, ''));
const mailDomain = (contact: string) => contact.replace(/^mailto:/i, '').split('@')[1] ?? '';
const exampleAccount = (arn: string | undefined) => {
  const account = arn === undefined ? undefined : EXAMPLE_ACCOUNT_IN_ARN.exec(arn)?.[1];
  return account !== undefined && EXAMPLE_ACCOUNTS.has(account);
};

/** Every example value in `config`, in the file's order; [] for a config ready to deploy. */
export function exampleValuesIn(config: CertflowConfig): ExampleValue[] {
  const found: ExampleValue[] = [];
  const add = (key: string, value: string) => found.push({ key, value });
  config.acme.contact.forEach((contact, index) => {
    if (isExampleName(mailDomain(contact))) add(`acme.contact[${index}]`, contact);
  });
  for (const zone of config.hostedZones) {
    const at = `hostedZones['${zone.name}']`;
    if (isExampleName(zone.name)) add(`${at}.name`, zone.name);
    if (zone.id !== undefined && /EXAMPLE/i.test(zone.id)) add(`${at}.id`, zone.id);
    if (exampleAccount(zone.roleArn)) add(`${at}.roleArn`, zone.roleArn!);
  }
  for (const delegation of config.delegations) {
    for (const [field, name] of [['match', delegation.match], ['target', delegation.target], ['targetZone', delegation.targetZone]] as const) {
      if (name !== undefined && isExampleName(name)) add(`delegations['${delegation.match}'].${field}`, name);
    }
  }
  for (const certificate of config.certificates) {
    certificate.names.forEach((name, index) => {
      if (isExampleName(name)) add(`certificates['${certificate.id}'].names[${index}]`, name);
    });
  }
  if (exampleAccount(config.schedule.alarmTopicArn)) add('schedule.alarmTopicArn', config.schedule.alarmTopicArn!);
  return found;
}

/** The message deploy stops with: one line per example value. */
export function exampleValuesMessage(values: readonly ExampleValue[]): string {
  return [
    `certflow.config.ts still holds ${values.length} example value(s); replace them with your own before deploying (docs/how-to/deploy.md):`,
    ...values.map(({ key, value }) => `  - ${key}: '${value}'`),
  ].join('\n');
}

/** The CDK CLI's subcommands (an option's value, `--profile prod`, is not one of them). */
const CDK_COMMANDS = new Set(['deploy', 'watch', 'synth', 'synthesize', 'diff', 'destroy', 'import', 'list', 'ls', 'bootstrap', 'drift', 'refactor', 'rollback', 'publish-assets', 'doctor', 'context', 'gc', 'flags', 'metadata', 'acknowledge', 'notices', 'init', 'migrate', 'docs']);

/** The CDK CLI subcommands that deploy the template: the example values stop them. */
export const DEPLOYING_COMMANDS: ReadonlySet<string> = new Set(['deploy', 'watch']);

/**
 * The subcommand of the CDK CLI that started this process (`deploy`, `synth`, …), found by
 * walking up the process tree to the `cdk` command line; undefined when none is found (run
 * directly, by a test, or on a system without /proc or `ps`).
 */
export function cdkCliCommand(startPid = process.ppid, commandLineOf: (pid: number) => { ppid: number; args: string[] } | undefined = processInfo): string | undefined {
  let pid = startPid;
  for (let depth = 0; depth < 8 && pid > 1; depth++) {
    const info = commandLineOf(pid);
    if (!info) return undefined;
    const cli = info.args.findIndex((arg) => /(^|[\\/])(aws-cdk[\\/]bin[\\/]cdk(\.js)?|cdk)$/.test(arg));
    if (cli >= 0) return info.args.slice(cli + 1).find((arg) => CDK_COMMANDS.has(arg));
    pid = info.ppid;
  }
  return undefined;
}

function processInfo(pid: number): { ppid: number; args: string[] } | undefined {
  try {
    // Linux: NUL-separated arguments; the parent pid is the 4th field of stat, after the "(comm)".
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return { ppid: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]), args };
  } catch {
    try {
      // macOS and other Unixes: ps (arguments split on spaces, enough to find `cdk deploy`).
      const line = execFileSync('ps', ['-o', 'ppid=', '-o', 'args=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      const [ppid, ...args] = line.split(/\s+/);
      return ppid ? { ppid: Number(ppid), args } : undefined;
    } catch {
      return undefined;
    }
  }
}

/**
 * Mark a stack built from a config with example values: a warning at synth, and a Rule that
 * makes CloudFormation refuse the change set with the message (it holds for any way of
 * deploying the template). A config without example values adds nothing.
 */
export function guardExampleValues(stack: Stack, config: CertflowConfig): void {
  const values = exampleValuesIn(config);
  if (values.length === 0) return;
  const message = exampleValuesMessage(values);
  Annotations.of(stack).addWarningV2('certflow:ExampleValues', `${message}\n\`cdk deploy\` refuses this template.`);
  // CloudFormation rules assert on parameters: this one holds the list, and no value passes.
  const parameter = new CfnParameter(stack, 'CertflowExampleValues', {
    type: 'String',
    default: values.map(({ key }) => key).join(', '),
    description: 'Example values left in certflow.config.ts (the template refuses to deploy while there are any)',
  });
  new CfnRule(stack, 'CertflowNoExampleValues', {
    assertions: [{ assert: Fn.conditionEquals(parameter.valueAsString, '__certflow_never__'), assertDescription: message.slice(0, 1000) }],
  });
}
