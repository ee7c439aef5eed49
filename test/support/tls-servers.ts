/**
 * Real Debian TLS servers for the reload recipes (docs/agent.md), started the way a host runs
 * them minus systemd: a root master that drops to the package's user (nginx workers as
 * www-data, mosquitto as mosquitto), on a free loopback port, configured in a temp folder,
 * killed after. Plus a client that does TLS handshakes back to back and records what each saw.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as net from 'node:net';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as tls from 'node:tls';

export interface RunningServer {
  readonly name: string;
  readonly port: number;
  readonly pidfile: string;
  readonly child: ChildProcess;
  /** stderr and the server's own log, for failure messages. */
  output(): Promise<string>;
  /** Resolves with the exit code when the process ended. */
  readonly exited: Promise<number | null>;
  stop(): Promise<void>;
}

export interface ServerFiles {
  /** The folder for config, pidfile and logs (readable by the server's user). */
  readonly dir: string;
  readonly port: number;
  /** live/<id>/fullchain.pem and privkey.pem. */
  readonly fullchain: string;
  readonly privkey: string;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function runServer(name: string, command: string, args: string[], files: ServerFiles, pidfile: string, logFile?: string): RunningServer {
  const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    name,
    port: files.port,
    pidfile,
    child,
    exited,
    output: async () => `${stderr}${logFile ? await fs.readFile(logFile, 'utf8').catch(() => '') : ''}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        return;
      }
      const ended = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
      if (!ended) process.kill(-child.pid!, 'SIGKILL');
    },
  };
}

/** nginx -c <own conf> -g 'daemon off;': master as root, workers as www-data; SIGHUP re-reads config and certificates. */
export async function startNginx(files: ServerFiles): Promise<RunningServer> {
  const pidfile = path.join(files.dir, 'nginx.pid');
  const log = path.join(files.dir, 'nginx-error.log');
  const conf = path.join(files.dir, 'nginx.conf');
  await fs.writeFile(
    conf,
    `user www-data;
worker_processes 1;
pid ${pidfile};
error_log ${log} notice;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${files.dir}/nginx-body;
  server {
    listen 127.0.0.1:${files.port} ssl;
    ssl_certificate ${files.fullchain};
    ssl_certificate_key ${files.privkey};
    location / { return 200 "ok\\n"; }
  }
}
`,
  );
  return runServer('nginx', 'nginx', ['-p', files.dir, '-c', conf, '-e', log, '-g', 'daemon off;'], files, pidfile, log);
}

/** mosquitto -c <own conf> with `user mosquitto`: it reads its key after dropping to that user; SIGHUP reloads. */
export async function startMosquitto(files: ServerFiles): Promise<RunningServer> {
  // It writes its pidfile after dropping privileges: a folder of its own, as Debian's /run/mosquitto.
  const run = path.join(files.dir, 'mosquitto-run');
  await fs.mkdir(run, { recursive: true });
  const id = (flag: string) => Number(execFileSync('id', [flag, 'mosquitto'], { encoding: 'utf8' }).trim());
  await fs.chown(run, id('-u'), id('-g'));
  const pidfile = path.join(run, 'mosquitto.pid');
  const conf = path.join(files.dir, 'mosquitto.conf');
  await fs.writeFile(
    conf,
    `user mosquitto
pid_file ${pidfile}
persistence false
log_dest stderr
log_type error
log_type warning
log_type notice
listener ${files.port} 127.0.0.1
allow_anonymous true
certfile ${files.fullchain}
keyfile ${files.privkey}
`,
  );
  return runServer('mosquitto', 'mosquitto', ['-c', conf], files, pidfile);
}

export interface Handshake {
  /** performance.now() when the handshake ended (or failed). */
  readonly at: number;
  readonly serialNumber?: string;
  readonly error?: string;
}

/** Handshakes back to back (a new connection each), until stopped. */
export function startHandshakeLoop(port: number, serverName: string): { records: Handshake[]; stop(): Promise<Handshake[]> } {
  const records: Handshake[] = [];
  let stopped = false;
  const once = () =>
    new Promise<Handshake>((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port, servername: serverName, rejectUnauthorized: false });
      const timer = setTimeout(() => finish({ at: performance.now(), error: 'timeout' }), 3_000);
      const finish = (record: Handshake) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(record);
      };
      socket.once('secureConnect', () => finish({ at: performance.now(), serialNumber: socket.getPeerCertificate().serialNumber.toLowerCase() }));
      socket.once('error', (error) => finish({ at: performance.now(), error: error.message }));
    });
  const loop = (async () => {
    while (!stopped) {
      records.push(await once());
      await sleep(5);
    }
  })();
  return {
    records,
    async stop() {
      stopped = true;
      await loop;
      return records;
    },
  };
}

/** Until the port presents some certificate (the server is up), or the process ended. */
export async function waitServing(server: RunningServer, serverName: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server.child.exitCode !== null) throw new Error(`${server.name} exited with ${server.child.exitCode}: ${await server.output()}`);
    const loop = startHandshakeLoop(server.port, serverName);
    await sleep(50);
    const records = await loop.stop();
    if (records.some((record) => record.serialNumber)) return;
    if (Date.now() > deadline) throw new Error(`${server.name} did not serve TLS on ${server.port}: ${await server.output()}`);
    await sleep(100);
  }
}
