/**
 * `npm run demo`: issue a real certificate from Pebble through the synthesized state machine,
 * on the embedded local default (Pebble + local DNS + file store + JSON lines events).
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startAgent, type ReloadContext } from '../agent';
import { FILE } from '../domain/keystores/formats';
import { certflowHome, startLocalDefault } from '../local/default';
import type { LocalRunner } from '../local/environment';
import { progressPrinter } from '../local/progress';
import type { ExecutionResult } from '../local/runner';
import { failureLine } from './commands/local-run';

const ROOT = certflowHome();
const HOST_DIR = path.join(ROOT, 'host');
const RELOAD_TIMEOUT_MS = 15_000;
const REQUEST = {
  certificateId: 'broker-demo',
  names: ['certflow.test', '*.certflow.test', 'broker.example.test'],
  keyType: 'ec-p256',
};

/**
 * The demo's "broker": on reload it reads the freshly switched live/<id>/ and checks that the
 * key matches the certificate, as a broker loading its keystore would fail to if it did not.
 */
function demoBroker(onReload: (context: ReloadContext) => void) {
  return {
    description: 'demo broker: load live/<id>/ and check key ⇄ certificate',
    async reload(context: ReloadContext) {
      const [cert, key] = await Promise.all([FILE.certificate, FILE.privateKey].map((file) => readFile(path.join(context.liveDir, file), 'utf8')));
      if (!new X509Certificate(cert!).checkPrivateKey(createPrivateKey(key!))) throw new Error('key does not match the certificate');
      onReload(context);
    },
  };
}

export interface DemoOptions {
  /** The summary as one JSON document on stdout; progress on stderr. */
  readonly json?: boolean;
}

export async function main(options: DemoOptions = {}): Promise<number> {
  // With --json, everything a person reads goes to stderr, the result alone to stdout.
  const say = options.json ? (line = '') => process.stderr.write(`${line}\n`) : (line = '') => process.stdout.write(`${line}\n`);
  say(`certflow demo — store and events under ${ROOT}`);
  let pipeline: LocalRunner | undefined;
  try {
    pipeline = await startLocalDefault({ root: ROOT, write: (text) => (options.json ? process.stderr : process.stdout).write(text) });
    const events = pipeline.events;
    events.subscribe((event) => {
      say(`\nEvent "${event['detail-type']}":`);
      say(JSON.stringify(event, null, 2));
    });
    // A subscriber, as on a broker host: installs each renewed version into its own layout and reloads.
    const reloads = new Map<string, (context: ReloadContext) => void>();
    const subscriber = await startAgent({
      certificateIds: [REQUEST.certificateId],
      installDir: HOST_DIR,
      source: { kind: 'local', storeDir: ROOT, eventLog: events },
      reload: { kind: 'action', action: demoBroker((context) => reloads.get(context.serialNumber)?.(context)) },
      reconcileIntervalMs: 0,
      logSink: () => {},
    });
    let installed: ReloadContext;
    let result: ExecutionResult;
    try {
      say(`\nRenewCertificate for ${REQUEST.names.join(', ')} (${REQUEST.keyType})`);
      result = await pipeline.executor.run(REQUEST, { onEvent: progressPrinter(say) });
      if (result.status !== 'SUCCEEDED') {
        if (options.json) process.stdout.write(`${JSON.stringify({ executionId: result.executionId, status: result.status, error: result.error, cause: result.cause }, null, 2)}\n`);
        console.error(`\nRenewal ${failureLine(result)}`);
        return 1;
      }
      const serial = (result.output as { metadata: { serialNumber: string } }).metadata.serialNumber;
      installed = await new Promise<ReloadContext>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the subscriber did not install serial ${serial} within ${RELOAD_TIMEOUT_MS / 1000} s`)), RELOAD_TIMEOUT_MS);
        reloads.set(serial, (context) => {
          clearTimeout(timer);
          resolve(context);
        });
      });
      say(`\nSubscriber installed version ${installed.version} into ${installed.liveDir} and reloaded the demo broker (serial ${installed.serialNumber})`);
    } finally {
      await subscriber.stop();
    }
    const current = await pipeline.store.current(REQUEST.certificateId);
    if (!current) throw new Error('the execution succeeded but the store has no current version');
    const { metadata } = current;
    if (options.json) {
      const subscriber = { version: installed.version, serialNumber: installed.serialNumber, liveDir: installed.liveDir };
      const { certificateId, version, location, formats } = current;
      const execution = { executionId: result.executionId, status: result.status, transitions: result.transitions, lambdaInvocations: result.lambdaInvocations };
      process.stdout.write(`${JSON.stringify({ ...execution, certificateId, version, location, formats, metadata, events: events.file, subscriber }, null, 2)}\n`);
      return 0;
    }
    say('\nSummary');
    say(`  names       ${metadata.names.join(', ')}`);
    say(`  serial      ${metadata.serialNumber}`);
    say(`  notAfter    ${metadata.notAfter}`);
    say(`  issuer      ${metadata.issuer}`);
    say(`  version     ${current.version} (formats: ${current.formats.join(', ')})`);
    say(`  files       ${current.location}/  →  archive/${REQUEST.certificateId}/${current.version}/`);
    say(`  events      ${events.file}`);
    say(`  subscriber  ${installed.liveDir}/ (${FILE.jksKeystore}, ${FILE.pkcs12Keystore} with ${FILE.password})`);
    say(`  execution   ${result.transitions} state transitions, ${result.lambdaInvocations} Lambda invocations`);
    return 0;
  } finally {
    await pipeline?.stop();
  }
}

/** main() with its failure reported: the exit code (`certflow demo` and `npm run demo`). */
export function runDemo(options: DemoOptions = {}): Promise<number> {
  return main(options).catch((error: unknown) => {
    console.error(`\ncertflow demo failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  });
}

// Run as a program (tsx bin/demo.ts), not when imported by bin/cli.ts.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void runDemo().then((code) => process.exit(code));
