/** bin/dev-bundle.js: bin/cli.js may run the bundle only while every source in it is unchanged. */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fileReads } from '../../support/counting-fs';
import { buildDevBundle, devBundleDir, freshDevBundle } from '../../../bin/dev-bundle.js';
import { csrFor } from '../../../lambdas/issued/csr';

let root: string;

// node:fs passes through; bin/dev-bundle.js's reads are counted in fileReads.
vi.mock('node:fs', async (importOriginal) => (await import('../../support/counting-fs')).countingFs(await importOriginal()));
/** bin/dev-bundle.js's racy window: sources changed within it of the build are always hashed. */
const RACY_MS = 3000;

async function write(file: string, text: string): Promise<void> {
  await fs.mkdir(path.dirname(path.join(root, file)), { recursive: true });
  await fs.writeFile(path.join(root, file), text);
}

beforeEach(async () => {
  root = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-dev-bundle-')));
  await write('tsconfig.json', '{}');
  await write('bin/cli.ts', "import { answer } from '../lib/answer';\nexport const run = async (): Promise<number> => answer();\nexport const where = import.meta.url;\n");
  await write('lib/answer.ts', 'export const answer = (): number => 41;\n');
  await write('lib/unused.ts', 'export const unused = 1;\n');
});
afterEach(() => fs.rm(root, { recursive: true, force: true }));

describe('dev bundle freshness', () => {
  it('is fresh after a build, runs the sources, and keeps each module its own import.meta.url', async () => {
    expect(freshDevBundle(root)).toBeUndefined(); // never built
    const entry = await buildDevBundle(root);
    expect(freshDevBundle(root)).toBe(entry);
    expect(entry.startsWith(devBundleDir(root))).toBe(true);
    const bundled = (await import(pathToFileURL(entry).href)) as { run(): Promise<number>; where: string };
    expect(await bundled.run()).toBe(41);
    expect(bundled.where).toBe(pathToFileURL(path.join(root, 'bin', 'cli.ts')).href);
  });

  it.each([
    ['an imported source changes', () => write('lib/answer.ts', 'export const answer = (): number => 42;\n')],
    ['the entry changes', () => write('bin/cli.ts', 'export const run = async (): Promise<number> => 0;\n')],
    ['a bundled source is deleted', () => fs.rm(path.join(root, 'lib', 'answer.ts'))],
    ['tsconfig.json changes', () => write('tsconfig.json', '{"compilerOptions":{}}')],
    ['the manifest is corrupted', () => fs.writeFile(path.join(devBundleDir(root), 'manifest.json'), '{"format":1')],
    ['the build folder is gone', async () => {
      const manifest = JSON.parse(await fs.readFile(path.join(devBundleDir(root), 'manifest.json'), 'utf8')) as { build: string };
      await fs.rm(path.join(devBundleDir(root), manifest.build), { recursive: true });
    }],
  ])('is stale when %s', async (_what, change) => {
    await buildDevBundle(root);
    await change();
    expect(freshDevBundle(root)).toBeUndefined();
  });

  it('stays fresh when a file outside the bundle changes, or a source is touched with the same bytes', async () => {
    const entry = await buildDevBundle(root);
    await write('lib/unused.ts', 'export const unused = 2;\n');
    const later = new Date(Date.now() + 60_000);
    await fs.utimes(path.join(root, 'lib', 'answer.ts'), later, later);
    expect(freshDevBundle(root)).toBe(entry);
  });

  it('a rebuild after a change is fresh again and runs the new code', async () => {
    await buildDevBundle(root);
    await write('lib/answer.ts', 'export const answer = (): number => 43;\n');
    expect(freshDevBundle(root)).toBeUndefined();
    const entry = await buildDevBundle(root);
    expect(freshDevBundle(root)).toBe(entry);
    expect(await ((await import(pathToFileURL(entry).href)) as { run(): Promise<number> }).run()).toBe(43);
  });

  describe('the stat shortcut: a source unchanged since well before the build is not read again', () => {
    const answer = () => path.join(root, 'lib', 'answer.ts');
    const sourceReads = () => fileReads.filter((file) => !file.endsWith('manifest.json'));

    it('reads only the manifest when every source is older than the racy window; a same-size edit with the mtime put back still shows (ctime)', async () => {
      await new Promise((resolve) => setTimeout(resolve, RACY_MS + 200)); // the sources age past the window
      const entry = await buildDevBundle(root);
      fileReads.length = 0;
      expect(freshDevBundle(root)).toBe(entry);
      expect(sourceReads()).toEqual([]);

      const before = await fs.stat(answer());
      await write('lib/answer.ts', 'export const answer = (): number => 49;\n');
      expect((await fs.stat(answer())).size).toBe(before.size);
      await fs.utimes(answer(), before.atime, before.mtime);
      expect(freshDevBundle(root)).toBeUndefined();
    });

    it('hashes a source changed just before the build on every check (a write in the same tick keeps both times)', async () => {
      const entry = await buildDevBundle(root); // the sources were written moments ago
      for (let check = 0; check < 2; check += 1) {
        fileReads.length = 0;
        expect(freshDevBundle(root)).toBe(entry);
        expect(sourceReads()).toContain(answer());
      }
    });
  });
});

describe('imports a local run never uses are left out, and still work when used', () => {
  const REPO = path.resolve(import.meta.dirname, '../../..');
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-dev-bundle-deferred-'));
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('bundles no asl-validator, Lambda client, node-forge index, form-data or zod locale but English; each stand-in loads the real module on first use', async () => {
    const entry = await buildDevBundle(REPO, { dir, entry: 'test/support/deferred-imports-entry.ts' });
    const files = await fs.readdir(path.dirname(entry));
    const text = (await Promise.all(files.map((file) => fs.readFile(path.join(path.dirname(entry), file), 'utf8')))).join('\n');
    for (const left of ['asl-validator/', 'ajv/', '@aws-sdk/client-lambda/', 'node-forge/lib/tls.js', 'form-data/', 'mime-db/', 'zod/v4/locales/de.js']) expect(text).not.toContain(`// node_modules/${left}`);
    expect(text).toContain('// node_modules/aws-local-stepfunctions/'); // the library itself is bundled

    expect(text).toContain('// node_modules/zod/v4/locales/en.js'); // the default locale stays

    const { StateMachine, acme, z } = (await import(pathToFileURL(entry).href)) as typeof import('../../support/deferred-imports-entry');
    const definition = { StartAt: 'Done', States: { Done: { Type: 'Succeed' as const } } };
    expect(await new StateMachine(definition, { validationOptions: { noValidate: true } }).run({ a: 1 }).result).toEqual({ a: 1 });
    // Validation through the stand-in: asl-validator, required from node_modules, refuses a bad definition.
    expect(() => new StateMachine({ StartAt: 'Nowhere', States: { Done: { Type: 'Succeed' as const } } })).toThrow(/State machine definition is invalid/);
    expect(() => new StateMachine(definition)).not.toThrow();
    expect(typeof acme.forge.createCsr).toBe('function');
    expect(z.string().safeParse(1).error?.issues[0]?.message).toBe('Invalid input: expected string, received number');
    z.config(z.locales.de());
    expect(z.string().safeParse(1).error?.issues[0]?.message).toMatch(/^Ungültige Eingabe/);
    z.config(z.locales.en());
  }, 60_000);

  it("bundles no @peculiar/x509 for acme-client: its crypto stand-in answers the JWK and a PEM body as acme-client does, and loads the rest on first use", async () => {
    const entry = await buildDevBundle(REPO, { dir, entry: 'test/support/deferred-imports-entry.ts' });
    const text = await bundleText(entry);
    for (const left of ['@peculiar/x509/', 'asn1js/', 'tsyringe/', 'reflect-metadata/']) expect(text).not.toContain(`// node_modules/${left}`);
    const { acme } = (await import(pathToFileURL(entry).href)) as typeof import('../../support/deferred-imports-entry');
    const real = await import('acme-client');
    const keys = [generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey];
    for (const key of keys) {
      const keyPem = key.export({ type: 'pkcs8', format: 'pem' }).toString();
      expect(JSON.stringify(acme.crypto.getJwk(keyPem))).toBe(JSON.stringify(real.crypto.getJwk(keyPem))); // key order too: the JWK thumbprint hashes it
      const csr = await csrFor(['a.example.test', 'b.example.test'], keyPem);
      expect(acme.crypto.getPemBodyAsB64u(csr)).toBe(real.crypto.getPemBodyAsB64u(csr));
      expect(acme.crypto.getPemBodyAsB64u(`${csr}${csr}`)).toBe(real.crypto.getPemBodyAsB64u(`${csr}${csr}`)); // a chain: its first
      expect(acme.crypto.readCsrDomains(csr)).toEqual({ commonName: 'a.example.test', altNames: ['a.example.test', 'b.example.test'] }); // the real module, required now
    }
    expect(() => acme.crypto.getPemBodyAsB64u('no PEM here')).toThrow('Unable to parse PEM body from string');
  }, 60_000);

  it('axios in the bundle reads no fetch globals at load: a process importing acme-client loads no undici', async () => {
    const entry = await buildDevBundle(REPO, { dir, entry: 'test/support/deferred-imports-entry.ts' });
    // An axios upgrade that moves the trimmed lines bundles it whole: undici is then listed here.
    const probe = `await import(${JSON.stringify(pathToFileURL(entry).href)}); console.log(JSON.stringify(process.moduleLoadList.filter((name) => /undici/.test(name))));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', probe]);
    expect(JSON.parse(stdout)).toEqual([]);
  }, 60_000);
});

async function bundleText(entry: string): Promise<string> {
  const files = await fs.readdir(path.dirname(entry));
  return (await Promise.all(files.map((file) => fs.readFile(path.join(path.dirname(entry), file), 'utf8')))).join('\n');
}
