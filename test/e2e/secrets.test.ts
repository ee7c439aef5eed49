/**
 * Secrets never travel through state: after real issuances (and a failure), no private key —
 * certificate key or ACME account key — and no keystore password appears in any state's input
 * or output, in any event, or in any log line.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutionResult } from '../../local/runner';
import { startTestPipeline, type TestPipeline } from '../support/local-pipeline';
import { keyNeedles, scanForSecrets } from '../support/secret-scan';

let pipeline: TestPipeline;
const executions: ExecutionResult[] = [];

async function filesNamed(dir: string, name: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile() && entry.name === name).map((entry) => path.join(entry.parentPath, entry.name));
}

beforeAll(async () => {
  pipeline = await startTestPipeline();
  executions.push(await pipeline.executor.run({ certificateId: 'scan-ec', names: ['scan.certflow.test', '*.scan.certflow.test'] }));
  executions.push(await pipeline.executor.run({ certificateId: 'scan-rsa', names: ['scan.example.test'], keyType: 'rsa-2048' }));
  executions.push(await pipeline.executor.run({ certificateId: 'scan-bad', names: ['scan.example.org'] }));
});
afterAll(async () => pipeline?.dispose());

describe('secrets stay out of state, events and logs', () => {
  it('ran real issuances to scan', () => {
    expect(executions.map((execution) => execution.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'FAILED']);
  });

  it('finds no private key material anywhere', async () => {
    const keyFiles = [...(await filesNamed(path.join(pipeline.root, 'archive'), 'privkey.pem')), ...(await filesNamed(path.join(pipeline.root, 'accounts'), 'account.key'))];
    expect(keyFiles).toHaveLength(3); // two certificate keys, one account key
    const needles = new Map<string, string>();
    for (const file of keyFiles) for (const [needle, label] of keyNeedles(path.relative(pipeline.root, file), await fs.readFile(file, 'utf8'))) needles.set(needle, label);
    const passwordFiles = await filesNamed(path.join(pipeline.root, 'archive'), 'keystore.pass');
    expect(passwordFiles).toHaveLength(2);
    for (const file of passwordFiles) needles.set((await fs.readFile(file, 'utf8')).trim(), `${path.relative(pipeline.root, file)} (keystore password)`);

    const haystacks: Record<string, string> = {
      events: await fs.readFile(pipeline.events.file, 'utf8'),
      logs: pipeline.logs.join('\n'),
    };
    for (const execution of executions) {
      execution.history.forEach((event, index) => {
        haystacks[`${execution.executionId}#${index} ${event.type} ${event.state?.name ?? ''}`] = JSON.stringify(event);
      });
      haystacks[`${execution.executionId} output`] = JSON.stringify(execution.output ?? null) + String(execution.cause ?? '');
    }
    expect(Object.keys(haystacks).length).toBeGreaterThan(60);
    expect(scanForSecrets(haystacks, needles)).toEqual([]);
  });

  it('the scanner does find a key when one leaks (canary)', async () => {
    const [file] = await filesNamed(path.join(pipeline.root, 'archive'), 'privkey.pem');
    const pem = await fs.readFile(file!, 'utf8');
    const needles = keyNeedles('canary', pem);
    const body = pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
    expect(scanForSecrets({ state: JSON.stringify({ key: body }) }, needles).length).toBeGreaterThan(0);
    expect(scanForSecrets({ log: `x ${pem} y` }, needles).map((f) => f.secret)).toContain('a PEM private key header');
  });
});
