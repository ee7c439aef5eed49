/**
 * Real Debian TLS servers for the reload recipes (docs/agent.md), started the way a host runs
 * them minus systemd: a root master that drops to the package's user (nginx workers as
 * www-data, mosquitto as mosquitto), on a free loopback port, configured in a temp folder,
 * killed after. Plus a client that does TLS handshakes back to back and records what each saw.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as net from 'node:net';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as tls from 'node:tls';

export interface RunningServer {
  readonly name: string;
  readonly port: number;
  readonly pidfile: string;
  /** stderr and the server's own log, for failure messages. */
  output(): Promise<string>;
  /** The server process is still there. */
  alive(): boolean;
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

function runServer(name: string, command: string, args: string[], files: ServerFiles, pidfile: string, logFile?: string, env?: NodeJS.ProcessEnv, cwd?: string): RunningServer {
  const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env } : {}), ...(cwd ? { cwd } : {}) });
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    name,
    port: files.port,
    pidfile,
    alive: () => child.exitCode === null && child.signalCode === null,
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
const tomcatEnvironment = (dir: string): NodeJS.ProcessEnv => ({ ...process.env, CATALINA_HOME: '/usr/share/tomcat10', CATALINA_BASE: path.join(dir, 'tomcat'), CATALINA_PID: path.join(dir, 'tomcat', 'temp', 'tomcat.pid'), CATALINA_OUT: '/dev/null' });

export interface RabbitFiles extends ServerFiles {
  /** live/<id>/cert.pem and chain.pem (the key is `privkey`). */
  readonly cert: string;
  readonly chain: string;
  /** The node's own epmd port (ERL_EPMD_PORT): rabbitmqctl needs it in its environment too. */
  readonly epmdPort: number;
  readonly nodeName: string;
}

/**
 * RabbitMQ (Debian rabbitmq-server) as user rabbitmq, a node of its own (name, ports, epmd,
 * mnesia and config in the temp folder), TLS listener on the live PEM files. Reload:
 * `rabbitmqctl eval 'ssl:clear_pem_cache().'` (Erlang caches PEM files by path).
 */
export async function startRabbitmq(files: RabbitFiles): Promise<RunningServer> {
  const base = path.join(files.dir, 'rabbitmq');
  const { uid, gid } = userIds('rabbitmq');
  for (const sub of ['mnesia', 'log']) await fs.mkdir(path.join(base, sub), { recursive: true });
  await fs.writeFile(path.join(base, 'enabled_plugins'), '[].\n');
  await fs.writeFile(
    path.join(base, 'rabbitmq.conf'),
    `listeners.tcp.default = 127.0.0.1:${await freePort()}
listeners.ssl.default = 127.0.0.1:${files.port}
ssl_options.certfile = ${files.cert}
ssl_options.keyfile = ${files.privkey}
ssl_options.cacertfile = ${files.chain}
ssl_options.verify = verify_none
ssl_options.fail_if_no_peer_cert = false
`,
  );
  execFileSync('chown', ['-R', `${uid}:${gid}`, base]);
  const env = {
    ...process.env,
    HOME: '/var/lib/rabbitmq', // its Erlang cookie, which rabbitmqctl (run as rabbitmq by Debian's wrapper) reads too
    ...rabbitEnvironment(files),
    RABBITMQ_NODENAME: files.nodeName,
    RABBITMQ_DIST_PORT: String(await freePort()),
    RABBITMQ_MNESIA_BASE: path.join(base, 'mnesia'),
    RABBITMQ_LOG_BASE: path.join(base, 'log'),
    RABBITMQ_LOGS: '-',
    RABBITMQ_CONFIG_FILE: path.join(base, 'rabbitmq.conf'),
    RABBITMQ_ENABLED_PLUGINS_FILE: path.join(base, 'enabled_plugins'),
    RABBITMQ_PID_FILE: path.join(base, 'rabbit.pid'),
  };
  const server = runServer('rabbitmq', 'setpriv', ['--reuid', String(uid), '--regid', String(gid), '--init-groups', '/usr/lib/rabbitmq/bin/rabbitmq-server'], files, env.RABBITMQ_PID_FILE, undefined, env, '/var/lib/rabbitmq');
  return {
    ...server,
    async stop() {
      await server.stop();
      // The node started its own epmd (a daemon on our port): ask it to go.
      await new Promise((resolve) => execFile('epmd', ['-kill'], { env: { ...process.env, ...rabbitEnvironment(files) } }, resolve));
    },
  };
}

/** What rabbitmqctl needs to find the test's node. */
export const rabbitEnvironment = (files: Pick<RabbitFiles, 'epmdPort'>) => ({ ERL_EPMD_PORT: String(files.epmdPort) });

export interface ActivemqFiles extends ServerFiles {
  readonly keystore: string;
  readonly keystorePassword: string;
}

/**
 * ActiveMQ 5.17 (Debian activemq) as user activemq: `java -jar activemq.jar start xbean:file:…`
 * (the Debian launcher without its fixed paths), an SSL transport connector on keystore.jks. It
 * reads the keystore once at start: the reload action is a restart. `ctl` is the test's stand-in
 * for `systemctl restart activemq && wait-for-ssl.sh <port>` (docs/agent.md): stop the JVM, start
 * a new one as activemq, wait (bounded) until the port completes a TLS handshake.
 */
export async function startActivemq(files: ActivemqFiles): Promise<RunningServer & { readonly ctl: string }> {
  const base = path.join(files.dir, 'activemq');
  const { uid, gid } = userIds('activemq');
  await fs.mkdir(path.join(base, 'data'), { recursive: true });
  const xml = path.join(base, 'activemq.xml');
  await fs.writeFile(
    xml,
    `<beans xmlns="http://www.springframework.org/schema/beans" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.springframework.org/schema/beans http://www.springframework.org/schema/beans/spring-beans.xsd http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">
  <broker xmlns="http://activemq.apache.org/schema/core" brokerName="certflow" dataDirectory="${base}/data" persistent="false" useJmx="false">
    <sslContext><sslContext keyStore="file:${files.keystore}" keyStorePassword="${files.keystorePassword}" keyStoreType="JKS"/></sslContext>
    <transportConnectors><transportConnector name="ssl" uri="ssl://127.0.0.1:${files.port}"/></transportConnectors>
  </broker>
</beans>
`,
  );
  execFileSync('chown', ['-R', `${uid}:${gid}`, base]);
  const pidfile = path.join(files.dir, 'activemq.pid');
  const log = path.join(files.dir, 'activemq.log');
  const ctl = path.join(files.dir, 'activemq-ctl.sh');
  await fs.writeFile(
    ctl,
    `#!/bin/sh
# start | restart: the JVM as activemq in a session of its own, its pid in ${pidfile}; then wait for TLS.
set -e
if [ "$1" = restart ]; then
  pid=$(cat ${pidfile}); kill "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
fi
cd ${base}
setsid setpriv --reuid ${uid} --regid ${gid} --init-groups java -Xmx128m -Dactivemq.home=/usr/share/activemq -Dactivemq.base=${base} \
  -Dactivemq.conf=${base} -Dactivemq.data=${base}/data -jar /usr/share/activemq/bin/activemq.jar start xbean:file:${xml} >>${log} 2>&1 </dev/null &
echo $! >${pidfile}
i=0
until echo | timeout 2 openssl s_client -connect 127.0.0.1:${files.port} >/dev/null 2>&1; do
  i=$((i + 1)); [ $i -lt 300 ] || { echo "no TLS on ${files.port} after 30 s" >&2; exit 1; }
  kill -0 "$(cat ${pidfile})" 2>/dev/null || { echo "activemq exited" >&2; exit 1; }
  sleep 0.1
done
`,
    { mode: 0o755 },
  );
  const pid = () => Number((existsSync(pidfile) ? readFileSync(pidfile, 'utf8') : '').trim());
  const alive = (value: number) => {
    try {
      return value > 1 && (process.kill(value, 0), true);
    } catch {
      return false;
    }
  };
  await new Promise((resolve) => execFile(ctl, ['start'], resolve)); // a failure to serve shows in output() and alive()
  const server = {
    name: 'activemq',
    port: files.port,
    pidfile,
    ctl,
    output: () => fs.readFile(log, 'utf8').catch(() => ''),
    alive: () => alive(pid()),
    async stop() {
      const last = pid();
      if (!alive(last)) return;
      process.kill(last, 'SIGTERM');
      for (let waited = 0; waited < 10_000 && alive(last); waited += 100) await sleep(100);
      if (alive(last)) process.kill(last, 'SIGKILL');
    },
  };
  return server;
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
    if (!server.alive()) throw new Error(`${server.name} exited: ${await server.output()}`);
    const loop = startHandshakeLoop(server.port, serverName);
    await sleep(50);
    const records = await loop.stop();
    if (records.some((record) => record.serialNumber)) return;
    if (Date.now() > deadline) throw new Error(`${server.name} did not serve TLS on ${server.port}: ${await server.output()}`);
    await sleep(100);
  }
}
