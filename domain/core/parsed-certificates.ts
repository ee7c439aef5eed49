/**
 * Parsed X.509 certificates, kept for the PEMs parsed lately. One renewal parses the same two or
 * three certificates about twenty times (verify, describe, trust anchors, four keystores,
 * truststores), ≈ 0.2 ms each; X509Certificate objects are immutable, so one parse serves them all.
 * Bounded: a warm Lambda or the local daemon sees every renewal's certificates pass through.
 */
import { X509Certificate } from 'node:crypto';

const MAX_ENTRIES = 64;
const parsed = new Map<string, X509Certificate>();

/** `new X509Certificate(pem)`, once per PEM while it is among the last MAX_ENTRIES parsed; throws as it does. */
export function parseCertificate(pem: string): X509Certificate {
  const known = parsed.get(pem);
  if (known) return known;
  const certificate = new X509Certificate(pem);
  if (parsed.size >= MAX_ENTRIES) parsed.delete(parsed.keys().next().value!);
  parsed.set(pem, certificate);
  return certificate;
}
