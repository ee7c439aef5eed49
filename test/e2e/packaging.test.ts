/**
 * The agent as a host installs it (issue #10 point 5): `npx certflow` in the checkout; the single
 * file dist/certflow-agent.mjs with no node_modules; the npm package installed into an empty
 * folder with production dependencies only; the Node single executable; and the container
 * image's layout (Dockerfile) assembled in a folder. Each runs `certflow agent --help` and a real
 * `--once` install from a local store, judged by OpenSSL and keytool.
 *
 * Measured here (2 cores, shared): build ≈ 1.2–1.7 s (with the single executable ≈ +4 s);
 * npm pack ≈ 3 s; npm install of the tarball 13–15 s with a warm npm cache, 34 s cold.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsManagerCertificateStore } from '../../domain/adapters/aws/secrets-store';
import { FileCertificateStore } from '../../domain/adapters/local/file-store';
import { EMULATOR_ENVIRONMENT } from '../../local/aws-emulator';
import { aws, awsClientConfig, uniqueSuffix } from '../support/aws';
import { listKeystore, openssl } from '../support/judges';
import { issueMaterial, storeVersion } from '../unit/agent/fixtures';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const ID = 'broker';
/** npm install of the tarball: 34 s measured with an empty npm cache, ×5 for a loaded machine. */
const INSTALL_TIMEOUT_MS = 170_000;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Without the npm_* variables of an enclosing `npm test`: each npm here sees only its own folder. */
const cleanEnv = (extra: Record<string, string> = {}) => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_'))),
  ...extra,
});

function run(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number }): Promise<Run> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(command, [...args], { cwd: options.cwd, env: options.env ?? cleanEnv(), timeout: options.timeout ?? 60_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr: `${stderr}${code === -1 ? String(error) : ''}`, ms: Math.round(performance.now() - started) });
    });
  });
}

let work: string;
let store: string;
let storedCertPem: string;

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-packaging-'));
  store = path.join(work, 'store');
  await storeVersion(new FileCertificateStore(store), ID);
  storedCertPem = await fs.readFile(path.join(store, 'live', ID, 'cert.pem'), 'utf8');
  const build = await run(process.execPath, ['--import', 'tsx', 'build/build.ts', '--sea'], { cwd: REPO, timeout: 180_000 });
  expect(build.code, build.stderr).toBe(0);
});
afterAll(() => fs.rm(work, { recursive: true, force: true }));

/** A fresh empty folder under the test's temp dir (no node_modules in it or above it). */
async function emptyDir(name: string): Promise<string> {
  const dir = path.join(work, name);
  await fs.mkdir(dir);
  for (let up = dir; up !== path.dirname(up); up = path.dirname(up)) await expect(fs.access(path.join(up, 'node_modules'))).rejects.toThrow();
  return dir;
}

function expectHelp(help: Run): void {
  expect(help.stderr).toBe('');
  expect(help.code).toBe(0);
  expect(help.stdout).toContain('--certificate <id>');
  expect(help.stdout).toContain('--once');
}

/** A `--once` run installed the store's current version: the files are there, and OpenSSL and keytool read them. */
async function expectInstalled(once: Run, installDir: string): Promise<void> {
  expect(once.stderr).toBe('');
  expect(once.code).toBe(0);
  expect(once.stdout).toContain('"message":"version installed"');
  const live = path.join(installDir, 'live', ID);
  expect(await fs.readlink(live)).toBe(path.join('..', 'archive', ID, '1'));
  expect(await fs.readFile(path.join(live, 'cert.pem'), 'utf8')).toBe(storedCertPem);
  const x509 = await openssl('x509', '-in', path.join(live, 'cert.pem'), '-noout', '-subject');
  expect(x509.output).toContain('broker.certflow.test');
  const key = await openssl('pkey', '-in', path.join(live, 'privkey.pem'), '-noout');
  expect(key.code, key.output).toBe(0);
  const password = (await fs.readFile(path.join(live, 'keystore.pass'), 'utf8')).trim();
  const jks = await listKeystore(path.join(live, 'keystore.jks'), 'JKS', password);
  expect(jks.entries).toContainEqual(expect.objectContaining({ alias: 'broker', type: 'PrivateKeyEntry' }));
  expect((await fs.stat(path.join(live, 'keystore.jks'))).mode & 0o777).toBe(0o600);
}

const onceArgs = (installDir: string) => ['--once', '--store', store, '--certificate', ID, '--dir', installDir];

describe('npx certflow in the checkout', () => {
  it('runs the sources with tsx: agent --help', async () => {
    expectHelp(await run('npx', ['certflow', 'agent', '--help'], { cwd: REPO }));
  });
});

describe('dist/certflow-agent.mjs: one file, no node_modules', () => {
  it('runs --help and a --once install from a folder holding only that file', async () => {
    const dir = await emptyDir('single-file');
    await fs.copyFile(path.join(REPO, 'dist', 'certflow-agent.mjs'), path.join(dir, 'certflow-agent.mjs'));
    expect(await fs.readdir(dir)).toEqual(['certflow-agent.mjs']);
    expectHelp(await run(process.execPath, ['certflow-agent.mjs', '--help'], { cwd: dir }));
    await expectInstalled(await run(process.execPath, ['certflow-agent.mjs', ...onceArgs(path.join(work, 'installed-single-file'))], { cwd: dir }), path.join(work, 'installed-single-file'));
    const usage = await run(process.execPath, ['certflow-agent.mjs', '--once'], { cwd: dir });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('certflow agent: name a source');
  });
});

describe.skipIf(!aws.endpoint)(`dist/certflow-agent.mjs on AWS (${aws.endpoint || aws.skipReason})`, () => {
  it('installs the current version from Secrets Manager: the AWS SDK and its credential chain work from the bundle', async () => {
    const prefix = `packaging-${uniqueSuffix()}/`;
    const secrets = new SecretsManagerCertificateStore(new SecretsManagerClient(awsClientConfig()), { prefix, kmsKeyId: 'alias/aws/secretsmanager' });
    const material = await issueMaterial();
    const { pending } = await secrets.pendingKey(ID, 'order-packaging', async () => material.privateKeyPem);
    await secrets.promote(pending, material);
    const dir = await emptyDir('single-file-aws');
    await fs.copyFile(path.join(REPO, 'dist', 'certflow-agent.mjs'), path.join(dir, 'certflow-agent.mjs'));
    const installDir = path.join(work, 'installed-aws');
    // What a host has: the region, credentials from the environment (here the emulator's) and an endpoint.
    const env = { PATH: path.dirname(process.execPath), HOME: dir, AWS_ENDPOINT_URL: aws.endpoint, AWS_REGION: aws.region, ...(aws.isEmulator ? EMULATOR_ENVIRONMENT : {}) };
    const once = await run(process.execPath, ['certflow-agent.mjs', '--once', '--secret-prefix', prefix, '--certificate', ID, '--dir', installDir], { cwd: dir, env });
    expect(once.code, once.stderr).toBe(0);
    expect(once.stdout).toContain('"message":"version installed"');
    expect(await fs.readFile(path.join(installDir, 'live', ID, 'cert.pem'), 'utf8')).toBe(material.certificatePem);
    const password = (await fs.readFile(path.join(installDir, 'live', ID, 'keystore.pass'), 'utf8')).trim();
    expect((await listKeystore(path.join(installDir, 'live', ID, 'keystore.jks'), 'JKS', password)).entries).toContainEqual(expect.objectContaining({ type: 'PrivateKeyEntry' }));
  });
});

describe('npm pack → npm install --omit=dev into an empty folder', () => {
  let app: string;
  let bin: string;
  beforeAll(async () => {
    const packed = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: REPO, timeout: 120_000 });
    expect(packed.code, packed.stderr).toBe(0);
    const [{ filename, files }] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as [{ filename: string; files: { path: string }[] }];
    // What ships: the launcher, the bundles and the docs; no TypeScript sources, tests or infra.
    const shipped = files.map((file) => file.path);
    expect(shipped.filter((file) => !file.startsWith('dist/certflow/')).sort()).toEqual(
      ['Dockerfile', 'README.md', 'bin/cli.js', 'dist/certflow-agent.mjs', 'docs/agent.md', 'docs/install.md', 'package.json'].sort(),
    );
    expect(shipped).toContain('dist/certflow/cli.mjs');
    expect(shipped.filter((file) => file.startsWith('dist/certflow/') && !file.endsWith('.mjs'))).toEqual([]);
    app = await emptyDir('app');
    const installed = await run('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', path.join(work, filename)], { cwd: app, timeout: INSTALL_TIMEOUT_MS });
    expect(installed.code, installed.stderr).toBe(0);
    console.log(`npm pack ${packed.ms} ms, npm install ${installed.ms} ms`);
    bin = path.join(app, 'node_modules', '.bin', 'certflow');
  }, INSTALL_TIMEOUT_MS + 60_000);

  it('installs production dependencies only', async () => {
    const modules = await fs.readdir(path.join(app, 'node_modules'));
    for (const devOnly of ['tsx', 'esbuild', 'aws-cdk-lib', 'typescript', 'vitest', 'aws-local-stepfunctions']) expect(modules).not.toContain(devOnly);
    expect(modules).toContain('commander');
  });

  it('lists only the commands it can run (no demo, simulate, config, local: they need the checkout); --version', async () => {
    const help = await run(bin, ['--help'], { cwd: app, env: cleanEnv({}) });
    expect(help.code, help.stderr).toBe(0);
    const listed = help.stdout.split('\n').flatMap((line) => /^ {2}([a-z]+)\b/.exec(line)?.[1] ?? []);
    expect(listed).toEqual(['issue', 'renew', 'list', 'status', 'history', 'rollback', 'agent', 'revoke', 'help']);
    const version = await run(bin, ['--version'], { cwd: app, env: cleanEnv({}) });
    expect(version.stdout.trim()).toBe(JSON.parse(await fs.readFile(path.join(REPO, 'package.json'), 'utf8')).version);
  });

  it('npx certflow agent --help, and a --once install', async () => {
    expectHelp(await run('npx', ['certflow', 'agent', '--help'], { cwd: app }));
    const installDir = path.join(work, 'installed-package');
    await expectInstalled(await run(bin, ['agent', ...onceArgs(installDir)], { cwd: app }), installDir);
  });

  it('commands on the local store work; those needing the checkout fail with one line (exit 1)', async () => {
    const env = cleanEnv({ CERTFLOW_HOME: store });
    const list = await run(bin, ['list', '--json'], { cwd: app, env });
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject({ certificates: [{ certificateId: ID, currentVersion: '1' }] });
    for (const args of [['issue', 'x', '--name', 'a.certflow.test'], ['demo']]) {
      const refused = await run(bin, args, { cwd: app, env: cleanEnv({ CERTFLOW_HOME: path.join(work, 'unused-home') }) });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(new RegExp(`^certflow: '${args[0]}' needs the development checkout: \\S+ is not part of the installed package\\. Run it from a clone of the repository after npm ci\\.\\n$`));
    }
    await expect(fs.access(path.join(work, 'unused-home'))).rejects.toThrow();
  });
});

describe('dist/certflow-agent: Node single executable application', () => {
  it('runs --help and a --once install with no node on the PATH', async () => {
    const dir = await emptyDir('sea');
    const binary = path.join(dir, 'certflow-agent');
    await fs.copyFile(path.join(REPO, 'dist', 'certflow-agent'), binary);
    await fs.chmod(binary, 0o755);
    const env = { PATH: '/nonexistent', HOME: dir };
    expectHelp(await run(binary, ['--help'], { cwd: dir, env }));
    const installDir = path.join(work, 'installed-sea');
    await expectInstalled(await run(binary, onceArgs(installDir), { cwd: dir, env }), installDir);
  });
});

interface ImageLayout {
  readonly from: string;
  readonly workdir: string;
  readonly user: string;
  readonly copies: { readonly source: string; readonly target: string }[];
  readonly entrypoint: string[];
}

/** The instructions of a single-stage Dockerfile that decide what the container runs. */
function parseDockerfile(text: string): ImageLayout {
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
  const instructions = lines.map((line) => {
    const [keyword = '', ...rest] = line.split(/\s+/);
    return { keyword: keyword.toUpperCase(), argument: rest.join(' ') };
  });
  const all = (keyword: string) => instructions.filter((instruction) => instruction.keyword === keyword).map((instruction) => instruction.argument);
  const last = (keyword: string) => {
    const found = all(keyword).at(-1);
    if (found === undefined) throw new Error(`Dockerfile: no ${keyword}`);
    return found;
  };
  expect(all('FROM'), 'one stage').toHaveLength(1);
  const workdir = last('WORKDIR');
  return {
    from: last('FROM'),
    workdir,
    user: last('USER'),
    copies: all('COPY').map((argument) => {
      const parts = argument.split(/\s+/).filter((part) => !part.startsWith('--'));
      expect(parts, `COPY ${argument}: one source, one target`).toHaveLength(2);
      return { source: parts[0]!, target: path.posix.resolve(workdir, parts[1]!) };
    }),
    entrypoint: JSON.parse(last('ENTRYPOINT')) as string[],
  };
}

describe('Dockerfile: the agent image, laid out in a folder', () => {
  let image: ImageLayout;
  let root: string;
  /** A path inside the image → the same path under the folder standing for the image's root. */
  const inImage = (file: string) => path.join(root, file);

  beforeAll(async () => {
    image = parseDockerfile(await fs.readFile(path.join(REPO, 'Dockerfile'), 'utf8'));
    root = await emptyDir('image');
    const ignored = (await fs.readFile(path.join(REPO, '.dockerignore'), 'utf8')).split('\n').filter((line) => line && !line.startsWith('#'));
    for (const { source, target } of image.copies) {
      // The build context keeps what the image copies: .dockerignore excludes everything else.
      expect(ignored).toContain(`!${source}`);
      await fs.mkdir(path.dirname(inImage(target)), { recursive: true });
      await fs.copyFile(path.join(REPO, source), inImage(target));
    }
    await fs.mkdir(inImage(image.workdir), { recursive: true });
  });

  it('is a Node ≥ 20 base, runs as a non-root user, and holds the agent bundle only', async () => {
    expect(image.from).toMatch(/node(js)?:?(2[0-9]|-?2[0-9])/);
    expect(image.user).not.toMatch(/^(root|0)(:|$)/);
    expect(image.copies).toEqual([{ source: 'dist/certflow-agent.mjs', target: expect.stringMatching(/^\//) }]);
    expect(image.entrypoint[0]).toMatch(/(^|\/)node$/);
    expect(image.entrypoint.slice(1)).toContain(image.copies[0]!.target);
  });

  /** The ENTRYPOINT as the image runs it: its node is ours, its paths are under the folder. */
  const entrypoint = (...args: string[]) =>
    run(
      process.execPath,
      [...image.entrypoint.slice(1).map((part) => (part.startsWith('/') ? inImage(part) : part)), ...args],
      { cwd: inImage(image.workdir), env: { PATH: path.dirname(process.execPath), NODE_ENV: 'production' } },
    );

  it('ENTRYPOINT --help, and the init container (ENTRYPOINT --once) installing into a mounted volume', async () => {
    expectHelp(await entrypoint('--help'));
    const volume = path.join(work, 'volume-certs');
    await expectInstalled(await entrypoint(...onceArgs(volume)), volume);
    // The image holds nothing the run wrote or needed beyond what the Dockerfile copied.
    const files = await fs.readdir(root, { recursive: true });
    expect(files.filter((file) => !image.copies.some(({ target }) => target.startsWith(`/${file}`)))).toEqual([]);
  });
});
