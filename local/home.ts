/**
 * Where the local store lives, for every command: one resolution, found like git finds its
 * repository. $CERTFLOW_HOME when set; else `.certflow` in the project root, the nearest folder from
 * the working directory up that holds `certflow.config.ts` or a `.certflow/` store; else `.certflow`
 * in the working directory. So `certflow issue` run from `docs/` writes the store that
 * `certflow renew --all` and `certflow list` read at the root.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';

const HOME_DIR = '.certflow';
const MARKERS = ['certflow.config.ts', HOME_DIR];

/** The nearest folder from `from` up holding certflow.config.ts or .certflow/; undefined when none does. */
export function projectRoot(from: string = process.cwd()): string | undefined {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (MARKERS.some((marker) => existsSync(path.join(dir, marker)))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** The local store: $CERTFLOW_HOME, else <project root>/.certflow, else ./.certflow. */
export function certflowHome(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  if (env.CERTFLOW_HOME) return path.resolve(cwd, env.CERTFLOW_HOME);
  return path.join(projectRoot(cwd) ?? path.resolve(cwd), HOME_DIR);
}
