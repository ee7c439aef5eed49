/**
 * One side of a mutual-TLS link in a real JVM (MutualTlsEndpoint.java): a server with needClientAuth
 * and a client dialling the other side, both with the keystore's identity and trusting only the
 * truststore; SIGHUP reloads both stores. What each side printed, parsed.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startJavaServer } from './java-tls';
import { sameSerial } from './java-reload';

/** One dialled handshake: the server's serial and the serial the server saw of us, or why it failed. */
interface DialRecord {
  /** Index of the line in the endpoint's output (orders records across kinds). */
  readonly line: number;
  readonly serverSerial?: string;
  readonly clientSerialSeen?: string;
  readonly error?: string;
}

export interface EndpointOutput {
  /** Own identity serials, in load order (first load included). */
  readonly loaded: string[];
  /** Handshakes this side dialled. */
  readonly dialled: DialRecord[];
  /** Client serials the server side accepted, in order. */
  readonly accepted: string[];
  /** Why the server side refused a handshake, in order. */
  readonly rejected: string[];
  readonly reloadFailures: string[];
  /** Set once the dial loop ended: how many handshakes it made. */
  readonly dialledTotal?: number;
  readonly lineCount: number;
}

export interface MutualTlsEndpoint {
  readonly port: number;
  /** Holds the JVM's pid, for the agent's signal reload. */
  readonly pidfile: string;
  output(): EndpointOutput;
  /** Starts handshakes to 127.0.0.1:port one after another, `pauseMs` apart, at most `max`. */
  dial(port: number, serverName: string, pauseMs: number, max: number): void;
  /** Stops dialling; resolves once the loop ended. */
  stopDialling(timeoutMs?: number): Promise<EndpointOutput>;
  stop(): Promise<void>;
}

function parseEndpointOutput(text: string): EndpointOutput {
  const lines = text.split('\n').filter(Boolean);
  const output = { loaded: [] as string[], dialled: [] as DialRecord[], accepted: [] as string[], rejected: [] as string[], reloadFailures: [] as string[], dialledTotal: undefined as number | undefined, lineCount: lines.length };
  lines.forEach((line, index) => {
    const [word, ...rest] = line.split(' ');
    if (word === 'loaded') output.loaded.push(rest[0]!);
    else if (word === 'handshake') output.dialled.push({ line: index, serverSerial: rest[0]!, clientSerialSeen: rest[1]! });
    else if (word === 'failed') output.dialled.push({ line: index, error: rest.join(' ') });
    else if (word === 'accepted') output.accepted.push(rest[0]!);
    else if (word === 'rejected') output.rejected.push(rest.join(' '));
    else if (word === 'reload-failed') output.reloadFailures.push(rest.join(' '));
    else if (word === 'dialled') output.dialledTotal = Number(rest[0]);
  });
  return output;
}

export async function startMutualTlsEndpoint(opts: { keystorePath: string; keystoreType: 'JKS' | 'PKCS12'; truststorePath: string; truststoreType: 'JKS' | 'PKCS12'; passwordFile: string }): Promise<MutualTlsEndpoint> {
  const jvm = await startJavaServer('MutualTlsEndpoint', [opts.keystorePath, opts.keystoreType, opts.truststorePath, opts.truststoreType, opts.passwordFile], { stdin: true });
  const dir = await mkdtemp(join(tmpdir(), 'certflow-mtls-'));
  const pidfile = join(dir, 'endpoint.pid');
  await writeFile(pidfile, `${jvm.pid}\n`);
  const output = () => parseEndpointOutput(jvm.stdout());
  return {
    port: jvm.port,
    pidfile,
    output,
    dial: (port, serverName, pauseMs, max) => jvm.send(`dial ${port} ${serverName} ${pauseMs} ${max}`),
    async stopDialling(timeoutMs = 15_000) {
      jvm.send('stop');
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const now = output();
        if (now.dialledTotal !== undefined) return now;
        if (Date.now() > deadline) throw new Error(`the dial loop did not stop within ${timeoutMs} ms`);
        await sleep(20);
      }
    },
    async stop() {
      await jvm.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Serials in order, consecutive repeats collapsed. */
export function servedSequence(serials: readonly (string | undefined)[]): string[] {
  const sequence: string[] = [];
  for (const serial of serials) if (serial && !(sequence.length > 0 && sameSerial(sequence.at(-1)!, serial))) sequence.push(serial);
  return sequence;
}
