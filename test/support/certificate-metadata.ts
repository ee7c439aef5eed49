/** Public metadata of a stored version, for store tests that need no real certificate. */
import type { CertificateMetadata } from '../../domain/core/certificate';

export const certificateMetadata = (serialNumber: string): CertificateMetadata => ({
  names: ['example.test'],
  serialNumber,
  notBefore: '2026-01-01T00:00:00.000Z',
  notAfter: '2026-04-01T00:00:00.000Z',
  fingerprintSha256: 'ab'.repeat(32),
  keyType: 'ec-p256',
  issuer: 'CN=Test',
});
