/**
 * ACME orders placed recently = RenewCertificate executions started recently (each places one new
 * ACME order), manual ones included, but not those a scan started for a private issuance (named
 * PRIVATE_EXECUTION_PREFIX…: a private CA has no order budget). ListExecutions returns the newest
 * first, so the count stops at the first execution older than the window.
 *
 * Minimal IAM: states:ListExecutions on the RenewCertificate state machine.
 */
import { ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { PRIVATE_EXECUTION_PREFIX } from '../../core/scan-selection';
import type { OrderLedger } from '../../ports';

export class StepFunctionsOrderLedger implements OrderLedger {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async ordersSince(since: Date): Promise<number> {
    let count = 0;
    let nextToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListExecutionsCommand({ stateMachineArn: this.stateMachineArn, maxResults: 1000, ...(nextToken ? { nextToken } : {}) }),
      );
      for (const execution of page.executions ?? []) {
        if (!execution.startDate || execution.startDate < since) return count;
        if (!execution.name?.startsWith(PRIVATE_EXECUTION_PREFIX)) count += 1;
      }
      nextToken = page.nextToken;
    } while (nextToken);
    return count;
  }
}

StepFunctionsOrderLedger satisfies new (client: SFNClient, arn: string) => OrderLedger;
