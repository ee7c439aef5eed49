/**
 * Before any suite: the tools the tests judge with must exist (as root, missing ones are
 * installed), and the AWS API emulator runs for the AWS tests, unless AWS_ENDPOINT_URL names
 * another endpoint. CERTFLOW_REQUIRE_AWS=1 (set by .ci/run) makes a missing emulator an error
 * instead of a reason to skip.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { emulatorUnavailable, startAwsEmulator, type RunningEmulator } from '../../local/aws-emulator';
import { installDebianPackages } from '../../local/debian';
import { ensurePebbleInstalled } from '../../local/pebble';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The AWS endpoint the AWS tests use; empty when they must skip. */
    awsEndpoint: string;
    /** True for the emulator started here (test credentials); false for AWS_ENDPOINT_URL. */
    awsIsEmulator: boolean;
    awsSkipReason: string;
  }
}

const TOOLS: [command: string, args: string[], debianPackage: string][] = [
  ['openssl', ['version'], 'openssl'],
  ['keytool', ['-help'], 'openjdk-17-jdk-headless'],
  ['javac', ['-version'], 'openjdk-17-jdk-headless'],
  // The reload recipes (test/e2e/reload-recipes.test.ts): real servers, run as their own users.
  ['nginx', ['-v'], 'nginx-light'],
  ['mosquitto', ['-h'], 'mosquitto'],
  ['curl', ['--version'], 'curl'],
];

/** Packages known by a file they install (no command of their own to run). */
const FILES: [file: string, debianPackage: string][] = [
  ['/usr/share/tomcat10/bin/catalina.sh', 'tomcat10'],
  ['/usr/share/tomcat10-admin/manager/WEB-INF/web.xml', 'tomcat10-admin'],
  ['/usr/lib/rabbitmq/bin/rabbitmq-server', 'rabbitmq-server'],
  ['/usr/share/activemq/bin/activemq.jar', 'activemq'],
];

const missingPackages = () => [
  ...new Set([
    ...TOOLS.filter(([command, args]) => spawnSync(command, args, { stdio: 'ignore' }).error).map(([, , pkg]) => pkg),
    ...FILES.filter(([file]) => !existsSync(file)).map(([, pkg]) => pkg),
  ]),
];

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  ensurePebbleInstalled(log);
  const missing = missingPackages();
  if (missing.length > 0) installDebianPackages(missing, log);
  if (missingPackages().length > 0) throw new Error(`tests need ${missingPackages().join(', ')}`);

  const given = process.env.AWS_ENDPOINT_URL;
  if (given) {
    project.provide('awsEndpoint', given);
    project.provide('awsIsEmulator', false);
    project.provide('awsSkipReason', '');
    return undefined;
  }
  const unavailable = emulatorUnavailable();
  if (unavailable) {
    if (process.env.CERTFLOW_REQUIRE_AWS === '1') throw new Error(`CERTFLOW_REQUIRE_AWS=1 but ${unavailable}`);
    log(`AWS tests will be skipped: ${unavailable}`);
    project.provide('awsEndpoint', '');
    project.provide('awsIsEmulator', false);
    project.provide('awsSkipReason', unavailable);
    return undefined;
  }
  const emulator = await sharedEmulator(log);
  project.provide('awsEndpoint', emulator.endpoint);
  project.provide('awsIsEmulator', true);
  project.provide('awsSkipReason', '');
  return () => releaseEmulator();
}

/*
 * Vitest runs the global setup once for the root and once per project (vitest.config.ts), each
 * with its own module instance: one emulator serves them all, stopped when the last lets go.
 */
interface Shared {
  emulator?: Promise<RunningEmulator>;
  users: number;
}
const shared: Shared = ((globalThis as { certflowAwsEmulator?: Shared }).certflowAwsEmulator ??= { users: 0 });

function sharedEmulator(log: (line: string) => void): Promise<RunningEmulator> {
  shared.users += 1;
  shared.emulator ??= (async () => {
    const started = Date.now();
    const emulator = await startAwsEmulator({ log });
    log(`AWS API emulator at ${emulator.endpoint} (started in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return emulator;
  })();
  return shared.emulator;
}

async function releaseEmulator(): Promise<void> {
  shared.users -= 1;
  if (shared.users > 0 || !shared.emulator) return;
  const emulator = shared.emulator;
  shared.emulator = undefined;
  await (await emulator).stop();
}
