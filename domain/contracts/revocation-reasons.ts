/** The revocation reasons by name, apart from the zod schemas in ./revocation (the command's registration needs the names only). */

/**
 * CRLReason codes (RFC 5280 §5.3.1) a subscriber may give. The others are refused by the CA/B
 * Forum Baseline Requirements (certificateHold, cACompromise, privilegeWithdrawn, aACompromise,
 * removeFromCRL) or are the CA's own to use; Let's Encrypt accepts exactly these five.
 */
export const REVOCATION_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
} as const;

export type RevocationReason = keyof typeof REVOCATION_REASONS;
export const REVOCATION_REASON_NAMES = Object.keys(REVOCATION_REASONS) as [RevocationReason, ...RevocationReason[]];
export const DEFAULT_REVOCATION_REASON: RevocationReason = 'unspecified';
