/**
 * Deployment configuration, read by bin/certflow.ts (`npx cdk synth` / `npx cdk deploy`).
 * Replace the example zone and certificates with yours; see README "Deploy to AWS".
 */
import { defineConfig, LETS_ENCRYPT_STAGING } from './infra/config';

export default defineConfig({
  acme: {
    // Let's Encrypt staging until you trust the setup; then LETS_ENCRYPT_PRODUCTION.
    directoryUrl: LETS_ENCRYPT_STAGING,
    contact: ['mailto:pki-team@example.com'],
    // For CAs with External Account Binding: a secret `certflow/eab/<name>` holding {"kid","hmacKey"}.
    // externalAccountBindingSecret: 'certflow/eab/my-ca',
  },
  hostedZones: [{ name: 'example.com', id: 'Z0123456789EXAMPLE' }],
  delegations: [],
  certificates: [
    { id: 'broker-eu1', names: ['mq.example.com', '*.mq.example.com'], keystore: { profile: 'legacy' } },
  ],
  // Hosts that install the keystores: `npx cdk deploy` outputs each group's queue URL and host policy.
  subscribers: [{ name: 'brokers-eu', certificateIds: ['broker-eu1'] }],
});
