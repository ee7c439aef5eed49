/** The README's first command, as a new user runs it: issues, stores, announces, installs on a subscriber, exits 0. */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

describe('npm run demo', () => {
  it('issues a certificate through the state machine and shows where everything went', async () => {
    const home = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-demo-'));
    try {
      const { stdout } = await promisify(execFile)('npx', ['tsx', 'bin/demo.ts'], { env: { ...process.env, CERTFLOW_HOME: home }, timeout: 120_000 });
      expect(stdout).toContain('✓ PackageAndStore');
      expect(stdout).toContain('Event "Certificate Renewed"');
      expect(stdout).toMatch(/Subscriber installed version 1 into .*host\/live\/broker-demo and reloaded the demo broker/);
      expect(stdout).toMatch(/names\s+certflow\.test, \*\.certflow\.test, broker\.example\.test/);
      expect(stdout).toMatch(/version\s+1 \(formats: pem, pkcs12, jks\)/);
      const live = await fs.readdir(path.join(home, 'live', 'broker-demo'));
      expect(live.sort()).toEqual([
        'cert.pem', 'chain.pem', 'fullchain.pem', 'keystore.jks', 'keystore.p12', 'keystore.pass',
        'metadata.json', 'privkey.pem', 'truststore.jks', 'truststore.p12',
      ]);
      const installed = await fs.readFile(path.join(home, 'host', 'live', 'broker-demo', 'cert.pem'), 'utf8');
      expect(installed).toBe(await fs.readFile(path.join(home, 'live', 'broker-demo', 'cert.pem'), 'utf8'));
    } finally {
      await fs.rm(home, { recursive: true, force: true });
    }
  }, 150_000);

  it('certflow demo --json: one JSON document on stdout (the stored version and the subscriber\'s install), progress on stderr', async () => {
    const home = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-demo-json-'));
    try {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, ['bin/cli.js', 'demo', '--json'], { env: { ...process.env, CERTFLOW_HOME: home }, timeout: 120_000 });
      const result = JSON.parse(stdout) as { status: string; version: string; certificateId: string; metadata: { serialNumber: string; names: string[] }; subscriber: { version: string; serialNumber: string } };
      expect(result).toMatchObject({ status: 'SUCCEEDED', certificateId: 'broker-demo', version: '1', subscriber: { version: '1' } });
      expect(result.subscriber.serialNumber).toBe(result.metadata.serialNumber);
      expect(result.metadata.names).toEqual(['certflow.test', '*.certflow.test', 'broker.example.test']);
      expect(stderr).toContain('✓ PackageAndStore');
      expect(stderr).toContain('Event "Certificate Renewed"');
    } finally {
      await fs.rm(home, { recursive: true, force: true });
    }
  }, 150_000);
});
