/**
 * The registry of a version's files (domain/keystores/formats.ts, issue #21 point 3): each file is
 * named there once and only there, its facts drive the bundle, the modes and the agent's
 * completeness rule, and each entry's check rejects a corrupted file of its kind.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleFiles, fileMode, materialFiles, toBundle } from '../../../domain/core/bundle';
import { CertificateBundleSchema } from '../../../domain/contracts/bundle';
import { buildKeystoreFiles } from '../../../domain/keystores';
import { checkVersionFiles } from '../../../domain/keystores/codecs';
import { FILE, formatsOf, FORMATS, METADATA_FILE, passwordOf, requiredFiles, VERSION_FILES, versionFile } from '../../../domain/keystores/formats';
import { verifyJks } from '../../../domain/keystores/jks';
import { verifyPkcs12 } from '../../../domain/keystores/pkcs12';
import { issueBundle, issueMaterial, PASSWORD } from '../agent/fixtures';
import { keytool, openssl, removeScratch, scratchFile } from './fixtures';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const REGISTRY = 'domain/keystores/formats.ts';
/** Where code lives; the tests under test/ (but support) state the layout from outside on purpose, and docs are prose. */
const CODE_ROOTS = ['domain', 'lambdas', 'agent', 'local', 'bin', 'infra', 'bench', 'sim', 'scripts', 'build', 'examples', 'test/support'];
const NAMES = [...Object.values(FILE), METADATA_FILE];
const named = (name: string) => new RegExp(`(?<![\\w.-])${name.replace(/\./g, '\\.')}(?![\\w-])`);

/** The file names a source file writes inside string and template literals (comments and identifiers do not count). */
function fileNameLiterals(fileName: string, source: string): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteralLike(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node)) {
      for (const name of NAMES) if (named(name).test(node.text)) found.push(name);
    }
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true));
  return found;
}

function codeFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const at = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : codeFiles(at);
    return /\.(ts|mts|js|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [at] : [];
  });
}

describe('the registry names each file once', () => {
  it('finds a file name in a literal and not in a comment (the scan below can fail)', () => {
    expect(fileNameLiterals('x.ts', `// ${FILE.password}\nconst a = '${FILE.password}'; const b = \`\${d}/${FILE.fullchain}\`; const c = 'v-${FILE.chain}';`)).toEqual([FILE.password, FILE.fullchain]);
  });

  it('no code outside the registry writes a file name as a literal', () => {
    const files = [...CODE_ROOTS.flatMap((root) => codeFiles(path.join(REPO, root))), path.join(REPO, 'certflow.config.ts')];
    expect(files.length).toBeGreaterThan(100);
    const offenders = files
      .filter((file) => path.relative(REPO, file) !== REGISTRY)
      .flatMap((file) => fileNameLiterals(file, fs.readFileSync(file, 'utf8')).map((name) => `${path.relative(REPO, file)}: '${name}'`));
    expect(offenders).toEqual([]);
  });

  it('names are unique, and every keystore format has its keystore and truststore', () => {
    const names = Object.values(VERSION_FILES).map((file) => file.name);
    expect(new Set(names).size).toBe(names.length);
    for (const format of FORMATS.filter((f) => f !== 'pem')) expect(names.filter((name) => formatsOf([name]).includes(format))).toHaveLength(2);
    expect(formatsOf([FILE.password, 'other.p12'])).toEqual(['pem']);
  });
});

describe('what derives from it', () => {
  it('modes: public files and metadata.json 0644, the rest (and anything unknown) private', () => {
    const modes = Object.fromEntries([...NAMES, 'unknown.bin'].map((name) => [name, fileMode(name, 0o640)]));
    expect(modes).toEqual({
      'cert.pem': 0o644, 'chain.pem': 0o644, 'fullchain.pem': 0o644, 'truststore.p12': 0o644, 'truststore.jks': 0o644, 'metadata.json': 0o644,
      'privkey.pem': 0o640, 'keystore.p12': 0o640, 'keystore.jks': 0o640, 'keystore.pass': 0o640, 'unknown.bin': 0o640,
    });
  });

  it('a complete version: the PEM files always, a format its keystore and the password; truststores never required', () => {
    const pem = ['cert.pem', 'chain.pem', 'fullchain.pem', 'privkey.pem'];
    expect(requiredFiles([])).toEqual(pem);
    expect(requiredFiles(['pem', 'jks'])).toEqual([...pem, 'keystore.jks', 'keystore.pass']);
    expect(requiredFiles(['pem', 'pkcs12', 'jks', 'future'])).toEqual([...pem, 'keystore.p12', 'keystore.jks', 'keystore.pass']);
  });

  it('a bundle holds the files in the order and with the formats it did before the registry', async () => {
    const bundle = await issueBundle('broker', '1');
    expect(Object.keys(bundle.files)).toEqual(['cert.pem', 'chain.pem', 'fullchain.pem', 'privkey.pem', 'keystore.p12', 'keystore.jks', 'keystore.pass', 'truststore.p12', 'truststore.jks']);
    expect(bundle.formats).toEqual(['pem', 'pkcs12', 'jks']);
    const material = await issueMaterial();
    expect(formatsOf(Object.keys(materialFiles({ ...material, files: {} })))).toEqual(['pem']);
    expect(passwordOf(bundleFiles(bundle)[FILE.password]!)).toBe(PASSWORD);
  });

  it('the bundle schema describes the files from it', () => {
    const description = CertificateBundleSchema.shape.files.description ?? '';
    for (const file of Object.values(VERSION_FILES)) expect(description).toContain(`${file.name} (${file.visibility}`);
  });
});

describe('each entry checks its file', async () => {
  const bundle = await issueBundle('broker', '1');
  const files = bundleFiles(bundle);
  afterAll(removeScratch);

  it('passes every file of a good version', () => {
    expect(() => checkVersionFiles(files)).not.toThrow();
    expect(() => checkVersionFiles({ ...files, 'notes.txt': Buffer.from('not ours') })).not.toThrow();
  });

  it.each(Object.values(VERSION_FILES).map((file) => [file.name, file.check] as const))('rejects a torn %s (%s check)', (name) => {
    const torn = files[name]!.subarray(0, Math.floor(files[name]!.length / 2));
    expect(() => checkVersionFiles({ ...files, [name]: torn })).toThrow(new RegExp(`^${name.replace('.', '\\.')}: `));
  });

  const keystores = Object.values(VERSION_FILES).filter((file) => file.check === 'keystore').map((file) => file.name);
  it.each(keystores)('rejects %s with one byte changed, or opened with another password', (name) => {
    const changed = Buffer.from(files[name]!);
    changed[changed.length >> 1]! ^= 0x01;
    expect(() => checkVersionFiles({ ...files, [name]: changed })).toThrow(/wrong password or changed content/);
    expect(() => checkVersionFiles({ ...files, [FILE.password]: Buffer.from('Another-password-entirely\n') })).toThrow(/wrong password/);
  });

  it('rejects a password that is not one printable line, and keystores without one', () => {
    expect(() => checkVersionFiles({ ...files, [FILE.password]: Buffer.from('pass\u0000word-with-a-nul\n') })).toThrow(/keystore\.pass: is not one line/);
    const { [FILE.password]: _password, ...withoutPassword } = files;
    expect(() => checkVersionFiles(withoutPassword)).toThrow(/cannot be opened without keystore\.pass/);
  });

  it('rejects a chain with something else in it, and a cert.pem of two certificates', () => {
    expect(() => checkVersionFiles({ ...files, [FILE.chain]: Buffer.concat([files[FILE.chain]!, Buffer.from('garbage\n')]) })).toThrow(/chain\.pem: holds text/);
    expect(() => checkVersionFiles({ ...files, [FILE.certificate]: files[FILE.fullchain]! })).toThrow(/cert\.pem: does not hold exactly one/);
  });

  // The openers are ours; keytool and OpenSSL write the files they must open as well.
  it('opens a PKCS#12 written by OpenSSL and a JKS written by keytool, and refuses either with a wrong password', async () => {
    const key = scratchFile('pem', files[FILE.privateKey]!);
    const cert = scratchFile('pem', files[FILE.fullchain]!);
    const p12 = scratchFile('p12');
    const jks = scratchFile('jks');
    execFileSync('openssl', ['pkcs12', '-export', '-inkey', key, '-in', cert, '-name', 'broker', '-passout', `pass:${PASSWORD}`, '-out', p12]);
    const imported = await keytool('-importkeystore', '-srckeystore', p12, '-srcstoretype', 'PKCS12', '-srcstorepass', PASSWORD, '-destkeystore', jks, '-deststoretype', 'JKS', '-deststorepass', PASSWORD, '-noprompt');
    expect(imported.code, imported.output).toBe(0);
    expect(() => verifyPkcs12(fs.readFileSync(p12), PASSWORD)).not.toThrow();
    expect(() => verifyJks(fs.readFileSync(jks), PASSWORD)).not.toThrow();
    expect(() => verifyPkcs12(fs.readFileSync(p12), `${PASSWORD}x`)).toThrow(/MAC does not verify/);
    expect(() => verifyJks(fs.readFileSync(jks), `${PASSWORD}x`)).toThrow(/integrity check failed/);
    expect((await openssl('pkcs12', '-in', p12, '-passin', `pass:${PASSWORD}`, '-nokeys', '-noout')).code).toBe(0);
  });

  it('opens the modern PKCS#12 profile too (HMAC-SHA256, 10 000 rounds)', async () => {
    const { certificatePem, chainPem, privateKeyPem } = await issueMaterial();
    const chain = [certificatePem, chainPem];
    const modern = buildKeystoreFiles({ chain, privateKeyPem, password: PASSWORD, options: { alias: 'broker', profile: 'modern' }, created: new Date() });
    expect(versionFile(FILE.pkcs12Keystore)?.check).toBe('keystore');
    expect(() => checkVersionFiles(modern)).not.toThrow();
    const changed = Buffer.from(modern[FILE.pkcs12Keystore]!);
    changed[changed.length - 40]! ^= 0x80;
    expect(() => checkVersionFiles({ ...modern, [FILE.pkcs12Keystore]: changed })).toThrow(/keystore\.p12: /);
  });

  it('toBundle round-trips what the checks pass', () => {
    expect(() => checkVersionFiles(bundleFiles(toBundle('broker', '1', bundle.metadata, files)))).not.toThrow();
  });
});

describe('docs/reference/layout.md', () => {
  it('lists the registry\'s files in its order, 0600 exactly where they are secret', () => {
    const doc = fs.readFileSync(path.join(REPO, 'docs/reference/layout.md'), 'utf8');
    const block = doc.slice(doc.indexOf('archive/<id>/<n>/'), doc.indexOf('```', doc.indexOf('archive/<id>/<n>/')));
    const listed = block.split('\n').slice(1).filter((line) => line.trim() !== '').map((line) => ({ name: line.trim().split(/\s+/)[0], secret: /\s0600$/.test(line) }));
    expect(listed).toEqual([
      ...Object.values(VERSION_FILES).map((file) => ({ name: file.name, secret: file.visibility === 'secret' })),
      { name: METADATA_FILE, secret: false },
    ]);
  });
});
