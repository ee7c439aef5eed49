/**
 * RevokeCertificate end to end on the local default: the synthesized definition against Pebble.
 * Pebble's management interface (`/cert-status-by-serial/<serial>`) is the judge of what the CA
 * did; the store's mark, events.jsonl (each detail against its published JSON Schema) and the
 * files are checked beside it. A reissue gets a new key, and a running agent that follows
 * events.jsonl installs it. Failures leave the store as it was and announce themselves once.
 */
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent } from '../../agent';
import { generatePrivateKey } from '../../domain/core/certificate';
import { DnsChangeRejected, NothingToRevoke, StoreRejected } from '../../domain/core/errors';
import { HOST_DETAIL_TYPES } from '../../domain/contracts/events';
import type { CertificateRevokedEvent } from '../../domain/ports';
import { startLocalPipeline } from '../../local/environment';
import type { ExecutionResult } from '../../local/runner';
import { startTestPipeline, type TestPipeline } from '../support/local-pipeline';
import { detailErrors } from '../support/schemas';
import { keyNeedles, scanForSecrets } from '../support/secret-scan';

let pipeline: TestPipeline;
/** Every execution's history, for the secret scan. */
const histories: string[] = [];

beforeAll(async () => {
  pipeline = await startTestPipeline();
});
afterAll(async () => {
  await pipeline?.dispose();
});

const names = (id: string) => [`${id}.certflow.test`, `*.${id}.certflow.test`];

async function issue(id: string): Promise<string> {
  const result = await pipeline.executor.run({ certificateId: id, names: names(id) });
  histories.push(JSON.stringify(result.history));
  expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
  return (await pipeline.store.current(id))!.version;
}

async function revoke(input: Record<string, unknown>): Promise<ExecutionResult> {
  const result = await pipeline.revokeExecutor.run(input);
  histories.push(JSON.stringify(result.history));
  return result;
}

/** What Pebble says of a serial (its management interface; serials compared as numbers: Pebble drops leading zeros). */
function caStatus(serialNumber: string): Promise<{ Status: string; Reason?: number; Serial: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(`${pipeline.pebble.managementUrl}/cert-status-by-serial/${serialNumber}`, { ca: pipeline.pebble.tlsCaPem }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        response.on('end', () => {
          if (response.statusCode !== 200) return reject(new Error(`cert-status-by-serial/${serialNumber}: HTTP ${response.statusCode} ${body}`));
          const status = JSON.parse(body) as { Status: string; Reason?: number; Serial: string };
          expect(BigInt(`0x${status.Serial}`)).toBe(BigInt(`0x${serialNumber}`));
          resolve(status);
        });
      })
      .on('error', reject);
  });
}

const events = async (id: string, detailType?: string) =>
  (await pipeline.events.read()).filter((event) => event.detail.certificateId === id && (detailType === undefined || event['detail-type'] === detailType));

/** Every file and link under the store (events.jsonl aside), with a hash of its content: "the store as it was". */
async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(dir, entry.name);
      const relative = path.relative(root, full);
      if (relative === 'events.jsonl') continue;
      if (entry.isSymbolicLink()) out[relative] = `-> ${await fs.readlink(full)}`;
      else if (entry.isDirectory()) await walk(full);
      else out[relative] = createHash('sha256').update(await fs.readFile(full)).digest('hex');
    }
  };
  await walk(root);
  return out;
}

const archived = (id: string, version: string, file: string) => fs.readFile(path.join(pipeline.root, 'archive', id, version, file), 'utf8');
const spki = (pem: string) => createPublicKey(pem).export({ type: 'spki', format: 'der' }).toString('base64');

describe('certflow revoke on the local default (RevokeCertificate against Pebble)', () => {
  it('revokes at the CA with the reason code, marks the version, announces it; material and current version untouched', async () => {
    const id = 'revoke-plain';
    const version = await issue(id);
    const { serialNumber, fingerprintSha256 } = (await pipeline.store.current(id))!.metadata;
    expect((await caStatus(serialNumber)).Status).toBe('Valid');
    const before = await snapshot(path.join(pipeline.root, 'archive', id));

    const result = await revoke({ certificateId: id, reason: 'keyCompromise' });
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');

    // The CA: revoked, reason keyCompromise (1).
    expect(await caStatus(serialNumber)).toMatchObject({ Status: 'Revoked', Reason: 1 });
    // The store: the version marked beside the archive, which did not change; still current (no reissue).
    const issued = (await pipeline.store.issuedCertificate(id, version))!;
    expect(issued.revoked).toEqual({ reason: 'keyCompromise', revokedAt: expect.any(String) });
    expect(JSON.parse(await fs.readFile(path.join(pipeline.root, 'revoked', id, `${version}.json`), 'utf8'))).toEqual(issued.revoked);
    expect(await snapshot(path.join(pipeline.root, 'archive', id))).toEqual(before);
    expect((await pipeline.store.current(id))!.version).toBe(version);
    // The event: one "Certificate Revoked", valid against its published schema.
    const revoked = await events(id, 'Certificate Revoked');
    expect(revoked).toHaveLength(1);
    expect(detailErrors('Certificate Revoked', revoked[0]!.detail)).toEqual([]);
    expect(revoked[0]!.detail).toEqual({
      certificateId: id,
      version,
      serialNumber,
      fingerprintSha256,
      notAfter: issued.metadata.notAfter,
      reason: 'keyCompromise',
      reasonCode: 1,
      revokedAt: issued.revoked!.revokedAt,
      alreadyRevoked: false,
      reissue: false,
      executionId: result.executionId,
    } satisfies CertificateRevokedEvent);

    // Again (another reason): the CA answers alreadyRevoked, the first mark stays, the event says so.
    const again = await revoke({ certificateId: id, version, reason: 'superseded' });
    expect(again.status, `${again.error}: ${again.cause}`).toBe('SUCCEEDED');
    const repeated = (await events(id, 'Certificate Revoked')).at(-1)!.detail as CertificateRevokedEvent;
    expect(repeated).toMatchObject({ alreadyRevoked: true, reason: 'keyCompromise', revokedAt: issued.revoked!.revokedAt });
    expect(await fs.readdir(path.join(pipeline.root, 'revoked', id))).toEqual([`${version}.json`]);
    expect(await caStatus(serialNumber)).toMatchObject({ Status: 'Revoked', Reason: 1 });
  });

  it('--reissue: a new version with a new key becomes current and a running agent installs it; an abandoned pending key is not reused', async () => {
    const id = 'revoke-reissue';
    const first = await issue(id);
    const revokedKey = await archived(id, first, 'privkey.pem');
    // A pending key an abandoned order left behind: no later order may take it.
    const stray = path.join(pipeline.root, 'pending', id, 'abandoned-order');
    await fs.mkdir(stray, { recursive: true });
    const strayKey = await generatePrivateKey('ec-p256');
    await fs.writeFile(path.join(stray, 'privkey.pem'), strayKey, { mode: 0o600 });

    const host = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-revoke-host-'));
    const agentLogs: string[] = [];
    const agent = await startAgent({
      certificateIds: [id],
      installDir: host,
      source: { kind: 'local', storeDir: pipeline.root, eventLog: pipeline.events, pollMs: 50 },
      reconcileIntervalMs: 0,
      logSink: (line) => agentLogs.push(line),
    });
    try {
      expect(agent.startup[id]).toMatchObject({ n: 1 });
      const oldSerial = (await pipeline.store.current(id))!.metadata.serialNumber;

      const result = await revoke({ certificateId: id, reason: 'keyCompromise', reissue: true });
      expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
      const output = result.output as { reissued: { certificateId: string; version: string; executionArn: string } };

      const current = (await pipeline.store.current(id))!;
      expect(current.version).not.toBe(first);
      expect(output.reissued).toMatchObject({ certificateId: id, version: current.version, executionArn: expect.stringContaining(':execution:RenewCertificate:') });
      expect(await caStatus(oldSerial)).toMatchObject({ Status: 'Revoked', Reason: 1 });
      expect((await caStatus(current.metadata.serialNumber)).Status).toBe('Valid');
      // A new key: another public key than the revoked certificate's, and not the stray pending one.
      const newCert = await archived(id, current.version, 'cert.pem');
      const newKey = await archived(id, current.version, 'privkey.pem');
      expect(spki(newCert)).toBe(spki(newKey));
      expect(spki(newCert)).not.toBe(spki(revokedKey));
      expect(spki(newCert)).not.toBe(spki(strayKey));
      expect(new X509Certificate(newCert).serialNumber.toLowerCase()).toBe(current.metadata.serialNumber);
      // Revoked, then Renewed (the reissue), in that order, each valid against its schema.
      const announced = (await events(id)).filter((event) => !(HOST_DETAIL_TYPES as readonly string[]).includes(event['detail-type']));
      expect(announced.map((event) => event['detail-type'])).toEqual(['Certificate Renewed', 'Certificate Revoked', 'Certificate Renewed']);
      for (const event of announced) expect(detailErrors(event['detail-type'], event.detail)).toEqual([]);
      expect(announced[1]!.detail).toMatchObject({ version: first, reissue: true, alreadyRevoked: false });
      expect(announced[2]!.detail).toMatchObject({ version: current.version, serialNumber: current.metadata.serialNumber });

      // The host: the agent followed "Certificate Renewed" and serves the new certificate.
      const installed = path.join(host, 'live', id, 'cert.pem');
      for (let waited = 0; waited < 10_000 && (await fs.readFile(installed, 'utf8').catch(() => '')) !== newCert; waited += 50) await sleep(50);
      expect(await fs.readFile(installed, 'utf8')).toBe(newCert);
      expect(spki(await fs.readFile(path.join(host, 'live', id, 'privkey.pem'), 'utf8'))).toBe(spki(newCert));
      // …and says so (what certflow status shows per host).
      for (let waited = 0; waited < 5_000 && (await events(id, 'Certificate Installed')).length < 2; waited += 50) await sleep(50);
      expect((await events(id, 'Certificate Installed')).map((event) => event.detail.version)).toEqual([first, current.version]);
      // The execution's own pending key went with its cleanup; the stray one is still where it was, unused.
      expect(await fs.readdir(path.join(pipeline.root, 'pending', id))).toEqual(['abandoned-order']);
    } finally {
      await agent.stop();
      await fs.rm(host, { recursive: true, force: true });
    }
  });

  it('a version that is not there: NothingToRevoke, one failure event, the store as it was', async () => {
    const id = 'revoke-plain';
    const before = await snapshot(pipeline.root);
    const failuresBefore = (await events(id, 'Certificate Revocation Failed')).length;
    const result = await revoke({ certificateId: id, version: '99', reason: 'superseded' });
    expect(result).toMatchObject({ status: 'FAILED', error: NothingToRevoke.name });
    expect(result.cause).toContain("no version '99'");
    expect(await snapshot(pipeline.root)).toEqual(before);
    const failures = await events(id, 'Certificate Revocation Failed');
    expect(failures).toHaveLength(failuresBefore + 1);
    expect(failures.at(-1)!.detail).toMatchObject({ step: 'RevokeAtCa', error: 'NothingToRevoke', version: '99', executionId: result.executionId });
    expect(detailErrors('Certificate Revocation Failed', failures.at(-1)!.detail)).toEqual([]);

    const invalid = await revoke({ certificateId: id, reason: 'certificateHold' });
    expect(invalid).toMatchObject({ status: 'FAILED', error: 'InvalidCertificateRequest' });
    expect(invalid.cause).toContain("unknown reason 'certificateHold'");
    expect((await events(id, 'Certificate Revocation Failed')).at(-1)!.detail).toMatchObject({ step: 'ValidateRevocation', error: 'InvalidCertificateRequest' });
    expect(await snapshot(pipeline.root)).toEqual(before);
  });

  it('a CA that does not know the certificate (another CA run) refuses: AcmeRequestRejected, the store as it was', async () => {
    const id = 'revoke-elsewhere';
    await issue(id);
    // The same store on a fresh Pebble, as a second `certflow` command without `certflow local start` gets.
    const other = await startLocalPipeline({ root: pipeline.root });
    try {
      const before = await snapshot(pipeline.root);
      const result = await other.revokeExecutor.run({ certificateId: id, reason: 'keyCompromise' });
      histories.push(JSON.stringify(result.history));
      expect(result).toMatchObject({ status: 'FAILED', error: 'AcmeRequestRejected' });
      expect(await snapshot(pipeline.root)).toEqual(before);
      const failures = await events(id, 'Certificate Revocation Failed');
      expect(failures).toHaveLength(1);
      expect(failures[0]!.detail).toMatchObject({ step: 'RevokeAtCa', error: 'AcmeRequestRejected' });
      expect(await events(id, 'Certificate Revoked')).toEqual([]);
    } finally {
      await other.stop();
    }
    // The CA that issued it still has it valid.
    expect((await caStatus((await pipeline.store.current(id))!.metadata.serialNumber)).Status).toBe('Valid');
  });

  it('a store that fails to mark after the CA revoked: one failure event; run again, it completes (alreadyRevoked)', async () => {
    const id = 'revoke-mark-fails';
    const version = await issue(id);
    const store = pipeline.store as unknown as { markRevoked: (...args: unknown[]) => Promise<unknown> };
    const markRevoked = store.markRevoked;
    store.markRevoked = async () => {
      throw new StoreRejected('disk refused the mark');
    };
    let failed: ExecutionResult;
    try {
      failed = await revoke({ certificateId: id, reason: 'affiliationChanged' });
    } finally {
      store.markRevoked = markRevoked;
    }
    expect(failed).toMatchObject({ status: 'FAILED', error: 'StoreRejected' });
    expect((await pipeline.store.issuedCertificate(id, version))!.revoked).toBeUndefined();
    expect(await events(id, 'Certificate Revocation Failed')).toHaveLength(1);
    expect(await events(id, 'Certificate Revoked')).toEqual([]);

    const again = await revoke({ certificateId: id, reason: 'affiliationChanged' });
    expect(again.status, `${again.error}: ${again.cause}`).toBe('SUCCEEDED');
    expect((await pipeline.store.issuedCertificate(id, version))!.revoked).toMatchObject({ reason: 'affiliationChanged' });
    expect((await events(id, 'Certificate Revoked')).map((event) => event.detail.alreadyRevoked)).toEqual([true]);
    expect(await caStatus((await pipeline.store.current(id))!.metadata.serialNumber)).toMatchObject({ Status: 'Revoked', Reason: 3 });
  });

  it('a reissue that fails: ReissueFailed with the renewal\'s error; the revocation stands and the old version stays current', async () => {
    const id = 'revoke-reissue-fails';
    const version = await issue(id);
    const dns = pipeline.deps.dns as unknown as { present: (...args: unknown[]) => Promise<unknown> };
    const present = dns.present;
    dns.present = async () => {
      throw new DnsChangeRejected('zone refused the change');
    };
    let result: ExecutionResult;
    try {
      result = await revoke({ certificateId: id, reason: 'keyCompromise', reissue: true });
    } finally {
      dns.present = present;
    }
    expect(result).toMatchObject({ status: 'FAILED', error: 'ReissueFailed' });
    expect(JSON.parse(result.cause!)).toMatchObject({ Status: 'FAILED', Error: 'DnsChangeRejected' });
    expect((await pipeline.store.current(id))!.version).toBe(version);
    expect((await pipeline.store.issuedCertificate(id, version))!.revoked).toMatchObject({ reason: 'keyCompromise' });
    expect((await events(id)).map((event) => event['detail-type'])).toEqual(['Certificate Renewed', 'Certificate Revoked', 'Certificate Renewal Failed']);
  });

  it('keeps private keys out of every execution\'s state, the events and the logs', async () => {
    const needles = new Map<string, string>();
    for (const id of ['revoke-plain', 'revoke-reissue', 'revoke-mark-fails', 'revoke-reissue-fails']) {
      const archive = path.join(pipeline.root, 'archive', id);
      for (const version of await fs.readdir(archive)) {
        for (const [needle, label] of keyNeedles(`${id} v${version} key`, await fs.readFile(path.join(archive, version, 'privkey.pem'), 'utf8'))) needles.set(needle, label);
      }
    }
    const accounts = path.join(pipeline.root, 'accounts');
    for (const account of await fs.readdir(accounts)) {
      for (const [needle, label] of keyNeedles('ACME account key', await fs.readFile(path.join(accounts, account, 'account.key'), 'utf8'))) needles.set(needle, label);
    }
    const findings = scanForSecrets(
      { histories: histories.join('\n'), events: await fs.readFile(pipeline.events.file, 'utf8'), logs: pipeline.logs.join('\n') },
      needles,
    );
    expect(findings).toEqual([]);
    expect(histories.join('\n')).toContain('RevokeAtCa'); // the scan saw the revocations
  });
});
