/**
 * The names of certflow's events (EventBridge source and detail-types), apart from their zod
 * schemas in ./events: the `certflow` command's help and registration need the names only, and
 * loading zod would cost every subcommand's start.
 */
export const EVENT_SOURCE = 'certflow';

export const DETAIL_TYPES = {
  renewed: 'Certificate Renewed',
  failed: 'Certificate Renewal Failed',
  expiring: 'Certificate Expiring',
  /** An operator made an older version current again; hosts install it (the store says so, not the event). */
  rolledBack: 'Certificate Rolled Back',
  /** A host agent installed (and reloaded) a version. */
  installed: 'Certificate Installed',
  /** A host agent could not verify, install or reload a version. */
  reloadFailed: 'Certificate Reload Failed',
  /** The CA revoked a version (RevokeCertificate); the store marks it revoked. */
  revoked: 'Certificate Revoked',
  /** A RevokeCertificate execution failed: the store is as it was. */
  revocationFailed: 'Certificate Revocation Failed',
} as const;

/** What host agents publish (their IAM allows these detail-types only); the pipeline publishes the rest. */
export const HOST_DETAIL_TYPES = [DETAIL_TYPES.installed, DETAIL_TYPES.reloadFailed] as const;
