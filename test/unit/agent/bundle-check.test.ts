import { describe, expect, it } from 'vitest';
import { parseBundle, verifyBundle } from '../../../agent/bundle-check';
import { BundleRejected } from '../../../agent/errors';
import type { CertificateBundle } from '../../../domain/core/bundle';
import { issueBundle, NAMES } from './fixtures';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const text = (bundle: CertificateBundle, name: string) => Buffer.from(bundle.files[name]!, 'base64').toString('utf8');
const withFiles = (bundle: CertificateBundle, files: Record<string, string | undefined>): CertificateBundle => ({
  ...bundle,
  files: Object.fromEntries(Object.entries({ ...bundle.files, ...files }).filter((entry): entry is [string, string] => entry[1] !== undefined)),
});

describe('verifyBundle', async () => {
  const good = await issueBundle('broker', '3');
  const other = await issueBundle('broker', '4');
  const now = new Date();
  const expected = { certificateId: 'broker', version: '3', serialNumber: good.metadata.serialNumber, fingerprintSha256: good.metadata.fingerprintSha256 };

  it('returns the decoded files of a good version', () => {
    const files = verifyBundle(good, expected, now);
    expect(Object.keys(files).sort()).toEqual(Object.keys(good.files).sort());
    expect(files['cert.pem']!.toString()).toBe(text(good, 'cert.pem'));
  });

  it.each<[string, () => CertificateBundle, Partial<typeof expected> | undefined, Date | undefined, RegExp]>([
    ['a key that does not match the leaf', () => withFiles(good, { 'privkey.pem': other.files['privkey.pem'] }), undefined, undefined, /does not match/],
    ['a chain out of order', () => {
      const [leaf, ca] = [text(good, 'cert.pem'), text(good, 'chain.pem')];
      return withFiles(good, { 'cert.pem': b64(ca), 'chain.pem': b64(leaf), 'fullchain.pem': b64(ca + leaf) });
    }, undefined, undefined, /does not match|chain out of order/],
    ['fullchain.pem that is not cert + chain', () => withFiles(good, { 'fullchain.pem': good.files['cert.pem'] }), undefined, undefined, /fullchain.pem/],
    ['an expired leaf (the clock is passed in)', () => good, undefined, new Date(Date.now() + 200 * 86_400_000), /not valid now/],
    ['a leaf not yet valid', () => good, undefined, new Date(Date.now() - 86_400_000), /not valid now/],
    ['names other than the metadata names', () => ({ ...good, metadata: { ...good.metadata, names: [NAMES[0]!] } }), undefined, undefined, /not requested/],
    ['metadata describing another certificate', () => ({ ...good, metadata: { ...good.metadata, serialNumber: other.metadata.serialNumber } }), undefined, undefined, /does not describe the leaf/],
    ['a serial other than the event announced', () => good, { serialNumber: other.metadata.serialNumber }, undefined, /announced serialNumber/],
    ['a fingerprint other than the event announced', () => good, { fingerprintSha256: other.metadata.fingerprintSha256 }, undefined, /announced fingerprintSha256/],
    ['another version than asked for', () => good, { version: '9' }, undefined, /expected 9/],
    ['another certificate than asked for', () => good, { certificateId: 'other' }, undefined, /expected 'other'/],
    ['a missing keystore its formats promise', () => withFiles(good, { 'keystore.jks': undefined }), undefined, undefined, /missing keystore.jks/],
    ['a file name that is a path', () => withFiles(good, { '../../etc/cron.d/x': b64('boom') }), undefined, undefined, /not allowed/],
    ['a metadata.json among the files', () => withFiles(good, { 'metadata.json': b64('{}') }), undefined, undefined, /not allowed/],
  ])('rejects %s', (_case, bundle, overrides, at, message) => {
    const verify = () => verifyBundle(bundle(), { ...expected, ...overrides }, at ?? now);
    expect(verify).toThrow(BundleRejected);
    expect(verify).toThrow(message);
  });
});

describe('parseBundle', () => {
  it.each([
    ['not an object', [], /not a JSON object/],
    ['another schema', { schema: 'certflow.bundle/v0' }, /schema/],
    ['no metadata', { schema: 'certflow.bundle/v1', certificateId: 'a', version: '1' }, /metadata is missing/],
  ])('rejects %s', (_case, value, message) => {
    expect(() => parseBundle(value)).toThrow(message);
  });

  it('accepts what the store writes (JSON.stringify of a bundle)', async () => {
    const bundle = await issueBundle('broker', 'v1');
    expect(parseBundle(JSON.parse(JSON.stringify(bundle)))).toEqual(bundle);
  });
});
