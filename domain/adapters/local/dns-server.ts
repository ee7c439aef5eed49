/**
 * An embedded authoritative DNS server (UDP and TCP) for the local default. Pebble resolves DNS-01
 * TXT lookups through it (`pebble -dnsserver 127.0.0.1:<port>`). A name holds a *set* of TXT
 * values: an apex and its wildcard share `_acme-challenge.<apex>` with two different values.
 */
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as dnsPacket from 'dns-packet';
import { normalizeName, zoneFor, type HostedZone } from '../../core/dns-names';
import type { TxtRecord } from '../../ports';

const RCODE_SERVFAIL = 2;
const RCODE_REFUSED = 5;
const TTL_SECONDS = 5;

export interface DnsQueryLog {
  readonly name: string;
  readonly type: string;
}

/** What the server answers from: its zones, and the TXT values at a name (local data or a provider's API). */
export interface ZoneSource {
  readonly zones: readonly HostedZone[];
  values(name: string): string[] | Promise<string[]>;
}

/** Zone data a DNS-01 provider writes to: the values plus a change log (LocalDnsProvider's store). */
export interface LocalZoneStore extends ZoneSource {
  add(records: readonly TxtRecord[]): string;
  remove(records: readonly TxtRecord[]): void;
  change(id: string): TxtRecord[] | undefined;
}

/** Zone data plus a change log, the local stand-in for a DNS provider's API. */
export class LocalZoneData implements LocalZoneStore {
  private readonly txt = new Map<string, Set<string>>();
  private readonly changes = new Map<string, TxtRecord[]>();
  private nextChange = 1;

  constructor(readonly zones: readonly HostedZone[]) {}

  values(name: string): string[] {
    return [...(this.txt.get(normalizeName(name)) ?? [])];
  }

  /** Every name that currently has TXT values. */
  names(): string[] {
    return [...this.txt.keys()];
  }

  add(records: readonly TxtRecord[]): string {
    for (const { name, value } of records) {
      const key = normalizeName(name);
      const set = this.txt.get(key) ?? new Set<string>();
      set.add(value);
      this.txt.set(key, set);
    }
    const id = `local-change-${this.nextChange++}`;
    this.changes.set(id, records.map((record) => ({ ...record })));
    return id;
  }

  remove(records: readonly TxtRecord[]): void {
    for (const { name, value } of records) {
      const key = normalizeName(name);
      const set = this.txt.get(key);
      set?.delete(value);
      if (set && set.size === 0) this.txt.delete(key);
    }
  }

  change(id: string): TxtRecord[] | undefined {
    return this.changes.get(id);
  }
}

/** Without EDNS, a UDP answer holds at most 512 bytes (RFC 1035 §4.2.1); a longer one is truncated (TC) and asked again over TCP. */
const MAX_UDP_ANSWER = 512;
const PORT_ATTEMPTS = 20;

/**
 * Answers on one port over UDP and TCP, as an authoritative server must (RFC 7766): Pebble ≥ 2.10
 * asks over TCP, and any resolver retries over TCP after a truncated UDP answer.
 */
export class LocalDnsServer<Source extends ZoneSource = LocalZoneData> {
  private udp: dgram.Socket | undefined;
  private tcp: net.Server | undefined;
  private readonly connections = new Set<net.Socket>();
  readonly queries: DnsQueryLog[] = [];

  constructor(readonly data: Source) {}

  /** Bind UDP and TCP to the same port (`port`, or a free one: retried when TCP finds it taken). */
  async start(port = 0, host = '127.0.0.1'): Promise<number> {
    for (let attempt = 1; ; attempt += 1) {
      const udp = dgram.createSocket('udp4');
      udp.on('message', (message, remote) => void this.answerUdp(udp, message, remote));
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(port, host, () => resolve());
      });
      const bound = (udp.address() as AddressInfo).port;
      const tcp = net.createServer((socket) => this.serveTcp(socket));
      try {
        await new Promise<void>((resolve, reject) => {
          tcp.once('error', reject);
          tcp.listen(bound, host, () => resolve());
        });
      } catch (error) {
        udp.close();
        if (port !== 0 || attempt >= PORT_ATTEMPTS) throw error;
        continue; // the free UDP port is taken over TCP: try another
      }
      this.udp = udp;
      this.tcp = tcp;
      return bound;
    }
  }

  get port(): number {
    if (!this.udp) throw new Error('the DNS server is not started');
    return (this.udp.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const { udp, tcp } = this;
    this.udp = undefined;
    this.tcp = undefined;
    for (const socket of this.connections) socket.destroy();
    await Promise.all([
      udp && new Promise<void>((resolve) => udp.close(() => resolve())),
      tcp && new Promise<void>((resolve) => tcp.close(() => resolve())),
    ]);
  }

  private async answerUdp(socket: dgram.Socket, message: Buffer, remote: dgram.RemoteInfo): Promise<void> {
    const response = await this.respond(message, MAX_UDP_ANSWER);
    if (response && this.udp === socket) socket.send(response, remote.port, remote.address);
  }

  /** DNS over TCP: each message is preceded by its length in two bytes (RFC 1035 §4.2.2); several may share a connection. */
  private serveTcp(socket: net.Socket): void {
    this.connections.add(socket);
    socket.on('close', () => this.connections.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const message = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
        buffered = buffered.subarray(2 + message.length);
        void this.respond(message, 0xffff).then((response) => {
          if (!response || socket.destroyed) return;
          const length = Buffer.alloc(2);
          length.writeUInt16BE(response.length);
          socket.write(Buffer.concat([length, response]));
        });
      }
    });
  }

  /** The encoded answer to one query, truncated (TC set, no answers) when longer than `maxBytes`; undefined for what is not DNS. */
  private async respond(message: Buffer, maxBytes: number): Promise<Buffer | undefined> {
    let query: dnsPacket.Packet;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return undefined; // not DNS: drop, as a real server would
    }
    const question = query.questions?.[0];
    if (!question) return undefined;
    const name = normalizeName(question.name);
    this.queries.push({ name, type: question.type });

    const inZone = zoneFor(name, this.data.zones) !== undefined;
    let values: string[] = [];
    let failed = false;
    try {
      if (inZone && question.type === 'TXT') values = await this.data.values(name);
    } catch {
      failed = true; // the source could not be read: SERVFAIL, as a real server whose backend is down
    }
    const answers: dnsPacket.Answer[] = values.map((value) => ({ type: 'TXT', name: question.name, ttl: TTL_SECONDS, data: [value] }));
    const rcode = failed ? RCODE_SERVFAIL : inZone ? 0 : RCODE_REFUSED;
    // Authoritative; NOERROR with no answers for names we hold nothing for (Pebble fails on any other rcode).
    const flags = dnsPacket.AUTHORITATIVE_ANSWER | rcode;
    const response = dnsPacket.encode({ type: 'response', id: query.id ?? 0, flags, questions: [question], answers });
    if (response.length <= maxBytes) return response;
    return dnsPacket.encode({ type: 'response', id: query.id ?? 0, flags: flags | dnsPacket.TRUNCATED_RESPONSE, questions: [question], answers: [] });
  }
}

function txtValues(response: dnsPacket.Packet): string[] {
  return (response.answers ?? [])
    .filter((answer): answer is dnsPacket.TxtAnswer => answer.type === 'TXT')
    .flatMap((answer) => (Array.isArray(answer.data) ? answer.data : [answer.data]))
    .map((chunk) => (Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk)));
}

function udpExchange(server: { host: string; port: number }, query: Buffer, id: number, timeoutMs: number): Promise<dnsPacket.Packet> {
  const socket = dgram.createSocket('udp4');
  return new Promise<dnsPacket.Packet>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out over UDP')), timeoutMs);
    socket.on('message', (message) => {
      const response = dnsPacket.decode(message);
      if (response.id !== id) return;
      clearTimeout(timer);
      resolve(response);
    });
    socket.send(query, server.port, server.host);
  }).finally(() => socket.close());
}

function tcpExchange(server: { host: string; port: number }, query: Buffer, timeoutMs: number): Promise<dnsPacket.Packet> {
  return new Promise<dnsPacket.Packet>((resolve, reject) => {
    const socket = net.connect(server.port, server.host);
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error('timed out over TCP')));
    socket.on('error', reject);
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 2 || buffered.length < 2 + buffered.readUInt16BE(0)) return;
      socket.end();
      resolve(dnsPacket.decode(buffered.subarray(2, 2 + buffered.readUInt16BE(0))));
    });
    const length = Buffer.alloc(2);
    length.writeUInt16BE(query.length);
    socket.write(Buffer.concat([length, query]));
  });
}

/** Ask a DNS server for the TXT values at `name` (a real query, no cache): UDP, then TCP when the answer is truncated. */
export async function queryTxt(server: { host: string; port: number }, name: string, timeoutMs = 2000): Promise<string[]> {
  const id = Math.floor(Math.random() * 65535);
  const query = dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'TXT', name }] });
  try {
    const response = await udpExchange(server, query, id, timeoutMs);
    return txtValues((response.flags ?? 0) & dnsPacket.TRUNCATED_RESPONSE ? await tcpExchange(server, query, timeoutMs) : response);
  } catch (error) {
    throw new Error(`DNS query for ${name} failed: ${(error as Error).message}`);
  }
}
