import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { StepFunctionsOrderLedger } from '../../../../domain/adapters/aws/sfn-order-ledger';

const sfn = mockClient(SFNClient);
const ARN = 'arn:aws:states:eu-west-1:111122223333:stateMachine:certflow-RenewCertificate';
const execution = (minutesAgo: number, now: Date, name = `e${minutesAgo}`) => ({
  executionArn: `${ARN}:${name}`,
  stateMachineArn: ARN,
  name,
  status: 'SUCCEEDED' as const,
  startDate: new Date(now.getTime() - minutesAgo * 60_000),
});

describe('StepFunctionsOrderLedger', () => {
  it('counts executions started inside the window, newest first, across pages, stopping at the first older one', async () => {
    const now = new Date('2026-11-23T12:00:00Z');
    sfn.reset();
    sfn.on(ListExecutionsCommand)
      .resolvesOnce({ executions: [execution(1, now), execution(50, now)], nextToken: 't2' })
      .resolvesOnce({ executions: [execution(170, now), execution(190, now), execution(10, now)], nextToken: 't3' });
    const count = await new StepFunctionsOrderLedger(new SFNClient({ region: 'eu-west-1' }), ARN).ordersSince(new Date(now.getTime() - 3 * 3_600_000));
    expect(count).toBe(3);
    expect(sfn.commandCalls(ListExecutionsCommand).map((call) => call.args[0].input)).toEqual([
      { stateMachineArn: ARN, maxResults: 1000 },
      { stateMachineArn: ARN, maxResults: 1000, nextToken: 't2' },
    ]);
  });

  it('leaves out the private issuances a scan started (named privateCa-…): a private CA has no order budget', async () => {
    const now = new Date('2026-11-23T12:00:00Z');
    sfn.reset();
    sfn.on(ListExecutionsCommand).resolvesOnce({
      executions: [
        execution(1, now, 'privateCa-5f0e9c5e-8d1a-4a51-9a3e-0b7c2d1e4f60'),
        execution(2, now, '0c6a1d2e-3b4f-4a5b-8c7d-9e0f1a2b3c4d'), // a scan's ACME renewal (Step Functions' own name)
        execution(3, now, 'broker-a-20261123T115700Z-1a2b'), // a manual run (certflow renew --aws)
        execution(4, now, 'privateCa-7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d'),
        execution(200, now),
      ],
    });
    expect(await new StepFunctionsOrderLedger(new SFNClient({ region: 'eu-west-1' }), ARN).ordersSince(new Date(now.getTime() - 3 * 3_600_000))).toBe(2);
  });
});
