/**
 * The step functions' environment variable names, apart from the AWS wiring (aws-deps.ts) that
 * reads them: the catalogue and the infra name them without loading the AWS SDK.
 */
/** Environment variables the stack sets on every step function (infra/renewal-functions.ts). */
export const ENV = {
  step: 'CERTFLOW_STEP',
  zones: 'CERTFLOW_ZONES',
  delegations: 'CERTFLOW_DELEGATIONS',
  verifyAuthoritative: 'CERTFLOW_VERIFY_AUTHORITATIVE',
  directoryUrl: 'CERTFLOW_DIRECTORY_URL',
  contact: 'CERTFLOW_CONTACT',
  eabSecret: 'CERTFLOW_EAB_SECRET',
  /** The ACME profile an order names when its certificate names none (config `acme.defaultProfile`). */
  defaultProfile: 'CERTFLOW_ACME_DEFAULT_PROFILE',
  acmeCaFile: 'CERTFLOW_ACME_CA_FILE',
  secretPrefix: 'CERTFLOW_SECRET_PREFIX',
  kmsKeyId: 'CERTFLOW_KMS_KEY_ID',
  eventBus: 'CERTFLOW_EVENT_BUS',
  renewStateMachine: 'CERTFLOW_RENEW_STATE_MACHINE_ARN',
  inventory: 'CERTFLOW_INVENTORY',
  scan: 'CERTFLOW_SCAN',
  /** The ACME directories a request may name (JSON list of URLs); the default alone when unset. */
  directories: 'CERTFLOW_DIRECTORIES',
  /** Trust anchors by directory URL (JSON); compiled into PackageAndStore's bundle, like the inventory into the scan's. */
  trustAnchors: 'CERTFLOW_TRUST_ANCHORS',
  /** The private issuer (config `privateCa` without its anchors, which are in trustAnchors under the CA's ARN), JSON. */
  privateCa: 'CERTFLOW_PRIVATE_CA',
  /** The host inventory log group (the agents' reports), which AdvanceRotation's gates read. */
  hostInventoryLogGroup: 'CERTFLOW_HOST_INVENTORY_LOG_GROUP',
  /** The served check's groups and grace (JSON); compiled into CheckServed's bundle, like the inventory into the scan's. */
  servedCheck: 'CERTFLOW_SERVED_CHECK',
} as const;
