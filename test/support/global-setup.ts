/** Before any suite: the tools the tests judge with must exist; as root, missing ones are installed. */
import { spawnSync } from 'node:child_process';
import { installDebianPackages } from '../../local/debian';
import { ensurePebbleInstalled } from '../../local/pebble';

const TOOLS: [command: string, args: string[], debianPackage: string][] = [
  ['openssl', ['version'], 'openssl'],
  ['keytool', ['-help'], 'openjdk-17-jdk-headless'],
  ['javac', ['-version'], 'openjdk-17-jdk-headless'],
];

const missingPackages = () => [
  ...new Set(TOOLS.filter(([command, args]) => spawnSync(command, args, { stdio: 'ignore' }).error).map(([, , pkg]) => pkg)),
];

export default function setup(): void {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  ensurePebbleInstalled(log);
  const missing = missingPackages();
  if (missing.length > 0) installDebianPackages(missing, log);
  if (missingPackages().length > 0) throw new Error(`tests need ${missingPackages().join(', ')}`);
}
