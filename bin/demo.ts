/**
 * `npm run demo`: issue a real certificate from Pebble through the synthesized state machine,
 * on the embedded local default (Pebble + local DNS + file store + JSON lines events).
 */
import * as path from 'node:path';
import { startLocalPipeline, type LocalPipeline } from '../local/environment';
import { ensurePebbleInstalled } from '../local/pebble';
import { progressPrinter } from '../local/progress';

const ROOT = path.resolve(process.env.CERTFLOW_HOME ?? '.certflow');
const REQUEST = {
  certificateId: 'broker-demo',
  names: ['certflow.test', '*.certflow.test', 'broker.example.test'],
  keyType: 'ec-p256',
};

async function main(): Promise<number> {
  ensurePebbleInstalled();
  console.log(`certflow demo — store and events under ${ROOT}`);
  console.log('Starting Pebble (local ACME CA) and the embedded DNS server…');
  let pipeline: LocalPipeline | undefined;
  try {
    pipeline = await startLocalPipeline({ root: ROOT });
    console.log(`  Pebble directory ${pipeline.pebble.directoryUrl}, DNS on 127.0.0.1:${pipeline.dnsServer.port}/udp`);
    const events = pipeline.events;
    events.subscribe((event) => {
      console.log(`\nEvent "${event['detail-type']}":`);
      console.log(JSON.stringify(event, null, 2));
    });
    console.log(`\nRenewCertificate for ${REQUEST.names.join(', ')} (${REQUEST.keyType})`);
    const result = await pipeline.executor.run(REQUEST, { onEvent: progressPrinter() });
    if (result.status !== 'SUCCEEDED') {
      console.error(`\nRenewal FAILED: ${result.error}: ${result.cause}`);
      return 1;
    }
    const current = await pipeline.store.current(REQUEST.certificateId);
    if (!current) throw new Error('the execution succeeded but the store has no current version');
    const { metadata } = current;
    console.log('\nSummary');
    console.log(`  names       ${metadata.names.join(', ')}`);
    console.log(`  serial      ${metadata.serialNumber}`);
    console.log(`  notAfter    ${metadata.notAfter}`);
    console.log(`  issuer      ${metadata.issuer}`);
    console.log(`  version     ${current.version} (formats: ${current.formats.join(', ')})`);
    console.log(`  files       ${current.location}/  →  archive/${REQUEST.certificateId}/${current.version}/`);
    console.log(`  events      ${events.file}`);
    console.log(`  execution   ${result.transitions} state transitions, ${result.lambdaInvocations} Lambda invocations`);
    return 0;
  } finally {
    await pipeline?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`\ncertflow demo failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
