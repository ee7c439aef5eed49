/**
 * Brokers in a ring of mutual-TLS links (A→B→C→A), each a real JVM (java/MtlsRingNode.java) that
 * serves live/<id>/keystore.jks, trusts live/<id>/truststore.jks, reloads both on SIGHUP and
 * connects to its peer over mTLS every few milliseconds; the counts are the JVMs' own.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startJavaServer, type JavaServer } from './java-tls';
import { FILE } from '../../domain/keystores/formats';

interface RingCounts {
  readonly clientOk: number;
  readonly clientFailed: number;
  readonly serverOk: number;
  readonly serverFailed: number;
}

interface RingNode {
  readonly name: string;
  readonly ringPort: number;
  /** Same keystore, no client authentication: the agent's --verify-tls endpoint. */
  readonly probePort: number;
  readonly pidfile: string;
  /** The JVM's latest counts (printed every 200 ms). */
  counts(): RingCounts;
  /** "client-fail …" / "server-fail …" / "reload-failed …" lines, for the assertion message. */
  failures(): string[];
  /** Serials of the peer's leaf in the order this node saw them. */
  peerSerials(): string[];
  /** Truststore sizes at each (re)load. */
  loads(): { serial: string; trusted: number }[];
  stop(): Promise<void>;
}

export interface Ring {
  readonly nodes: readonly RingNode[];
  /** Sum over the nodes. */
  counts(): RingCounts;
  failures(): string[];
  stop(): Promise<void>;
}

/**
 * One node per host, in ring order: node i connects to node i+1 (the last to the first), checking
 * it against `names[i+1]`. `liveDirs[i]` is the host's live/<id> folder.
 */
export async function startRing({ liveDirs, names, pauseMs }: { liveDirs: readonly string[]; names: readonly string[]; pauseMs: number }): Promise<Ring> {
  const dir = await mkdtemp(join(tmpdir(), 'certflow-ring-'));
  const peerFile = (index: number) => join(dir, `peer-of-${index}`);
  const nodes: RingNode[] = [];
  try {
    for (const [index, live] of liveDirs.entries()) {
      const peer = (index + 1) % liveDirs.length;
      const server = await startJavaServer('MtlsRingNode', [
        join(live, FILE.jksKeystore), join(live, FILE.jksTruststore), join(live, FILE.password), peerFile(index), names[peer]!, String(pauseMs),
      ]);
      const pidfile = join(dir, `node-${index}.pid`);
      await writeFile(pidfile, `${server.pid}\n`);
      nodes.push(node(names[index]!, server, pidfile));
    }
    // Each node starts its loop once its peer's port is known.
    for (const index of nodes.keys()) await writeFile(peerFile(index), String(nodes[(index + 1) % nodes.length]!.ringPort));
  } catch (error) {
    await Promise.all(nodes.map((started) => started.stop()));
    throw error;
  }
  const sum = (key: keyof RingCounts) => nodes.reduce((total, each) => total + each.counts()[key], 0);
  return {
    nodes,
    counts: () => ({ clientOk: sum('clientOk'), clientFailed: sum('clientFailed'), serverOk: sum('serverOk'), serverFailed: sum('serverFailed') }),
    failures: () => nodes.flatMap((each) => each.failures().map((line) => `${each.name}: ${line}`)),
    async stop() {
      await Promise.all(nodes.map((each) => each.stop()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function node(name: string, server: JavaServer, pidfile: string): RingNode {
  const lines = (pattern: RegExp) => [...server.stdout().matchAll(pattern)];
  return {
    name,
    ringPort: server.ports[0]!,
    probePort: server.ports[1]!,
    pidfile,
    counts() {
      const last = lines(/^stats (\d+) (\d+) (\d+) (\d+)$/gm).at(-1);
      const [clientOk, clientFailed, serverOk, serverFailed] = last ? last.slice(1, 5).map(Number) : [0, 0, 0, 0];
      return { clientOk: clientOk!, clientFailed: clientFailed!, serverOk: serverOk!, serverFailed: serverFailed! };
    },
    failures: () => lines(/^((?:client-fail|server-fail|reload-failed) .*)$/gm).map((match) => match[1]!),
    peerSerials: () => lines(/^peer ([0-9a-f]+)$/gm).map((match) => match[1]!),
    loads: () => lines(/^loaded ([0-9a-f?]+) (\d+)$/gm).map((match) => ({ serial: match[1]!, trusted: Number(match[2]) })),
    stop: () => server.stop(),
  };
}
