/**
 * A stand-in broker host for fleet tests and benchmarks: a TLS listener that serves what
 * `<dir>/live/<id>/` holds, and the certflow agent that installs there and reloads it (the
 * listener swaps its secure context, as a broker's SSL reload does). `served()` asks the listener
 * over TLS which certificate it presents: "installed" means served, not just written.
 */
import * as fs from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { startAgent, type AgentSourceOptions, type RunningAgent } from '../agent';
import type { ReloadContext } from '../agent/ports';
import { FILE } from '../domain/keystores/formats';

export interface ServingHostOptions {
  /** The host id (its queue name, its reports). */
  readonly name: string;
  readonly installDir: string;
  readonly certificateId: string;
  readonly source: AgentSourceOptions;
  readonly reconcileIntervalMs?: number;
  readonly logSink?: (line: string) => void;
}

export interface ServingHost {
  readonly name: string;
  readonly installDir: string;
  readonly agent: RunningAgent;
  /** What the reload action was asked to load, in order. */
  readonly reloads: readonly ReloadContext[];
  /** The serial number (lower-case hex) the listener presents now; undefined before the first install. */
  served(): Promise<string | undefined>;
  stop(): Promise<void>;
}

export async function startServingHost(options: ServingHostOptions): Promise<ServingHost> {
  let server: tls.Server | undefined;
  const reloads: ReloadContext[] = [];
  const context = async (liveDir: string) => ({
    cert: await fs.readFile(path.join(liveDir, FILE.fullchain)),
    key: await fs.readFile(path.join(liveDir, FILE.privateKey)),
  });
  const reload = async (reloadContext: ReloadContext) => {
    const files = await context(reloadContext.liveDir);
    if (server) server.setSecureContext(files);
    else {
      const started = tls.createServer(files, (socket) => socket.end());
      await new Promise<void>((resolve) => started.listen(0, '127.0.0.1', resolve));
      server = started;
    }
    reloads.push(reloadContext);
  };
  const agent = await startAgent({
    certificateIds: [options.certificateId],
    installDir: options.installDir,
    source: options.source,
    host: options.name,
    reload: { kind: 'action', action: { description: `swap the TLS context of ${options.name}`, reload } },
    reconcileIntervalMs: options.reconcileIntervalMs ?? 0,
    logSink: options.logSink ?? (() => {}),
  });
  return {
    name: options.name,
    installDir: options.installDir,
    agent,
    reloads,
    served: () => (server ? presentedSerial((server.address() as AddressInfo).port) : Promise.resolve(undefined)),
    async stop() {
      await agent.stop();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    },
  };
}

function presentedSerial(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const serial = socket.getPeerCertificate().serialNumber.toLowerCase();
      socket.destroy();
      resolve(serial);
    });
    socket.once('error', reject);
  });
}
