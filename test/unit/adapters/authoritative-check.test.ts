import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalDnsServer, LocalZoneData } from '../../../domain/adapters/local/dns-server';
import { authoritativeCheck } from '../../../domain/adapters/aws/authoritative-check';

// Two real authoritative servers on loopback, as a zone's name servers.
const a = new LocalDnsServer(new LocalZoneData([{ name: 'example.test' }]));
const b = new LocalDnsServer(new LocalZoneData([{ name: 'example.test' }]));
let servers: string[];

beforeAll(async () => {
  servers = [`127.0.0.1:${await a.start()}`, `127.0.0.1:${await b.start()}`];
});
afterAll(async () => Promise.all([a.stop(), b.stop()]));

describe('authoritativeCheck', () => {
  const record = { name: '_acme-challenge.example.test', value: 'token-value' };

  it('is true only once every name server answers every value', async () => {
    expect(await authoritativeCheck(servers, [record])).toBe(false);
    a.data.add([record]);
    expect(await authoritativeCheck(servers, [record])).toBe(false);
    b.data.add([record, { name: record.name, value: 'someone-else' }]);
    expect(await authoritativeCheck(servers, [record])).toBe(true);
    expect(await authoritativeCheck(servers, [record, { name: record.name, value: 'missing' }])).toBe(false);
  });

  it('is false without name servers', async () => {
    expect(await authoritativeCheck([], [record])).toBe(false);
  });
});
