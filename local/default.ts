/**
 * The embedded local default as the commands start it (`certflow issue|renew`, `npm run demo`):
 * the store under CERTFLOW_HOME (local/home.ts), Pebble checked, the pipeline started with
 * synthesis progress shown when the cached definitions are out of date.
 */
import { caStatus, sharedCaOf } from './ca-daemon';
import { synthesisProgress } from './definition-cache';
import { connectLocalPipeline, LOCAL_ZONES, startLocalPipeline, type LocalRunner } from './environment';
import { ensurePebbleInstalled } from './pebble';
import type { ManagedCertificate } from '../domain/contracts/settings';

import { certflowHome } from './home';

export { certflowHome };

export interface LocalDefaultOptions {
  readonly root?: string;
  /** Where progress lines go (default stdout). */
  readonly write?: (text: string) => void;
  /** The declared inventory the scan renews from (`certflow renew --all`). */
  readonly certificates?: readonly ManagedCertificate[];
}

/**
 * The local CA of `certflow local start` when it runs for `root`; otherwise check Pebble, then
 * start Pebble + DNS + store + events on `root`. Prints where things are.
 */
export async function startLocalDefault(options: LocalDefaultOptions = {}): Promise<LocalRunner> {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const root = options.root ?? certflowHome();
  const declared = options.certificates ? { certificates: options.certificates } : {};
  const shared = await caStatus(root);
  if (shared.running) {
    write(`Using the local CA of certflow local start: Pebble ${shared.state.directoryUrl}, DNS on 127.0.0.1:${shared.state.dnsPort}/udp\n`);
    return connectLocalPipeline(sharedCaOf(root, shared.state, LOCAL_ZONES), { root, onSynthesis: synthesisProgress(write), ...declared });
  }
  ensurePebbleInstalled();
  write('Starting Pebble (local ACME CA) and the embedded DNS server…\n');
  const pipeline = await startLocalPipeline({ root, onSynthesis: synthesisProgress(write), ...declared });
  write(`  Pebble directory ${pipeline.pebble.directoryUrl}, DNS on 127.0.0.1:${pipeline.dnsServer.port}/udp\n`);
  return pipeline;
}
