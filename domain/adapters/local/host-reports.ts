/** The hosts' reports on the local default: the agents append them to events.jsonl (agent/reporters.ts). */
import { hostInventory, type HostState } from '../../core/host-inventory';
import type { HostReports } from '../../ports';
import { LocalEventLog } from './event-log';

export class LocalHostReports implements HostReports {
  constructor(private readonly log: Pick<LocalEventLog, 'read'>) {}

  static ofFile(file: string): LocalHostReports {
    return new LocalHostReports(new LocalEventLog(file));
  }

  async hostStates(since: Date): Promise<HostState[]> {
    return hostInventory((await this.log.read()).filter((event) => Date.parse(event.time) >= since.getTime()));
  }
}
