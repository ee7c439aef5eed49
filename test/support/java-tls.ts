/** Real-JVM TLS checks: Java servers presenting our keystores, a Java client trusting our truststores, and a Node client. */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

// Start-up flags: the servers live for a handful of handshakes, so skip the optimising JIT.
const JVM_FLAGS = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'];
// Java decodes its arguments (our passwords) with the locale's charset.
const JAVA_ENV = { ...process.env, LC_ALL: 'C.UTF-8' };
const START_TIMEOUT_MS = 20_000;

const compiled = new Map<string, Promise<string>>();

/** What every fixture may use (keystores, SSLContext, SIGHUP reloads, the port file): compiled beside each. */
const SHARED_SOURCE = 'TlsFixtures';

/**
 * Compiles test/support/java/<className>.java (with the shared TlsFixtures.java) once per process,
 * into a temp directory named after the sources' hash: later runs and parallel test workers reuse
 * it, and nothing piles up in the temp dir.
 */
function compileJava(className: string): Promise<string> {
  let classDir = compiled.get(className);
  classDir ??= (async () => {
    const sourceFiles = [className, SHARED_SOURCE].map((name) => fileURLToPath(new URL(`./java/${name}.java`, import.meta.url)));
    const hash = createHash('sha256');
    for (const file of sourceFiles) hash.update(await readFile(file));
    const dir = join(tmpdir(), `certflow-${className}-${hash.digest('hex').slice(0, 16)}`);
    if (await access(join(dir, `${className}.class`)).then(() => true, () => false)) return dir;
    const staging = await mkdtemp(`${dir}-`);
    try {
      await promisify(execFile)('javac', ['-d', staging, ...sourceFiles]);
      // When another worker won the race the rename fails, and its identical classes stay.
      await rename(staging, dir).catch(() => undefined);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
    return dir;
  })();
  compiled.set(className, classDir);
  return classDir;
}

export interface JavaServer {
  readonly port: number;
  /** Every port the server wrote (space-separated) in its port file; `port` is the first. */
  readonly ports: readonly number[];
  readonly pid: number;
  /** Everything the JVM printed to stdout so far. */
  stdout(): string;
  /** Writes a line to the JVM's stdin (servers started with `{ stdin: true }`). */
  send(line: string): void;
  stop(): Promise<void>;
}

/**
 * Starts test/support/java/<className>.java with `args` plus a port file as its last argument,
 * and resolves once the server wrote its port there.
 */
export async function startJavaServer(className: string, args: readonly string[], opts: { stdin?: boolean } = {}): Promise<JavaServer> {
  const classes = await compileJava(className);
  const workDir = await mkdtemp(join(tmpdir(), 'certflow-tls-'));
  const portFile = join(workDir, 'port');
  const jvm = spawn('java', [...JVM_FLAGS, '-cp', classes, className, ...args, portFile], { stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], env: JAVA_ENV });
  let stdout = '';
  let stderr = '';
  let running = true;
  jvm.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  jvm.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => {
    jvm.once('close', () => resolve());
    jvm.once('error', (error) => {
      stderr += String(error);
      resolve();
    });
  }).then(() => {
    running = false;
  });
  const send = (line: string) => {
    if (!jvm.stdin) throw new Error(`${className} was started without stdin`);
    jvm.stdin.write(`${line}\n`);
  };
  const stop = async () => {
    if (running) jvm.kill();
    await exited;
    await rm(workDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (running && Date.now() < deadline) {
    const port = await readFile(portFile, 'utf8').catch(() => undefined);
    if (port !== undefined) {
      const ports = port.trim().split(/\s+/).map(Number);
      return { port: ports[0]!, ports, pid: jvm.pid!, stdout: () => stdout, send, stop };
    }
    await sleep(50);
  }
  await stop();
  throw new Error(`${className} did not start (exit code ${jvm.exitCode}): ${stderr.trim()}`);
}

/** TlsServer: serves one keystore until stopped. */
export function startJavaTlsServer(opts: { keystorePath: string; storeType: 'JKS' | 'PKCS12'; password: string }): Promise<JavaServer> {
  return startJavaServer('TlsServer', [opts.keystorePath, opts.storeType, opts.password]);
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

/**
 * TlsClient: one handshake against 127.0.0.1:port from a JVM that trusts only `truststorePath`,
 * checking the certificate against `servername`. Resolves whether it trusted the server (and the
 * client's words either way); a JVM that fails otherwise rejects.
 */
export async function javaTlsClientHandshake(opts: {
  port: number;
  truststorePath: string;
  storeType: 'JKS' | 'PKCS12';
  password: string;
  servername: string;
}): Promise<{ trusted: boolean; output: string }> {
  const classes = await compileJava('TlsClient');
  const args = [...JVM_FLAGS, '-cp', classes, 'TlsClient', '127.0.0.1', String(opts.port), opts.truststorePath, opts.storeType, opts.password, opts.servername];
  return new Promise((resolve, reject) => {
    execFile('java', args, { env: JAVA_ENV, timeout: START_TIMEOUT_MS }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`.trim();
      if (!error) resolve({ trusted: stdout.startsWith('trusted '), output });
      else if (error.code === 3) resolve({ trusted: false, output });
      else reject(new Error(`TlsClient failed (${error.code ?? error.signal}): ${output}`));
    });
  });
}
