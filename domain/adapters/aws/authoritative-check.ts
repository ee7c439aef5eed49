/**
 * Ask each authoritative name server of a zone directly (no recursive resolver, no cache)
 * whether it answers our TXT values — the check lego calls "propagation to all authoritative
 * name servers".
 */
import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import type { TxtRecord } from '../../ports';
import type { AuthoritativeCheck } from './route53-dns';

const QUERY_TIMEOUT_MS = 2000;

/** A name server host name → its first IPv4 address; IP literals (with an optional :port) pass through. */
async function address(nameServer: string): Promise<string> {
  const host = nameServer.replace(/:\d+$/, '');
  if (isIP(host)) return nameServer;
  const [first] = await dns.resolve4(host);
  if (!first) throw new Error(`name server ${nameServer} has no IPv4 address`);
  return first;
}

async function answers(server: string, record: TxtRecord): Promise<boolean> {
  const resolver = new dns.Resolver({ timeout: QUERY_TIMEOUT_MS, tries: 1 });
  resolver.setServers([server]);
  try {
    const chunks = await resolver.resolveTxt(record.name);
    return chunks.some((parts) => parts.join('') === record.value);
  } catch {
    return false; // NXDOMAIN, NODATA or timeout: not (yet) served
  }
}

export const authoritativeCheck: AuthoritativeCheck = async (nameServers, records) => {
  if (nameServers.length === 0) return false;
  const servers = await Promise.all(nameServers.map(address));
  const results = await Promise.all(servers.flatMap((server) => records.map((record) => answers(server, record))));
  return results.every(Boolean);
};
