/**
 * The floor: one bare acme-client order (no state machine, no store, no events) against the
 * same Pebble and DNS server — what a single script doing DNS-01 by hand would take.
 */
import * as acme from 'acme-client';
import type { LocalZoneData } from '../domain/adapters/local/dns-server';
import { generatePrivateKey } from '../domain/core/certificate';
import { challengeRecordName } from '../domain/core/dns-names';
import type { KeyType } from '../domain/core/key-types';

async function pollUntil(client: acme.Client, url: string, wanted: string[]): Promise<acme.Order> {
  for (;;) {
    const order = await client.getOrder({ url } as acme.Order & { url: string });
    if (wanted.includes(order.status)) return order;
    if (order.status === 'invalid') throw new Error('order invalid');
  }
}

export async function bareOrder(client: acme.Client, zone: LocalZoneData, names: string[], keyType: KeyType): Promise<string> {
  const order = await client.createOrder({ identifiers: names.map((value) => ({ type: 'dns', value })) });
  const authorizations = await client.getAuthorizations(order);
  const pending = authorizations.filter((authz) => authz.status === 'pending');
  const records: { name: string; value: string }[] = [];
  const challenges = [];
  for (const authz of pending) {
    const challenge = authz.challenges.find((c) => c.type === 'dns-01')!;
    records.push({ name: challengeRecordName(authz.identifier.value), value: await client.getChallengeKeyAuthorization(challenge) });
    challenges.push(challenge);
  }
  zone.add(records);
  try {
    await Promise.all(challenges.map((challenge) => client.completeChallenge(challenge)));
    const ready = await pollUntil(client, order.url, ['ready']);
    const key = await generatePrivateKey(keyType);
    const [, csr] = await acme.crypto.createCsr({ altNames: names, commonName: names[0]! }, key);
    await client.finalizeOrder(ready, csr);
    const valid = await pollUntil(client, order.url, ['valid']);
    return await client.getCertificate(valid);
  } finally {
    zone.remove(records);
  }
}
