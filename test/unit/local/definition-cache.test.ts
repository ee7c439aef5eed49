/** The on-disk cache of synthesized definitions: reused, invalidated by a keyed source, robust to corruption. */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fileReads } from '../../support/counting-fs';
import type { LocalDefinitions } from '../../../local/definition';
import { cachedDefinitions, definitionsKey } from '../../../local/definition-cache';

const SOURCES = ['infra', 'certflow.config.ts'];

// node:fs passes through; local/definition-cache.ts's reads are counted in fileReads.
vi.mock('node:fs', async (importOriginal) => (await import('../../support/counting-fs')).countingFs(await importOriginal()));
/** local/definition-cache.ts's racy window. */
const RACY_MS = 3000;

function fakeDefinitions(tag: string): LocalDefinitions {
  const stepsByArn = new Map([['arn:aws:lambda:eu-west-1:000000000000:function:certflow-validate-request', 'validate-request' as never]]);
  return {
    renew: { definition: { StartAt: tag, States: { [tag]: { Type: 'Succeed' } } }, stepsByArn },
    scan: { definition: { StartAt: 'Scan', States: { Scan: { Type: 'Succeed' } } }, stepsByArn },
    revoke: { definition: { StartAt: 'Revoke', States: { Revoke: { Type: 'Succeed' } } }, stepsByArn },
  };
}

describe('cachedDefinitions', () => {
  let dir: string;
  let root: string;
  let cacheDir: string;
  let synths: number;
  const progress: string[] = [];
  const options = (tag = 'Renew') => ({
    sourceRoot: root,
    sources: SOURCES,
    cacheDir,
    synthesize: () => {
      synths += 1;
      return fakeDefinitions(tag);
    },
    onProgress: (event: { phase: string }) => progress.push(event.phase),
  });

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-defcache-'));
    root = path.join(dir, 'src');
    cacheDir = path.join(dir, 'cache');
    await fs.mkdir(path.join(root, 'infra', 'nested'), { recursive: true });
    await fs.writeFile(path.join(root, 'infra', 'stack.ts'), 'export const a = 1;\n');
    await fs.writeFile(path.join(root, 'infra', 'nested', 'machine.ts'), 'export const b = 2;\n');
    await fs.writeFile(path.join(root, 'certflow.config.ts'), 'export default {};\n');
    await fs.writeFile(path.join(root, 'package-lock.json'), JSON.stringify({ packages: { 'node_modules/aws-cdk-lib': { version: '2.0.0' } } }));
    synths = 0;
    progress.length = 0;
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('synthesizes once, then reuses the cache (Maps included) without synthesizing', async () => {
    const first = await cachedDefinitions(options());
    expect(synths).toBe(1);
    expect(progress).toEqual(['start', 'done']);
    const second = await cachedDefinitions(options('Other'));
    expect(synths).toBe(1);
    expect(progress).toEqual(['start', 'done']); // silent on a hit
    expect(second.renew.definition).toEqual(first.renew.definition);
    expect(second.renew.stepsByArn).toBeInstanceOf(Map);
    expect([...second.renew.stepsByArn]).toEqual([...first.renew.stepsByArn]);
    expect((await fs.readdir(cacheDir)).filter((name) => name.endsWith('.json'))).toHaveLength(1);
  });

  it('holds the RevokeCertificate definition too; a file written before it had one (format 1) is synthesized again', async () => {
    const first = await cachedDefinitions(options());
    const second = await cachedDefinitions(options());
    expect(synths).toBe(1);
    expect(second.revoke.definition).toEqual(first.revoke.definition);
    expect(second.revoke.stepsByArn).toBeInstanceOf(Map);
    const [file] = (await fs.readdir(cacheDir)).map((name) => path.join(cacheDir, name));
    const { revoke: _revoke, ...withoutRevoke } = JSON.parse(await fs.readFile(file!, 'utf8')) as Record<string, unknown>;
    await fs.writeFile(file!, JSON.stringify({ ...withoutRevoke, format: 1 }));
    expect((await cachedDefinitions(options())).revoke.definition.StartAt).toBe('Revoke');
    expect(synths).toBe(2);
  });

  it('synthesizes again when a keyed file changes, is added, or aws-cdk-lib changes version', async () => {
    await cachedDefinitions(options());
    const key = definitionsKey(root, SOURCES);
    await fs.writeFile(path.join(root, 'infra', 'nested', 'machine.ts'), 'export const b = 3;\n');
    expect(definitionsKey(root, SOURCES)).not.toBe(key);
    expect((await cachedDefinitions(options('Changed'))).renew.definition.StartAt).toBe('Changed');
    expect(synths).toBe(2);
    await fs.writeFile(path.join(root, 'infra', 'new.ts'), 'export {};\n');
    await cachedDefinitions(options());
    expect(synths).toBe(3);
    await fs.writeFile(path.join(root, 'package-lock.json'), JSON.stringify({ packages: { 'node_modules/aws-cdk-lib': { version: '2.1.0' } } }));
    await cachedDefinitions(options());
    expect(synths).toBe(4);
    await cachedDefinitions(options());
    expect(synths).toBe(4);
  });

  it('a long-running process keys each execution without reading a source unchanged since well before (ctime still catches an mtime put back)', async () => {
    await new Promise((resolve) => setTimeout(resolve, RACY_MS + 200)); // the sources age past the window
    const key = definitionsKey(root, SOURCES);
    fileReads.length = 0;
    expect(definitionsKey(root, SOURCES)).toBe(key);
    expect(fileReads).toEqual([]);

    const machine = path.join(root, 'infra', 'nested', 'machine.ts');
    const before = await fs.stat(machine);
    await fs.writeFile(machine, 'export const b = 8;\n');
    await fs.utimes(machine, before.atime, before.mtime);
    expect(definitionsKey(root, SOURCES)).not.toBe(key);
  });

  it('reads a source changed just before it was hashed on every call (a write in the same tick keeps both times)', async () => {
    const machine = path.join(root, 'infra', 'nested', 'machine.ts');
    for (let call = 0; call < 2; call += 1) {
      fileReads.length = 0;
      definitionsKey(root, SOURCES);
      expect(fileReads).toContain(machine);
    }
  });

  it('ignores a file that is not keyed', async () => {
    await cachedDefinitions(options());
    await fs.writeFile(path.join(root, 'README.md'), 'unrelated\n');
    await fs.writeFile(path.join(root, 'infra', 'notes.txt'), 'not a .ts source\n');
    await cachedDefinitions(options());
    expect(synths).toBe(1);
  });

  it('ignores a corrupted cache file and rewrites it', async () => {
    await cachedDefinitions(options());
    const [file] = (await fs.readdir(cacheDir)).map((name) => path.join(cacheDir, name));
    for (const corrupt of ['{"format":1,"key":', '{"format":1,"key":"' + definitionsKey(root, SOURCES) + '","renew":{},"scan":{}}', '']) {
      await fs.writeFile(file!, corrupt);
      const before = synths;
      expect((await cachedDefinitions(options())).renew.definition.StartAt).toBe('Renew');
      expect(synths).toBe(before + 1);
      expect(JSON.parse(await fs.readFile(file!, 'utf8')).key).toBe(definitionsKey(root, SOURCES));
      await cachedDefinitions(options());
      expect(synths).toBe(before + 1);
    }
  });
});
