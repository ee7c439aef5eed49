/** The deployed wiring: settings from the function's environment, one AWS adapter per port. */
import { readFileSync } from 'node:fs';
import { ACMPCAClient } from '@aws-sdk/client-acm-pca';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsGroupQueues } from '../../domain/adapters/aws/group-queues';
import { authoritativeCheck } from '../../domain/adapters/aws/authoritative-check';
import { EventBridgePublisher } from '../../domain/adapters/aws/eventbridge-events';
import { AcmPcaIssuer, NO_PRIVATE_CA } from '../../domain/adapters/aws/private-ca';
import { Route53DnsProvider } from '../../domain/adapters/aws/route53-dns';
import { SecretsManagerCertificateStore } from '../../domain/adapters/aws/secrets-store';
import { SecretsManagerRootRotations } from '../../domain/adapters/aws/secrets-rotations';
import { CloudWatchHostReports } from '../../domain/adapters/aws/host-reports';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { StepFunctionsOrderLedger } from '../../domain/adapters/aws/sfn-order-ledger';
import { StepFunctionsExecutions } from '../../domain/adapters/aws/sfn-executions';
import { zoneClients } from '../../domain/adapters/aws/zone-clients';
import { z } from 'zod';
import { parseContract } from '../../domain/contracts/parse';
import { ChallengeDelegationSchema, HostedZoneSchema, ManagedCertificateSchema, PrivateCaSettingsSchema, ScanSettingsSchema, ServedCheckSettingsSchema } from '../../domain/contracts/settings';
import { secretRefProblem } from '../../domain/core/request';
import { DEFAULT_SCAN } from '../../domain/core/scan-plan';
import type { PipelineSettings, StepDeps } from '../deps';
import { powertoolsLog } from '../../domain/logging/logger';
import { ENV } from './env';

export { ENV };

type Environment = Record<string, string | undefined>;

function required(env: Environment, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`certflow: environment variable ${name} is not set (the stack sets it; see infra/renewal-functions.ts)`);
  return value;
}

/** A JSON setting, parsed with its contract (domain/contracts/settings.ts); `fallback` when unset. */
function json<S extends z.ZodType>(env: Environment, name: string, schema: S, fallback: z.output<S>): z.output<S> {
  const value = env[name];
  if (!value) return fallback;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new Error(`certflow: environment variable ${name} is not valid JSON`);
  }
  return parseContract(schema, parsed, (message) => new Error(`certflow: environment variable ${message} (the stack sets it; see infra/renewal-functions.ts)`), { root: name });
}

export function settingsFromEnvironment(env: Environment): PipelineSettings {
  const caFile = env[ENV.acmeCaFile];
  const secretPrefix = required(env, ENV.secretPrefix);
  if (!secretPrefix.endsWith('/')) throw new Error(`certflow: environment variable ${ENV.secretPrefix} must end with '/' (the stack sets it; see infra/renewal-functions.ts)`);
  const eab = env[ENV.eabSecret];
  const eabProblem = eab ? secretRefProblem(eab, secretPrefix, 'eab') : undefined;
  if (eabProblem) throw new Error(`certflow: environment variable ${ENV.eabSecret}: ${eabProblem} (the stack sets it; see infra/renewal-functions.ts)`);
  const defaultDirectoryUrl = required(env, ENV.directoryUrl);
  return {
    zones: json(env, ENV.zones, z.array(HostedZoneSchema), []),
    defaultDirectoryUrl,
    allowedDirectories: json(env, ENV.directories, z.array(z.string()), [defaultDirectoryUrl]),
    // Compiled into PackageAndStore's bundle (esbuild `define` replaces this exact expression):
    // a few roots outgrow Lambda's 4 KB of environment, and no other step needs them.
    trustAnchors: json(
      { [ENV.trustAnchors]: process.env.CERTFLOW_TRUST_ANCHORS ?? env[ENV.trustAnchors] },
      ENV.trustAnchors,
      z.record(z.string(), z.array(z.string())),
      {},
    ),
    defaultContact: json(env, ENV.contact, z.array(z.string()), []),
    secretPrefix,
    ...(eab ? { defaultExternalAccountBinding: eab } : {}),
    ...(env[ENV.defaultProfile] ? { defaultAcmeProfile: env[ENV.defaultProfile] } : {}),
    ...(caFile ? { acmeCaBundlePem: readFileSync(caFile, 'utf8') } : {}),
    // The inventory is compiled into the scan function's bundle (esbuild `define` replaces this
    // exact expression): thousands of certificates outgrow Lambda's 4 KB of environment.
    certificates: json({ [ENV.inventory]: process.env.CERTFLOW_INVENTORY ?? env[ENV.inventory] }, ENV.inventory, z.array(ManagedCertificateSchema), []),
    scan: json(env, ENV.scan, ScanSettingsSchema, DEFAULT_SCAN),
    ...privateCaOf(env),
    ...servedCheckOf(env),
  };
}

function privateCaOf(env: Environment): Pick<PipelineSettings, 'privateCa'> {
  const privateCa = json(env, ENV.privateCa, PrivateCaSettingsSchema.optional(), undefined);
  return privateCa ? { privateCa } : {};
}

/** Compiled into CheckServed's bundle (esbuild `define`): a fleet's groups outgrow Lambda's 4 KB of environment. */
function servedCheckOf(env: Environment): Pick<PipelineSettings, 'servedCheck'> {
  const servedCheck = json({ [ENV.servedCheck]: process.env.CERTFLOW_SERVED_CHECK ?? env[ENV.servedCheck] }, ENV.servedCheck, ServedCheckSettingsSchema.optional(), undefined);
  return servedCheck ? { servedCheck } : {};
}

export function awsDepsFromEnvironment(env: Environment = process.env): StepDeps {
  const settings = settingsFromEnvironment(env);
  return {
    settings,
    dns: new Route53DnsProvider(
      zoneClients({
        // Route 53 allows ~5 requests/s per account: adaptive mode rate-limits each client itself.
        clientConfig: { retryMode: 'adaptive', maxAttempts: 5 },
        sessionName: `certflow-${env[ENV.step] ?? 'dns'}`,
      }),
      {
        zones: settings.zones,
        delegations: json(env, ENV.delegations, z.array(ChallengeDelegationSchema), []),
        verifyAuthoritative: env[ENV.verifyAuthoritative] === 'true',
        authoritativeCheck,
      },
    ),
    store: new SecretsManagerCertificateStore(new SecretsManagerClient({}), {
      prefix: settings.secretPrefix,
      kmsKeyId: required(env, ENV.kmsKeyId),
    }),
    events: new EventBridgePublisher(new EventBridgeClient({}), required(env, ENV.eventBus)),
    orders: {
      // Only the scan counts orders; other steps never touch the ledger (nor need its permission).
      ordersSince: (since) => new StepFunctionsOrderLedger(new SFNClient({}), required(env, ENV.renewStateMachine)).ordersSince(since),
    },
    issuer: settings.privateCa
      ? new AcmPcaIssuer(new ACMPCAClient({}), {
          certificateAuthorityArn: settings.privateCa.certificateAuthorityArn,
          ...(settings.privateCa.signingAlgorithm ? { signingAlgorithm: settings.privateCa.signingAlgorithm } : {}),
        })
      : NO_PRIVATE_CA,
    executions: new StepFunctionsExecutions(new SFNClient({})),
    rotations: new SecretsManagerRootRotations(new SecretsManagerClient({}), { prefix: settings.secretPrefix, kmsKeyId: required(env, ENV.kmsKeyId) }),
    hosts: {
      // Only AdvanceRotation and CheckServed read the reports (and have the log group's name and the right to).
      hostStates: (since) => new CloudWatchHostReports(new CloudWatchLogsClient({}), required(env, ENV.hostInventoryLogGroup)).hostStates(since),
      reports: (since) => new CloudWatchHostReports(new CloudWatchLogsClient({}), required(env, ENV.hostInventoryLogGroup)).reports(since),
    },
    queues: new SqsGroupQueues(new SQSClient({})),
    log: powertoolsLog({ keys: { step: env[ENV.step] } }),
    now: () => new Date(),
  };
}
