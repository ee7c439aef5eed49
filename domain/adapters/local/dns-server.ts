/**
 * An embedded authoritative DNS server (UDP) for the local default. Pebble resolves DNS-01
 * TXT lookups through it (`pebble -dnsserver 127.0.0.1:<port>`). A name holds a *set* of TXT
 * values: an apex and its wildcard share `_acme-challenge.<apex>` with two different values.
 */
import * as dgram from 'node:dgram';
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

export class LocalDnsServer<Source extends ZoneSource = LocalZoneData> {
  private readonly socket = dgram.createSocket('udp4');
  readonly queries: DnsQueryLog[] = [];

  constructor(readonly data: Source) {
    this.socket.on('message', (message, remote) => void this.answer(message, remote));
  }

  async start(port = 0, host = '127.0.0.1'): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.bind(port, host, () => resolve());
    });
    return this.port;
  }

  get port(): number {
    return (this.socket.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  private async answer(message: Buffer, remote: dgram.RemoteInfo): Promise<void> {
    let query: dnsPacket.Packet;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return; // not DNS: drop, as a real server would
    }
    const question = query.questions?.[0];
    if (!question) return;
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
    const response = dnsPacket.encode({
      type: 'response',
      id: query.id ?? 0,
      // Authoritative; NOERROR with no answers for names we hold nothing for (Pebble fails on any other rcode).
      flags: dnsPacket.AUTHORITATIVE_ANSWER | rcode,
      questions: [question],
      answers,
    });
    this.socket.send(response, remote.port, remote.address);
  }
}

/** Ask a DNS server over UDP for the TXT values at `name` (a real query, no cache). */
export async function queryTxt(server: { host: string; port: number }, name: string, timeoutMs = 2000): Promise<string[]> {
  const socket = dgram.createSocket('udp4');
  const id = Math.floor(Math.random() * 65535);
  try {
    return await new Promise<string[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`DNS query for ${name} timed out`)), timeoutMs);
      socket.on('message', (message) => {
        const response = dnsPacket.decode(message);
        if (response.id !== id) return;
        clearTimeout(timer);
        resolve(
          (response.answers ?? [])
            .filter((answer): answer is dnsPacket.TxtAnswer => answer.type === 'TXT')
            .flatMap((answer) => (Array.isArray(answer.data) ? answer.data : [answer.data]))
            .map((chunk) => (Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk))),
        );
      });
      socket.send(
        dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'TXT', name }] }),
        server.port,
        server.host,
      );
    });
  } finally {
    socket.close();
  }
}
