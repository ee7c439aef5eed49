/**
 * One Route 53 client per hosted-zone role. A zone with a `roleArn` lives in another AWS account
 * and is reached through STS AssumeRole; the others use the pipeline's own credentials.
 *
 * Build this once per container: each client keeps its assumed-role credentials (the SDK
 * memoizes them) and assumes the role again only shortly before they expire, so a warm
 * container calls STS about once an hour per role, not once per invocation.
 */
import { Route53Client, type Route53ClientConfig } from '@aws-sdk/client-route-53';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { HostedZone } from '../../core/dns-names';

type Credentials = NonNullable<Route53ClientConfig['credentials']>;

export interface ZoneRole {
  readonly roleArn: string;
  readonly externalId?: string;
}

/** Credentials for a zone's role (default: STS AssumeRole, refreshed by the SDK). */
export type AssumeRole = (role: ZoneRole) => Credentials;

/** The Route 53 client for a zone's calls. */
export type ZoneClients = (zone: HostedZone) => Route53Client;

export interface ZoneClientOptions {
  /** Shared by every client: retry settings; endpoint, region and credentials in tests. */
  readonly clientConfig?: Route53ClientConfig;
  /** RoleSessionName: what the zone account's CloudTrail shows, e.g. `certflow-present-challenges`. */
  readonly sessionName?: string;
  readonly assumeRole?: AssumeRole;
}

export function zoneClients(options: ZoneClientOptions = {}): ZoneClients {
  const config = options.clientConfig ?? {};
  const assumeRole = options.assumeRole ?? stsAssumeRole(config, options.sessionName ?? 'certflow');
  const home = new Route53Client(config);
  const byRole = new Map<string, Route53Client>();
  return (zone) => {
    if (!zone.roleArn) return home;
    const role: ZoneRole = { roleArn: zone.roleArn, ...(zone.externalId ? { externalId: zone.externalId } : {}) };
    const key = JSON.stringify([role.roleArn, role.externalId]);
    let client = byRole.get(key);
    if (!client) {
      client = new Route53Client({ ...config, credentials: assumeRole(role) });
      byRole.set(key, client);
    }
    return client;
  };
}

/** AssumeRole with the pipeline's own credentials, through the same endpoint and region. */
function stsAssumeRole(config: Route53ClientConfig, sessionName: string): AssumeRole {
  const { region, endpoint, credentials } = config;
  const sts = { ...(region ? { region } : {}), ...(endpoint ? { endpoint } : {}), ...(credentials ? { credentials } : {}) };
  return ({ roleArn, externalId }) =>
    fromTemporaryCredentials({
      params: { RoleArn: roleArn, RoleSessionName: sessionName, ...(externalId ? { ExternalId: externalId } : {}) },
      clientConfig: sts,
    });
}
