/** The hosts' reports on the local default: the agents append them to events.jsonl (agent/reporters.ts). */
import { hostInventory, type HostState, type ReportEnvelope } from '../../core/host-inventory';
import type { GroupQueues, HostReports } from '../../ports';
import { LocalEventLog } from './event-log';

export class LocalHostReports implements HostReports {
  constructor(private readonly log: Pick<LocalEventLog, 'read'>) {}

  static ofFile(file: string): LocalHostReports {
    return new LocalHostReports(new LocalEventLog(file));
  }

  async hostStates(since: Date): Promise<HostState[]> {
    return hostInventory(await this.reports(since));
  }

  /** events.jsonl is appended in the order the events were made. */
  async reports(since: Date): Promise<ReportEnvelope[]> {
    return (await this.log.read()).filter((event) => Date.parse(event.time) >= since.getTime());
  }
}

/** The local default has no host queues: no roster, so every host that reported counts (as on AWS for a group without queues). */
export const NO_GROUP_QUEUES: GroupQueues = { queueNames: async () => new Set() };
