/** Where "Certificate Reload Failed" goes besides the agent's own log line. */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { EVENT_SOURCE } from '../lambdas/ports';
import { RELOAD_FAILED_DETAIL_TYPE, type CertificateReloadFailedEvent, type ReloadFailureReporter } from './ports';

/** Locally: appended to events.jsonl, shaped like the pipeline's EventBridge envelopes. */
export class EventFileReporter implements ReloadFailureReporter {
  constructor(
    readonly file: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async reloadFailed(detail: CertificateReloadFailedEvent): Promise<void> {
    const event = { time: this.now().toISOString(), source: EVENT_SOURCE, 'detail-type': RELOAD_FAILED_DETAIL_TYPE, detail };
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    await fs.appendFile(this.file, `${JSON.stringify(event)}\n`);
  }
}
