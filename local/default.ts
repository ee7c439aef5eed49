/**
 * The embedded local default as the commands start it (`certflow issue|renew`, `npm run demo`):
 * the store under CERTFLOW_HOME (default .certflow), Pebble checked, the pipeline started with
 * synthesis progress shown when the cached definitions are out of date.
 */
import * as path from 'node:path';
import { synthesisProgress } from './definition-cache';
import { startLocalPipeline, type LocalPipeline } from './environment';
import { ensurePebbleInstalled } from './pebble';

/** Where the local store and events live: $CERTFLOW_HOME, default ./.certflow. */
export function certflowHome(): string {
  return path.resolve(process.env.CERTFLOW_HOME ?? '.certflow');
}

export interface LocalDefaultOptions {
  readonly root?: string;
  /** Where progress lines go (default stdout). */
  readonly write?: (text: string) => void;
}

/** Check Pebble, then start Pebble + DNS + store + events on `root`; prints where things are. */
export async function startLocalDefault(options: LocalDefaultOptions = {}): Promise<LocalPipeline> {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  ensurePebbleInstalled();
  write('Starting Pebble (local ACME CA) and the embedded DNS server…\n');
  const pipeline = await startLocalPipeline({ root: options.root ?? certflowHome(), onSynthesis: synthesisProgress(write) });
  write(`  Pebble directory ${pipeline.pebble.directoryUrl}, DNS on 127.0.0.1:${pipeline.dnsServer.port}/udp\n`);
  return pipeline;
}
