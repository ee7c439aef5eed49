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

function runServer(name: string, command: string, args: string[], files: ServerFiles, pidfile: string, logFile?: string, env?: NodeJS.ProcessEnv): RunningServer {
  const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env } : {}) });
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

export interface TomcatFiles extends ServerFiles {
  /** live/<id>/keystore.p12 and its password. */
  readonly keystore: string;
  readonly keystorePassword: string;
  /** The plain-HTTP connector the Manager listens on (loopback). */
  readonly managerPort: number;
  /** A Manager user with the manager-script role. */
  readonly managerUser: { readonly name: string; readonly password: string };
}

const userIds = (user: string) => ({
  uid: Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim()),
  gid: Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim()),
});

/**
 * Tomcat 10 (Debian tomcat10 + tomcat10-admin) as user tomcat: `catalina.sh run` under setpriv, a
 * CATALINA_BASE of its own with an HTTPS connector on keystore.p12 and the Manager on loopback.
 * Reload: GET /manager/text/sslReload (role manager-script) re-reads the keystore.
 */
export async function startTomcat(files: TomcatFiles): Promise<RunningServer> {
  const base = path.join(files.dir, 'tomcat');
  const { uid, gid } = userIds('tomcat');
  for (const sub of ['conf/Catalina/localhost', 'logs', 'temp', 'work', 'webapps']) await fs.mkdir(path.join(base, sub), { recursive: true });
  await fs.copyFile('/etc/tomcat10/web.xml', path.join(base, 'conf', 'web.xml'));
  await fs.writeFile(
    path.join(base, 'conf', 'server.xml'),
    `<?xml version="1.0" encoding="UTF-8"?>
<Server port="-1" shutdown="SHUTDOWN">
  <Service name="Catalina">
    <Connector port="${files.managerPort}" address="127.0.0.1" protocol="HTTP/1.1"/>
    <Connector port="${files.port}" address="127.0.0.1" protocol="org.apache.coyote.http11.Http11NioProtocol" SSLEnabled="true" scheme="https" secure="true">
      <SSLHostConfig>
        <Certificate certificateKeystoreFile="${files.keystore}" certificateKeystorePassword="${files.keystorePassword}" certificateKeystoreType="PKCS12"/>
      </SSLHostConfig>
    </Connector>
    <Engine name="Catalina" defaultHost="localhost">
      <Realm className="org.apache.catalina.realm.MemoryRealm"/>
      <Host name="localhost" appBase="webapps" unpackWARs="false" autoDeploy="false"/>
    </Engine>
  </Service>
</Server>
`,
  );
  const { name, password } = files.managerUser;
  await fs.writeFile(path.join(base, 'conf', 'tomcat-users.xml'), `<tomcat-users><role rolename="manager-script"/><user username="${name}" password="${password}" roles="manager-script"/></tomcat-users>\n`);
  await fs.writeFile(path.join(base, 'conf', 'Catalina', 'localhost', 'manager.xml'), '<Context docBase="/usr/share/tomcat10-admin/manager" privileged="true"/>\n');
  execFileSync('chown', ['-R', `${uid}:${gid}`, base]);
  const pidfile = path.join(base, 'temp', 'tomcat.pid');
  const server = runServer('tomcat', 'setpriv', ['--reuid', String(uid), '--regid', String(gid), '--init-groups', '/usr/share/tomcat10/bin/catalina.sh', 'run'], files, pidfile, undefined, tomcatEnvironment(files.dir));
  return server;
}

/** A process environment for catalina.sh: its home and our base. */
export const tomcatEnvironment = (dir: string): NodeJS.ProcessEnv => ({ ...process.env, CATALINA_HOME: '/usr/share/tomcat10', CATALINA_BASE: path.join(dir, 'tomcat'), CATALINA_PID: path.join(dir, 'tomcat', 'temp', 'tomcat.pid'), CATALINA_OUT: '/dev/null' });

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
