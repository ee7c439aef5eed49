/**
 * A config for the embedded local default (Pebble + the local DNS server, zones certflow.test and
 * example.test): `certflow renew --all --config examples/local.config.ts` issues what is missing
 * and renews what is due; run it again and nothing is due. `--force` renews every one.
 */
import { defineConfig } from '../infra/config';

export default defineConfig({
  hostedZones: [{ name: 'certflow.test' }, { name: 'example.test' }],
  certificates: [
    { id: 'local-web', names: ['www.certflow.test'] },
    { id: 'local-broker', names: ['mq.certflow.test', '*.mq.certflow.test'], keyType: 'rsa-2048' },
    { id: 'local-short', names: ['short.example.test'], profile: 'shortlived' },
  ],
});
