/** Human-readable progress, one line per state, from the local executor's history events. */
/** What the printer reads of a history event (local/runner.ts HistoryEvent). */
export interface ProgressLike {
  readonly type: string;
  readonly timestamp: number;
  readonly state?: { readonly name: string };
  readonly Error?: unknown;
  readonly retry?: unknown;
}

/**
 * A state that fails and is retried is shown once, as retried with its error (not ✗ then ✓): a
 * failure is printed when the event after it is not its retry. A failure caught into the failure
 * path is ✗ and ↳; the exit aws-local-stepfunctions reports after the catch is not shown as ✓.
 */
export function progressPrinter(write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)) {
  const entered = new Map<string, number>();
  let failed: { readonly name: string; readonly error: string } | undefined;
  const caught = new Set<string>();
  return (event: ProgressLike): void => {
    const name = event.state?.name ?? '';
    if (failed && event.type !== 'StateRetried') write(`  ✗ ${failed.name.padEnd(28)} ${failed.error}`);
    const error = failed?.error;
    failed = undefined;
    switch (event.type) {
      case 'StateEntered':
        entered.set(name, event.timestamp);
        break;
      case 'StateExited': {
        if (caught.delete(name)) break;
        const ms = event.timestamp - (entered.get(name) ?? event.timestamp);
        write(`  ✓ ${name.padEnd(28)} ${String(ms).padStart(5)} ms`);
        break;
      }
      case 'StateRetried':
        write(`  ↻ ${name.padEnd(28)} ${error ? `${error}, ` : ''}retry #${(event.retry as { attempt?: number } | undefined)?.attempt ?? '?'}`);
        break;
      case 'StateFailed':
        failed = { name, error: String(event.Error ?? '') };
        break;
      case 'StateCaught':
        caught.add(name);
        write(`  ↳ ${name.padEnd(28)} failure path`);
        break;
      default:
        break;
    }
  };
}
