/** The local event source: tailing events.jsonl like a queue (redelivery, dead-lettering, long poll). */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventFileSource } from '../../../agent/adapters/local/event-file-source';
import { LocalEventLog } from '../../../domain/adapters/local/event-log';
import type { CertificateRenewedEvent } from '../../../domain/ports';
import { recordingLog, tempDir } from './fixtures';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await tempDir('events');
  file = path.join(dir, 'events.jsonl');
});
afterEach(async () => fs.rm(dir, { recursive: true, force: true }));

const renewed = (version: string): CertificateRenewedEvent => ({
  certificateId: 'broker', version, location: dir, names: ['b.test'], serialNumber: '0a', notBefore: '2026-01-01T00:00:00.000Z',
  notAfter: '2026-04-01T00:00:00.000Z', fingerprintSha256: 'ab'.repeat(32), keyType: 'ec-p256', formats: ['pem'], executionId: 'e',
});
const versionsOf = (events: { envelope: unknown }[]) => events.map((event) => (event.envelope as { detail: { version: string } }).detail.version);

describe('EventFileSource', () => {
  it('delivers "Certificate Renewed" lines appended after it started, complete lines only', async () => {
    const log = new LocalEventLog(file);
    await log.renewed(renewed('1')); // before: caught up by the agent's start-up, not delivered
    const source = new EventFileSource({ file, waitMs: 0 });
    await log.renewed(renewed('2'));
    await log.failed({ certificateId: 'broker', step: 'CreateOrder', error: 'OrderInvalid', message: 'no', executionId: 'e' });
    await fs.appendFile(file, '{"source":"certflow","detail-type":"Certificate Renewed","detail":{"vers');

    const first = await source.receive();
    expect(versionsOf(first)).toEqual(['2']);
    expect(first[0]).toMatchObject({ receiveCount: 1, receipt: `${first[0]!.id}#1` });

    await fs.appendFile(file, 'ion":"3"}}\n');
    expect(versionsOf(await source.receive())).toEqual(['3']);
    expect(await source.receive()).toEqual([]);
  });

  it('delivers a released event again after the retry delay, then dead-letters it', async () => {
    const log = recordingLog();
    const source = new EventFileSource({ file, waitMs: 2000, pollMs: 10, retryDelayMs: 50, maxReceives: 2, log });
    await new LocalEventLog(file).renewed(renewed('7'));
    const [first] = await source.receive();
    await source.release(first!);
    const started = Date.now();
    const [second] = await source.receive();
    expect(Date.now() - started).toBeGreaterThanOrEqual(40);
    expect(second).toEqual({ ...first, receipt: `${first!.id}#2`, receiveCount: 2 });
    await source.release(second!);
    expect(log.lines).toEqual([{ level: 'error', message: 'event dead-lettered after too many deliveries', fields: { eventId: first!.id, receiveCount: 2 } }]);
  });

  it('wakes a waiting receive at once when the in-process event log publishes', async () => {
    const events = new LocalEventLog(file);
    const source = new EventFileSource({ file, waitMs: 10_000, pollMs: 5_000, wake: events });
    const receiving = source.receive();
    const started = Date.now();
    await events.renewed(renewed('9'));
    expect(versionsOf(await receiving)).toEqual(['9']);
    expect(Date.now() - started).toBeLessThan(1000);
    source.close();
  });

  it('returns nothing when the wait ends or the receive is aborted', async () => {
    const source = new EventFileSource({ file, waitMs: 100, pollMs: 20 });
    expect(await source.receive()).toEqual([]);
    const controller = new AbortController();
    const long = new EventFileSource({ file, waitMs: 60_000, pollMs: 60_000 }).receive(controller.signal);
    controller.abort();
    expect(await long).toEqual([]);
  });
});
