/**
 * The other documents the Secrets Manager store keeps (domain/adapters/aws/secrets-store.ts);
 * the certificate versions themselves are bundles (./bundle.ts). All hold private keys: parse
 * them with `showValues: false`.
 */
import { z } from 'zod';
import { CertificateIdSchema } from './ids';

/** The last failed renewal of a certificate (a tag on AWS, `failures/<id>.json` locally). */
export const RenewalFailureRecordSchema = z.object({
  at: z.string().min(1),
  step: z.string().min(1),
  error: z.string().min(1),
});
export type RenewalFailureRecord = Readonly<z.output<typeof RenewalFailureRecordSchema>>;

/**
 * The CA's last usable renewalInfo answer for the current certificate and when the scan may ask
 * again (domain/core/ari-checks.ts). A tag `certflow:ari` on AWS, `ari/<id>.json` locally.
 */
export const AriRecordSchema = z.object({
  certId: z.string().min(1),
  start: z.iso.datetime(),
  end: z.iso.datetime(),
  explanationUrl: z.string().min(1).optional(),
  checkedAt: z.iso.datetime(),
  nextCheckAt: z.iso.datetime(),
});

/** `<prefix>accounts/<hash>`: the ACME account key for a directory, and its URL once registered. */
export const AccountDocumentSchema = z.object({
  directoryUrl: z.string().min(1),
  keyPem: z.string().min(1),
  url: z.string().min(1).optional(),
});
export type AccountDocument = Readonly<z.output<typeof AccountDocumentSchema>>;

/** A version of `<prefix>pending/<id>`: the private key of one order in flight. */
export const PendingKeyDocumentSchema = z.object({
  kind: z.literal('pending-key'),
  certificateId: CertificateIdSchema,
  privateKeyPem: z.string().min(1),
});
export type PendingKeyDocument = Readonly<z.output<typeof PendingKeyDocumentSchema>>;

/** The first version of a pending-keys secret: it takes the AWSCURRENT label a first key would get. */
export interface PendingKeysMarker {
  readonly kind: 'pending-keys';
  readonly certificateId: string;
}

/** Which execution renews a certificate, until when (an execution killed before it gave the lease back holds it no longer). */
const LeaseOrderSchema = z.object({
  orderUrl: z.string().min(1),
  records: z.array(z.object({ name: z.string().min(1), value: z.string().min(1) })),
});
export const RenewalLeaseSchema = z.object({
  holder: z.string().min(1),
  expiresAt: z.iso.datetime(),
  /** The holder's order (CreateOrder notes it): what a taker cleans up if the holder never does. */
  order: LeaseOrderSchema.optional(),
  /** Orders of earlier holders this one took over from, cleaned up by its cleanup. */
  leftovers: z.array(LeaseOrderSchema).optional(),
});

/**
 * The current version of `<prefix>leases/<id>`: the certificate's renewal lease, or none (released).
 * Each version is written with a ClientRequestToken derived from the version it replaces, so of two
 * executions replacing the same version exactly one write goes through. No private material.
 */
export const LeaseDocumentSchema = z.object({
  kind: z.literal('renewal-lease'),
  certificateId: CertificateIdSchema,
  lease: RenewalLeaseSchema.optional(),
});
export type LeaseDocument = Readonly<z.output<typeof LeaseDocumentSchema>>;
