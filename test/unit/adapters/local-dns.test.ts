import { Resolver } from 'node:dns/promises';
import * as net from 'node:net';
import * as dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalDnsProvider } from '../../../domain/adapters/local/dns-provider';
import { LocalDnsServer, LocalZoneData, queryTxt } from '../../../domain/adapters/local/dns-server';

const server = new LocalDnsServer(new LocalZoneData([{ name: 'example.test' }, { name: 'other.test' }]));
const provider = new LocalDnsProvider(server);
let address: { host: string; port: number };

beforeAll(async () => {
  address = { host: '127.0.0.1', port: await server.start() };
});
afterAll(async () => server.stop());

describe('local DNS server and provider', () => {
  it('serves a set of values per name (apex and wildcard share one name) and reports sync', async () => {
    const records = [
      { name: '_acme-challenge.example.test', value: 'apex-value' },
      { name: '_acme-challenge.example.test', value: 'wildcard-value' },
      { name: '_acme-challenge.mq.other.test', value: 'other-value' },
    ];
    const changes = await provider.present(records);
    expect(changes.map((change) => change.zone).sort()).toEqual(['example.test', 'other.test']);
    expect(await provider.isInSync(changes)).toBe(true);
    expect((await queryTxt(address, '_acme-challenge.example.test')).sort()).toEqual(['apex-value', 'wildcard-value']);
    expect(await queryTxt(address, '_ACME-CHALLENGE.MQ.OTHER.TEST.')).toEqual(['other-value']);

    await provider.cleanup(records);
    expect(await queryTxt(address, '_acme-challenge.example.test')).toEqual([]);
    expect(server.data.names()).toEqual([]);
  });

  it('cleanup removes only our values and treats already-gone records as done', async () => {
    server.data.add([{ name: '_acme-challenge.example.test', value: 'someone-else' }]);
    const ours = [{ name: '_acme-challenge.example.test', value: 'ours' }];
    await provider.present(ours);
    await provider.cleanup(ours);
    await provider.cleanup(ours);
    expect(await queryTxt(address, '_acme-challenge.example.test')).toEqual(['someone-else']);
    server.data.remove([{ name: '_acme-challenge.example.test', value: 'someone-else' }]);
  });

  it('is not in sync while the server does not answer the value', async () => {
    const [change] = await provider.present([{ name: '_acme-challenge.late.example.test', value: 'v' }]);
    server.data.remove([{ name: '_acme-challenge.late.example.test', value: 'v' }]);
    expect(await provider.isInSync([change!])).toBe(false);
  });

  it('refuses names outside its zones and answers NOERROR-empty inside them', async () => {
    await expect(provider.present([{ name: '_acme-challenge.example.org', value: 'v' }])).rejects.toThrow(/in no zone served/);
    expect(await queryTxt(address, '_acme-challenge.nothing.example.test')).toEqual([]);
    expect(server.queries.at(-1)).toEqual({ name: '_acme-challenge.nothing.example.test', type: 'TXT' });
  });

  it('answers over TCP: length-prefixed messages, two pipelined on one connection (RFC 7766)', async () => {
    server.data.add([{ name: '_acme-challenge.tcp.example.test', value: 'over-tcp' }]);
    const frame = (id: number) => {
      const message = dnsPacket.encode({ type: 'query', id, questions: [{ type: 'TXT', name: '_acme-challenge.tcp.example.test' }] });
      return Buffer.concat([Buffer.from([message.length >> 8, message.length & 0xff]), message]);
    };
    const answers = await new Promise<dnsPacket.Packet[]>((resolve, reject) => {
      const socket = net.connect(address.port, address.host);
      let buffered = Buffer.alloc(0);
      const decoded: dnsPacket.Packet[] = [];
      socket.on('error', reject);
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
          decoded.push(dnsPacket.decode(buffered.subarray(2, 2 + buffered.readUInt16BE(0))));
          buffered = buffered.subarray(2 + buffered.readUInt16BE(0));
        }
        if (decoded.length === 2) {
          socket.end();
          resolve(decoded);
        }
      });
      socket.write(Buffer.concat([frame(101), frame(102)]));
    });
    expect(answers.map((answer) => answer.id).sort()).toEqual([101, 102]);
    for (const answer of answers) expect(answer.answers).toMatchObject([{ type: 'TXT', data: [Buffer.from('over-tcp')] }]);
    server.data.remove([{ name: '_acme-challenge.tcp.example.test', value: 'over-tcp' }]);
  });

  it('truncates a UDP answer over 512 bytes, and a real resolver (c-ares) gets it all over TCP', async () => {
    const name = '_acme-challenge.big.example.test';
    const values = Array.from({ length: 20 }, (_, i) => `value-${String(i).padStart(2, '0')}-${'x'.repeat(36)}`);
    server.data.add(values.map((value) => ({ name, value })));
    const resolver = new Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([`127.0.0.1:${address.port}`]);
    expect((await resolver.resolveTxt(name)).map((chunks) => chunks.join('')).sort()).toEqual(values);
    // our own client falls back the same way
    expect((await queryTxt(address, name)).sort()).toEqual(values);
    server.data.remove(values.map((value) => ({ name, value })));
  });
});
