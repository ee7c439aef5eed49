/** Installing missing Debian packages for the local default and the tests, when allowed. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** apt-get install, as root only; otherwise throws with the command to run. */
export function installDebianPackages(packages: readonly string[], log: (line: string) => void): void {
  const command = `sudo apt-get install -y ${packages.join(' ')}`;
  if (!existsSync('/usr/bin/apt-get')) throw new Error(`no apt-get on this machine: install ${packages.join(', ')} by hand`);
  if (process.getuid?.() !== 0) throw new Error(`run: ${command}`);
  log(`Installing Debian package(s) ${packages.join(', ')} (apt-get install -y)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const install = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { stdio: 'inherit', env });
  if (update.status !== 0 || install.status !== 0) throw new Error(`apt-get could not install ${packages.join(', ')}; run: ${command}`);
}
