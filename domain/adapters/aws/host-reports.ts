/**
 * The hosts' reports on AWS: the inventory rule delivers every "Certificate Installed" and
 * "Certificate Reload Failed" on the bus (and the pipeline's "Certificate Renewed" and "Certificate
 * Rolled Back", which say what the hosts should serve) to a log group (infra/host-inventory.ts), one event a log
 * line, the EventBridge envelope as JSON. FilterLogEvents reads them back from `since` (a rotation's
 * start, or `certflow list/status --aws`'s window: a year of reports is never read), in time order,
 * and the pure folds make the states (and, once the rule delivers them, the announcements).
 *
 * API reference (FilterLogEvents): https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html
 * ("startTime … Events with a timestamp before this time are not returned"; nextToken pages; the
 * events come sorted by time). The log group holds nothing else (the rule's pattern,
 * INVENTORY_PATTERN); the folds ignore any other detail-type all the same.
 *
 * Minimal IAM (infra/iam.ts hostReports): logs:FilterLogEvents on the inventory log group.
 */
import { FilterLogEventsCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { hostInventory, type HostState, type ReportEnvelope } from '../../core/host-inventory';
import type { HostReports } from '../../ports';

export class CloudWatchHostReports implements HostReports {
  constructor(
    private readonly client: Pick<CloudWatchLogsClient, 'send'>,
    private readonly logGroupName: string,
  ) {}

  async hostStates(since: Date): Promise<HostState[]> {
    return hostInventory(await this.reports(since));
  }

  /** Every report and announcement since `since`, in the order they were made (what the folds read). */
  async reports(since: Date): Promise<ReportEnvelope[]> {
    const envelopes: { at: number; envelope: ReportEnvelope }[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.client.send(
        new FilterLogEventsCommand({ logGroupName: this.logGroupName, startTime: since.getTime(), ...(nextToken ? { nextToken } : {}) }),
      );
      for (const event of page.events ?? []) {
        const envelope = parseEnvelope(event.message);
        if (envelope) envelopes.push({ at: event.timestamp ?? Date.parse(envelope.time), envelope });
      }
      nextToken = page.nextToken;
    } while (nextToken);
    // Streams interleave: the folds need the reports in the order they were made.
    envelopes.sort((a, b) => Date.parse(a.envelope.time) - Date.parse(b.envelope.time) || a.at - b.at);
    return envelopes.map(({ envelope }) => envelope);
  }
}

/** A log line as an envelope; anything else (not JSON, no detail-type) is not a report. */
function parseEnvelope(message: string | undefined): ReportEnvelope | undefined {
  try {
    const parsed = JSON.parse(message ?? '') as Partial<ReportEnvelope>;
    return typeof parsed.time === 'string' && typeof parsed['detail-type'] === 'string' ? (parsed as ReportEnvelope) : undefined;
  } catch {
    return undefined;
  }
}
