/**
 * Issue #19 point 5: a private root replaced without a dropped link. Three brokers (real JVMs) in a
 * ring of mutual-TLS links A→B→C→A, each with a real agent that installs from the store, reloads
 * its broker (SIGHUP) and reports what it serves (--verify-tls). `certflow ca rotate` drives the
 * phases through the synthesized RenewCertificate; the hosts' reports gate each one.
 *
 * 1. A full rotation: distribute → issue-new → retire-old → done, not one failed handshake on any
 *    link, and every truststore ends with the new root alone.
 * 2. A host whose agent is down during phase distribute holds the rotation there (status names it)
 *    instead of being cut off; once it is back and installs, the rotation goes through.
 * 3. The control: moving on without the gate (the record edited by hand) breaks the link to the host
 *    that trusts only the old root, so the ring does see a bad rotation.
 */
import { createHash, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOnce, startAgent, type RunningAgent } from '../../agent';
import { FileCertificateStore } from '../../domain/adapters/local/file-store';
import { FileRootRotations } from '../../domain/adapters/local/file-rotations';
import { LOCAL_PRIVATE_CA } from '../../domain/adapters/local/local-private-ca';
import { runCertflow } from '../support/cli-process';
import { keytool, listKeystore } from '../support/judges';
import { sameSerial } from '../support/java-reload';
import { startRing, type Ring } from '../support/mtls-ring';

const HOSTS = ['host-a', 'host-b', 'host-c'] as const;
const nameOf = (host: string) => `${host}.mq.internal`;
/** Each link handshakes every 20 ms (with the handshake itself, 10–20 a second per link on the 2-core machine). */
const PAUSE_MS = 20;
/** Measured alone: 23–25 s per rotation test, 5 s for the control; about ten times that on a loaded machine. */
const ROTATION_TIMEOUT_MS = 240_000;

let home: string;
let ring: Ring | undefined;
const installDirs = new Map<string, string>();
const agents = new Map<string, RunningAgent>();
const logs: string[] = [];
const certflow = (...args: string[]) => runCertflow(home, args);
const liveDir = (host: string) => path.join(installDirs.get(host)!, 'live', host);

interface RotationView {
  phase: string | null;
  heldBy: { host: string; certificateId: string; reason: string }[];
  history: { phase: string; at: string }[];
  newRoot: { fingerprintSha256: string };
  oldRoot: { fingerprintSha256: string };
  members: { host: string; certificateId: string }[];
}

async function rotationStatus(): Promise<RotationView> {
  const status = await certflow('ca', 'status', '--json');
  expect(status.code, status.stderr).toBe(0);
  return JSON.parse(status.stdout) as RotationView;
}

/** Polls `certflow ca status` until `accept` says yes; the last view otherwise, in the error. */
async function untilStatus(what: string, accept: (view: RotationView) => boolean, timeoutMs = 60_000): Promise<RotationView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await rotationStatus();
    if (accept(view)) return view;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(view.heldBy)}`);
    await sleep(250);
  }
}

async function startHostAgent(host: string, probePort: number, pidfile: string): Promise<RunningAgent> {
  const agent = await startAgent({
    certificateIds: [host],
    installDir: installDirs.get(host)!,
    host,
    source: { kind: 'local', storeDir: home, pollMs: 50 },
    reload: { kind: 'signal', signal: 'SIGHUP', target: { pidfile } },
    verifyTls: { endpoints: [`127.0.0.1:${probePort}`], serverName: nameOf(host), timeoutMs: 10_000 },
    reconcileIntervalMs: 0,
    logSink: (line) => logs.push(line),
  });
  agents.set(host, agent);
  return agent;
}

/** `ca rotate [--advance]`, which must succeed, and the phase it reports. */
async function rotate(...args: string[]): Promise<{ phase: string; ms: number }> {
  const started = performance.now();
  const run = await certflow('ca', 'rotate', ...args, '--json');
  expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
  return { phase: (JSON.parse(run.stdout) as RotationView).phase!, ms: Math.round(performance.now() - started) };
}

/** The subjects of the host's installed truststore, as keytool lists them; every entry a trusted certificate. */
async function truststoreOwners(host: string): Promise<string[]> {
  const password = (await fs.readFile(path.join(liveDir(host), 'keystore.pass'), 'utf8')).trim();
  const truststore = path.join(liveDir(host), 'truststore.jks');
  const { entries } = await listKeystore(truststore, 'JKS', password);
  expect(entries.every((entry) => entry.type === 'trustedCertEntry')).toBe(true);
  const { output } = await keytool('-list', '-v', '-keystore', truststore, '-storetype', 'JKS', '-storepass', password);
  return [...output.matchAll(/^Owner: (.+)$/gm)].map((match) => match[1]!.trim());
}

/** A root's subject as keytool prints it (most significant RDN last, like `O=certflow, CN=…`). */
async function ownerOf(fingerprintSha256: string): Promise<string> {
  const roots = [path.join(home, 'private-ca', 'root'), ...(await fs.readdir(path.join(home, 'private-ca', 'roots'))).map((name) => path.join(home, 'private-ca', 'roots', name))];
  for (const dir of roots) {
    const pem = await fs.readFile(path.join(dir, 'root.pem'), 'utf8');
    const root = new X509Certificate(pem);
    if (createHash('sha256').update(root.raw).digest('hex') === fingerprintSha256) return root.subject.split('\n').reverse().join(', ');
  }
  throw new Error(`no root ${fingerprintSha256} under ${home}/private-ca`);
}

const store = () => new FileCertificateStore(home);
const rootFingerprintOfLeaf = async (host: string) => (await store().current(host))!.metadata.anchorSha256;

beforeAll(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-rotation-'));
  // One Pebble for every command of this file (the private path needs none, the pipeline starts one).
  const started = await certflow('local', 'start');
  expect(started.code, started.stderr).toBe(0);
  for (const host of HOSTS) {
    const issued = await certflow('issue', host, '--name', nameOf(host), '--issuer', 'private', '--usage', 'clientAuth', '--usage', 'serverAuth', '--lifetime', '7d');
    expect(issued.code, issued.stderr).toBe(0);
    installDirs.set(host, await fs.mkdtemp(path.join(os.tmpdir(), `certflow-${host}-`)));
    // First boot: the files before the broker starts.
    const once = await runOnce({ certificateIds: [host], installDir: installDirs.get(host)!, host, source: { kind: 'local', storeDir: home }, logSink: (line) => logs.push(line) });
    expect(once.exitCode).toBe(0);
  }
  ring = await startRing({ liveDirs: HOSTS.map(liveDir), names: HOSTS.map(nameOf), pauseMs: PAUSE_MS });
  for (const [index, host] of HOSTS.entries()) await startHostAgent(host, ring.nodes[index]!.probePort, ring.nodes[index]!.pidfile);
});

afterAll(async () => {
  await Promise.all([...agents.values()].map((agent) => agent.stop()));
  await ring?.stop();
  if (home) await certflow('local', 'stop');
  await Promise.all([...installDirs.values()].map((dir) => fs.rm(dir, { recursive: true, force: true })));
  if (home) await fs.rm(home, { recursive: true, force: true });
});

describe('rotating the private root under a ring of mTLS links', () => {
  it('goes distribute → issue-new → retire-old → done with 0 failed handshakes; the truststores end with the new root alone', async () => {
    const links = ring!;
    await untilStatus('the ring to handshake', () => links.counts().clientOk >= 30);
    const before = await rotationStatus();
    expect(before.phase).toBeNull();

    const started = performance.now();
    const phases: { phase: string; ms: number; settledMs: number }[] = [];
    let step = await rotate();
    for (;;) {
      const view = await untilStatus(`every host to pass phase ${step.phase}`, (candidate) => candidate.heldBy.length === 0);
      phases.push({ ...step, settledMs: Math.round(performance.now() - started) });
      expect(view.members.map((member) => member.host).sort()).toEqual([...HOSTS]);
      if (step.phase === 'retire-old') break;
      step = await rotate('--advance');
    }
    const done = await rotate('--advance');
    expect(done.phase).toBe('done');
    const totalMs = Math.round(performance.now() - started);

    const final = await rotationStatus();
    expect(final.history.map((entry) => entry.phase)).toEqual(['distribute', 'issue-new', 'retire-old', 'done']);
    // Every leaf from the new root, every truststore the new root alone (keytool), every broker serving it.
    for (const [index, host] of HOSTS.entries()) {
      expect(await rootFingerprintOfLeaf(host)).toBe(final.newRoot.fingerprintSha256);
      expect(await truststoreOwners(host)).toEqual([await ownerOf(final.newRoot.fingerprintSha256)]);
      const trusted = (await store().current(host))!.metadata.trustAnchorsSha256;
      expect(trusted).toEqual([final.newRoot.fingerprintSha256]);
      const leaf = new X509Certificate(await fs.readFile(path.join(liveDir(host), 'cert.pem')));
      expect(links.nodes[index]!.loads().at(-1)).toEqual({ serial: BigInt(`0x${leaf.serialNumber}`).toString(16), trusted: 1 });
    }
    // The peers saw the new-root leaves: each node's last peer serial is its peer's current one.
    await sleep(500);
    for (const [index, node] of links.nodes.entries()) {
      const peer = HOSTS[(index + 1) % HOSTS.length]!;
      expect(sameSerial(node.peerSerials().at(-1)!, (await store().current(peer))!.metadata.serialNumber)).toBe(true);
    }
    const counts = links.counts();
    console.log(`rotation: ${JSON.stringify(phases)} done at ${totalMs} ms; ring ${JSON.stringify(counts)}`);
    expect(links.failures()).toEqual([]);
    expect(counts.clientFailed).toBe(0);
    expect(counts.serverFailed).toBe(0);
    expect(counts.clientOk).toBeGreaterThan(100);
  }, ROTATION_TIMEOUT_MS);

  it('a host whose agent is down during phase distribute holds the rotation there, named by status; back and installed, the rotation goes through', async () => {
    const links = ring!;
    const failuresBefore = links.failures().length;
    const okBefore = links.counts().clientOk;
    await agents.get('host-c')!.stop();
    agents.delete('host-c');

    expect((await rotate()).phase).toBe('distribute');
    const held = await untilStatus('host-a and host-b to pass phase distribute', (view) => view.heldBy.every((holder) => holder.host === 'host-c'));
    expect(held.heldBy).toEqual([expect.objectContaining({ host: 'host-c', certificateId: 'host-c', reason: 'truststore without the new root' })]);

    const refused = await certflow('ca', 'rotate', '--advance');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('Held at phase distribute by host-c (host-c version');
    const status = await certflow('status', 'host-c');
    expect(status.stdout).toMatch(/root rotation phase distribute since \S+; held by host-c/);
    expect((await rotationStatus()).phase).toBe('distribute');
    // Held, not cut off: host-c still trusts the old root only, and its peers still serve old-root leaves.
    expect(await truststoreOwners('host-c')).toEqual([await ownerOf(held.oldRoot.fingerprintSha256)]);
    expect(await rootFingerprintOfLeaf('host-b')).toBe(held.oldRoot.fingerprintSha256);

    // Back: its agent's start installs what the store calls current, reloads, and reports.
    await startHostAgent('host-c', links.nodes[2]!.probePort, links.nodes[2]!.pidfile);
    await untilStatus('host-c to pass phase distribute', (view) => view.heldBy.length === 0);
    expect((await truststoreOwners('host-c')).sort()).toEqual([await ownerOf(held.oldRoot.fingerprintSha256), await ownerOf(held.newRoot.fingerprintSha256)].sort());
    let phase = (await rotate('--advance')).phase;
    expect(phase).toBe('issue-new');
    while (phase !== 'done') {
      await untilStatus(`every host to pass phase ${phase}`, (view) => view.heldBy.length === 0);
      phase = (await rotate('--advance')).phase;
    }
    const final = await rotationStatus();
    for (const host of HOSTS) expect(await rootFingerprintOfLeaf(host)).toBe(final.newRoot.fingerprintSha256);
    await sleep(500);
    expect(links.failures().slice(failuresBefore)).toEqual([]);
    expect(links.counts().clientOk - okBefore).toBeGreaterThan(100);
    console.log(`second rotation with a host down: ring ${JSON.stringify(links.counts())}`);
  }, ROTATION_TIMEOUT_MS);

  it('control: a leaf from the new root before the gate passed breaks the link to the host that trusts only the old root', async () => {
    const links = ring!;
    await agents.get('host-c')!.stop();
    agents.delete('host-c');
    expect((await rotate()).phase).toBe('distribute');
    const held = await untilStatus('host-a and host-b to pass phase distribute', (view) => view.heldBy.every((holder) => holder.host === 'host-c'));
    expect(held.heldBy.map((holder) => holder.host)).toEqual(['host-c']);
    const failuresBefore = links.failures().length;

    // What the gate prevents: the record moved on by hand, host-a reissued from the new root.
    const rotations = new FileRootRotations(home);
    const record = (await rotations.rotation(LOCAL_PRIVATE_CA))!;
    await rotations.saveRotation({ ...record, phase: 'issue-new' }, 'distribute');
    const issued = await certflow('issue', 'host-a', '--name', nameOf('host-a'), '--issuer', 'private', '--usage', 'clientAuth', '--usage', 'serverAuth');
    expect(issued.code, issued.stderr).toBe(0);
    expect(await rootFingerprintOfLeaf('host-a')).toBe(record.newRoot.fingerprintSha256);

    // host-c connects to host-a: it refuses host-a's new leaf; host-a refuses nothing (it trusts both).
    const deadline = Date.now() + 30_000;
    while (links.nodes[2]!.failures().length === 0 && Date.now() < deadline) await sleep(100);
    const broken = links.failures().slice(failuresBefore);
    expect(broken.length).toBeGreaterThan(0);
    expect(broken.filter((line) => !line.startsWith(`${nameOf('host-c')}: client-fail`) && !line.startsWith(`${nameOf('host-a')}: server-fail`))).toEqual([]);
    expect(broken.find((line) => line.startsWith(`${nameOf('host-c')}: client-fail`))).toMatch(/certificate|PKIX/i);
    console.log(`control: ${broken.length} failed handshakes, first: ${broken[0]}`);
  }, ROTATION_TIMEOUT_MS);
});
