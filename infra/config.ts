/** The stack's typed configuration (read by bin/certflow.ts). */
import type { HostedZone } from '../lambdas/core/dns-names';

export const LETS_ENCRYPT_STAGING = 'https://acme-staging-v02.api.letsencrypt.org/directory';
export const LETS_ENCRYPT_PRODUCTION = 'https://acme-v02.api.letsencrypt.org/directory';

export interface PollLimits {
  /** Seconds the Wait state pauses before each check. */
  readonly waitSeconds: number;
  /** Checks before the loop gives up with its named timeout error. */
  readonly maxAttempts: number;
}

export interface CertflowConfig {
  readonly acme: {
    /** Default ACME directory; a request may name another. Let's Encrypt staging unless chosen. */
    readonly directoryUrl: string;
    /** Default account contact (mailto: URIs). */
    readonly contact: readonly string[];
  };
  /** Hosted zones certflow may write `_acme-challenge` TXT records to. */
  readonly hostedZones: readonly HostedZone[];
  readonly lambda: { readonly memoryMb: number; readonly timeoutSeconds: number };
  readonly poll: {
    readonly dnsSync: PollLimits;
    readonly orderReady: PollLimits;
    readonly certificateIssued: PollLimits;
  };
}

export const DEFAULT_POLL: CertflowConfig['poll'] = {
  // Route 53 is usually INSYNC within 60 s: 10 s × 30 gives five minutes.
  dnsSync: { waitSeconds: 10, maxAttempts: 30 },
  // Validation is seconds at Let's Encrypt; 5 s × 60 covers a slow CA.
  orderReady: { waitSeconds: 5, maxAttempts: 60 },
  certificateIssued: { waitSeconds: 5, maxAttempts: 60 },
};

export const exampleConfig: CertflowConfig = {
  acme: { directoryUrl: LETS_ENCRYPT_STAGING, contact: [] },
  hostedZones: [{ name: 'example.com', id: 'Z0000000EXAMPLE' }],
  lambda: { memoryMb: 512, timeoutSeconds: 30 },
  poll: DEFAULT_POLL,
};
