/** One rule for the scan schedule, whatever issues the certificates (ACME profiles, private CA identities). */
import { describe, expect, it } from 'vitest';
import { maxScanIntervalHours, scanSchedule, type ScheduleNeed } from '../../../domain/core/scan-schedule';

const acme = (certificateId: string, profile: string, lifetimeHours: number): ScheduleNeed => ({ certificateId, rule: 'acme', lifetimeHours, source: `profile ${profile}` });
const identity = (certificateId: string, days: number): ScheduleNeed => ({ certificateId, rule: 'privateCa', lifetimeHours: days * 24, source: 'private CA identity' });

describe('maxScanIntervalHours', () => {
  it('ACME: lifetime / 12 (4 scans between ½ of the lifetime and ⅙ left)', () => {
    expect(maxScanIntervalHours('acme', 160)).toBeCloseTo(13.33, 2);
    expect(maxScanIntervalHours('acme', 6 * 24)).toBeCloseTo(12, 9);
    expect(maxScanIntervalHours('acme', 90 * 24)).toBeCloseTo(180, 9);
  });
  it('private CA identity: lifetime / 20 (4 scans between 80 % and expiry)', () => {
    expect(maxScanIntervalHours('privateCa', 7 * 24)).toBeCloseTo(8.4, 9);
    expect(maxScanIntervalHours('privateCa', 24)).toBeCloseTo(1.2, 9);
  });
});

describe('scanSchedule', () => {
  const window = { windowHours: 3 };

  it('derives the order budget window when nothing needs less, or the tightest bound, whole hours, at least 1', () => {
    expect(scanSchedule({ needs: [acme('web', 'classic', 90 * 24)], ...window })).toEqual({ hours: 3 });
    expect(scanSchedule({ needs: [], ...window })).toEqual({ hours: 3 });
    expect(scanSchedule({ needs: [identity('b1', 1), acme('web', 'classic', 90 * 24)], ...window })).toEqual({ hours: 1 });
    expect(scanSchedule({ needs: [identity('b7', 7)], windowHours: 24 })).toEqual({ hours: 8 });
  });

  it('keeps a stated interval within every bound', () => {
    expect(scanSchedule({ needs: [identity('b7', 7), acme('api', 'shortlived', 160)], statedHours: 8, ...window })).toEqual({ hours: 8 });
  });

  it('refuses a stated interval too coarse, naming the certificate that binds, ACME or private', () => {
    expect(scanSchedule({ needs: [acme('web', 'classic', 90 * 24), acme('api', 'shortlived', 160)], statedHours: 24, ...window })).toEqual({
      problem: "24 h is too coarse for the shortest lifetime declared: certificates['api'] (profile shortlived, 160 h) needs a scan at least every 13.3 h (4 scans between its latest renewal point and ⅙ of its lifetime left; docs/renewal-policy.md)",
    });
    // 7-day identities bind before a 160-h ACME certificate: 8.4 h < 13.3 h.
    expect(scanSchedule({ needs: [acme('api', 'shortlived', 160), identity('b7', 7)], statedHours: 9, ...window })).toEqual({
      problem: "9 h is too coarse for the shortest lifetime declared: certificates['b7'] (private CA identity, 7 d) needs a scan at least every 8.4 h (4 scans between 80 % of its lifetime and expiry; docs/private-ca.md)",
    });
  });

  it('says when no schedule fits (a bound under an hour)', () => {
    expect(scanSchedule({ needs: [acme('api', 'hourly', 6)], ...window })).toEqual({
      problem: "no schedule fits: certificates['api'] (profile hourly, 6 h) needs a scan at least every 0.5 h (4 scans between its latest renewal point and ⅙ of its lifetime left; docs/renewal-policy.md)",
    });
  });
});
