/** A local pipeline (Pebble + DNS server + file store) per test file, with its logs captured. */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { startLocalPipeline, type LocalPipeline, type LocalPipelineOptions } from '../../local/environment';

export const run = promisify(execFile);

export interface TestPipeline extends LocalPipeline {
  readonly root: string;
  readonly logs: string[];
  dispose(): Promise<void>;
}

export async function startTestPipeline(options: Omit<LocalPipelineOptions, 'root' | 'logSink'> = {}): Promise<TestPipeline> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-e2e-'));
  const logs: string[] = [];
  const pipeline = await startLocalPipeline({ ...options, root, logSink: (line) => logs.push(line) });
  return {
    ...pipeline,
    root,
    logs,
    async dispose() {
      await pipeline.stop();
      await fs.rm(root, { recursive: true, force: true });
    },
  };
}

/** `openssl verify` of a leaf against a root, with the intermediates as untrusted. */
export async function opensslVerify(dir: string, leafPem: string, chainPem: string, rootPem: string): Promise<string> {
  await fs.writeFile(path.join(dir, 'v-leaf.pem'), leafPem);
  await fs.writeFile(path.join(dir, 'v-chain.pem'), chainPem);
  await fs.writeFile(path.join(dir, 'v-root.pem'), rootPem);
  const { stdout } = await run('openssl', ['verify', '-CAfile', 'v-root.pem', '-untrusted', 'v-chain.pem', 'v-leaf.pem'], { cwd: dir });
  return stdout.trim();
}
