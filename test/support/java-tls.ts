/** Real-JVM TLS checks: a Java server presenting one of our keystores, and a Node client to shake hands with it. */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const SOURCE = fileURLToPath(new URL('./java/TlsServer.java', import.meta.url));
// Start-up flags: the server lives for a handful of handshakes, so skip the optimising JIT.
const JVM_FLAGS = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'];
// Java decodes its arguments (our passwords) with the locale's charset.
const JAVA_ENV = { ...process.env, LC_ALL: 'C.UTF-8' };
const START_TIMEOUT_MS = 20_000;

let classDir: Promise<string> | undefined;

/**
 * Compiles TlsServer.java once per process, into a temp directory named after the source's hash:
 * later runs and parallel test workers reuse it, and nothing piles up in the temp dir.
 */
function compileTlsServer(): Promise<string> {
  classDir ??= (async () => {
    const source = await readFile(SOURCE);
    const dir = join(tmpdir(), `certflow-tls-server-${createHash('sha256').update(source).digest('hex').slice(0, 16)}`);
    if (await access(join(dir, 'TlsServer.class')).then(() => true, () => false)) return dir;
    const staging = await mkdtemp(`${dir}-`);
    try {
      await promisify(execFile)('javac', ['-d', staging, SOURCE]);
      // When another worker won the race the rename fails, and its identical classes stay.
      await rename(staging, dir).catch(() => undefined);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
    return dir;
  })();
  return classDir;
}

export async function startJavaTlsServer(opts: {
  keystorePath: string;
  storeType: 'JKS' | 'PKCS12';
  password: string;
}): Promise<{ port: number; stop(): Promise<void> }> {
  const classes = await compileTlsServer();
  const workDir = await mkdtemp(join(tmpdir(), 'certflow-tls-'));
  const portFile = join(workDir, 'port');
  const jvm = spawn('java', [...JVM_FLAGS, '-cp', classes, 'TlsServer', opts.keystorePath, opts.storeType, opts.password, portFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: JAVA_ENV,
  });
  let stderr = '';
  let running = true;
  jvm.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => {
    jvm.once('close', () => resolve());
    jvm.once('error', (error) => {
      stderr += String(error);
      resolve();
    });
  }).then(() => {
    running = false;
  });
  const stop = async () => {
    if (running) jvm.kill();
    await exited;
    await rm(workDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (running && Date.now() < deadline) {
    const port = await readFile(portFile, 'utf8').catch(() => undefined);
    if (port !== undefined) return { port: Number(port), stop };
    await sleep(50);
  }
  await stop();
  throw new Error(`TlsServer did not start (exit code ${jvm.exitCode}): ${stderr.trim()}`);
}

/** One TLS handshake against 127.0.0.1:port, verifying the chain against caPem and the name against servername. */
export function tlsHandshake(port: number, caPem: string, servername: string): Promise<{ serialNumber: string; authorized: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca: caPem, servername }, () => {
      const { serialNumber } = socket.getPeerCertificate();
      const { authorized } = socket;
      let reply = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (reply += chunk));
      socket.once('end', () =>
        reply === 'ok\n' ? resolve({ serialNumber, authorized }) : reject(new Error(`unexpected reply ${JSON.stringify(reply)}`)),
      );
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error('TLS handshake timed out')));
    socket.once('error', reject);
  });
}
