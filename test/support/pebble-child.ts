/**
 * A process that starts Pebble (local/pebble.ts), prints `{"pid": …, "dir": …}` (Pebble's temp dir) and then waits to be
 * ended by the test: `exit` exits without stopping Pebble; `write` writes to stdout until the
 * pipe breaks; anything else waits for a signal.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { startPebble } from '../../local/pebble';

const mode = process.argv[2] ?? 'wait';
const pebble = await startPebble({ dnsPort: 1 });
const args = readFileSync(`/proc/${pebble.pid}/cmdline`, 'utf8').split('\0');
const dir = path.dirname(args[args.indexOf('-config') + 1]!);
process.stdout.write(`${JSON.stringify({ pid: pebble.pid, dir })}\n`);
if (mode === 'exit') process.exit(0);
if (mode === 'write') setInterval(() => process.stdout.write('tick\n'), 20);
else setInterval(() => {}, 1000);
