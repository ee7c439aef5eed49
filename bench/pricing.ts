/**
 * AWS list prices used for the cost estimate (us-east-1, on-demand, checked 2026-11):
 * Step Functions Standard $0.025 per 1,000 state transitions; Lambda arm64 $0.0000133334
 * per GB-second and $0.20 per million requests. Free tiers are ignored.
 */
const PRICES = {
  standardTransition: 0.025 / 1000,
  lambdaArmGbSecond: 0.0000133334,
  lambdaRequest: 0.2 / 1_000_000,
} as const;

export interface RenewalUsage {
  readonly transitions: number;
  readonly lambdaInvocations: number;
  /** Billed Lambda time: each invocation rounded up to the millisecond. */
  readonly lambdaMs: number;
  readonly memoryMb: number;
}

export function renewalCostUsd(usage: RenewalUsage): number {
  const gbSeconds = (usage.lambdaMs / 1000) * (usage.memoryMb / 1024);
  return (
    usage.transitions * PRICES.standardTransition +
    usage.lambdaInvocations * PRICES.lambdaRequest +
    gbSeconds * PRICES.lambdaArmGbSecond
  );
}
