/**
 * ACME profiles against Pebble 2.10 configured with Let's Encrypt's (issue #18 point 2), through
 * the synthesized RenewCertificate state machine: each profile gives its lifetime, the order
 * carries the profile (metadata and the Renewed event say so), a required profile the CA lacks is
 * refused before any order, a preferred one falls back to the default profile with a warning.
 */
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PEBBLE_PROFILES, getFromPebble } from '../../local/pebble';
import { startTestPipeline, type TestPipeline } from '../support/local-pipeline';

let pipeline: TestPipeline;

beforeAll(async () => {
  pipeline = await startTestPipeline({ certificates: [{ id: 'declared-short', names: ['short.certflow.test'], profile: 'shortlived' }] });
});
afterAll(async () => pipeline?.dispose());

const ordersCreated = () => pipeline.logs.filter((line) => line.includes('"order created"')).length;

async function issuedLifetimeDays(certificateId: string): Promise<number> {
  const current = await pipeline.store.current(certificateId);
  const leaf = new X509Certificate(await fs.readFile(path.join(current!.location, 'cert.pem'), 'utf8'));
  return Math.round((Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / 86_400_000);
}

describe('ACME profiles on the local default (Pebble 2.10)', () => {
  it('the directory offers classic, tlsserver and shortlived', async () => {
    const response = await getFromPebble(pipeline.pebble.directoryUrl, pipeline.pebble.tlsCaPem);
    const directory = JSON.parse(response.body) as { meta: { profiles: Record<string, string> } };
    expect(Object.keys(directory.meta.profiles).sort()).toEqual(Object.keys(PEBBLE_PROFILES).sort());
  });

  it.each([
    ['classic', 90],
    ['tlsserver', 45],
    ['shortlived', 6],
  ])('profile %s issues a %i-day certificate; metadata and the Renewed event name the profile', async (profile, days) => {
    const id = `profile-${profile}`;
    const result = await pipeline.executor.run({ certificateId: id, names: [`${profile}.certflow.test`], profile });
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    expect(await issuedLifetimeDays(id)).toBe(days);
    expect((await pipeline.store.current(id))?.metadata.profile).toBe(profile);
    const renewed = (await pipeline.events.read()).filter((event) => event['detail-type'] === 'Certificate Renewed' && event.detail.certificateId === id);
    expect(renewed.at(-1)?.detail).toMatchObject({ profile });
  }, 120_000);

  it('an order without a profile gets classic (the local default names it: Pebble alone would pick one at random)', async () => {
    for (const attempt of [1, 2, 3]) {
      const result = await pipeline.executor.run({ certificateId: 'no-profile', names: ['plain.certflow.test'] });
      expect(result.status, `attempt ${attempt}: ${result.error}: ${result.cause}`).toBe('SUCCEEDED');
      expect(await issuedLifetimeDays('no-profile')).toBe(90);
    }
  }, 180_000);

  it('a declared profile is used when the request names only the id', async () => {
    const result = await pipeline.executor.run({ certificateId: 'declared-short' });
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    expect(await issuedLifetimeDays('declared-short')).toBe(6);
  }, 120_000);

  it('refuses a required profile the CA does not offer, naming those it offers, before any order', async () => {
    const before = ordersCreated();
    const result = await pipeline.executor.run({ certificateId: 'needs-client', names: ['client.certflow.test'], profile: 'tlsclient' });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InvalidCertificateRequest');
    expect(result.cause).toMatch(/profile: 'tlsclient' is not offered by the CA \(it offers (classic|tlsserver|shortlived)(, (classic|tlsserver|shortlived)){2}\)/);
    expect(ordersCreated()).toBe(before);
    expect(await pipeline.store.current('needs-client')).toBeUndefined();
  }, 60_000);

  it('a preferred profile the CA lacks falls back to the default profile, with a warning logged', async () => {
    const result = await pipeline.executor.run({ certificateId: 'prefers-client', names: ['prefers.certflow.test'], preferredProfile: 'tlsclient' });
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    expect((await pipeline.store.current('prefers-client'))?.metadata.profile).toBe('classic');
    expect(await issuedLifetimeDays('prefers-client')).toBe(90);
    const warning = pipeline.logs.find((line) => line.includes("preferred profile 'tlsclient' is not offered"));
    expect(warning).toContain('"level":"WARN"');
  }, 120_000);
});
