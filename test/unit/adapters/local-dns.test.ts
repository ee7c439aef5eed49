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
});
