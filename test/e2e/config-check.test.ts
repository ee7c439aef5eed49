/**
 * The config as an operator meets it: `certflow config check` (node bin/cli.js …) and the CDK
 * app (bin/app.ts, what cdk.json runs) refuse a mistake with its key path, the nearest known
 * key, exit code 2 and no stack trace; `cdk deploy` (a `cdk deploy` command line as the app's
 * parent, as the CDK CLI starts it) stops on the shipped example values before synthesis.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const CONFIG_MODULE = JSON.stringify(path.join(ROOT, 'infra', 'config.ts'));

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

let dir: string;

function run(command: string, args: readonly string[], cwd = ROOT): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, [...args], { cwd, env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' }, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const certflow = (...args: string[]) => run(process.execPath, [path.join(ROOT, 'bin', 'cli.js'), ...args]);

/** A config module in the temporary directory; `body` is what goes inside defineConfig({...}). */
async function configFile(name: string, body: string): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, `import { defineConfig } from ${CONFIG_MODULE};\nexport default defineConfig({\n${body}\n});\n`);
  return file;
}

/** No stack frame (`    at …`) and no source excerpt anywhere in the output. */
function expectNoStackTrace(result: Run): void {
  expect(result.stderr + result.stdout).not.toMatch(/^\s+at .+[:(]/m);
  expect(result.stderr).not.toMatch(/node:internal|\.ts:\d+:\d+/);
}

const OWN = "hostedZones: [{ name: 'corp.io', id: 'Z04ABCDEF1GHIJ' }], acme: { contact: ['mailto:pki@corp.io'] }, certificates: [{ id: 'mq', names: ['mq.corp.io'] }]";

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'certflow-config-'));
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

describe('certflow config check', () => {
  it('a valid config of your own: exit 0, deployable', async () => {
    const file = await configFile('own.config.ts', OWN);
    const text = await certflow('config', 'check', '--config', file);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('is valid: 1 hosted zone(s), 1 certificate(s), 0 subscriber group(s)');
    expect(text.stdout).not.toContain('example value');
    const json = await certflow('config', 'check', '--config', file, '--json', '--deploy');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: true, problems: [], exampleValues: [], deployable: true, certificates: ['mq'], hostedZones: ['corp.io'], scanIntervalHours: 3 });
  });

  it('a config split over modules: its TypeScript imports, Node built-ins and packages resolve as under Node, each file keeps its import.meta.url', async () => {
    const folder = path.join(dir, 'split');
    await fs.mkdir(folder, { recursive: true });
    await fs.writeFile(path.join(folder, 'zones.ts'), "export const zones: { name: string; id: string }[] = [{ name: 'corp.io', id: 'Z04ABCDEF1GHIJ' }];\nexport const here = import.meta.url;\n");
    await fs.writeFile(
      path.join(folder, 'split.config.ts'),
      `import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from ${CONFIG_MODULE};
import { here, zones } from './zones';
const id = \`\${path.basename(fileURLToPath(import.meta.url), '.config.ts')}-\${path.basename(fileURLToPath(here), '.ts')}\`;
export default defineConfig({ hostedZones: zones, acme: { contact: ['mailto:pki@corp.io'] }, certificates: [{ id, names: ['mq.corp.io'] }] });
`,
    );
    const json = await certflow('config', 'check', '--config', path.join(folder, 'split.config.ts'), '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: true, certificates: ['split-zones'], hostedZones: ['corp.io'] });

    await fs.writeFile(path.join(folder, 'unresolved.config.ts'), "import { zones } from 'no-such-certflow-package';\nexport default { hostedZones: zones };\n");
    const unresolved = await certflow('config', 'check', '--config', path.join(folder, 'unresolved.config.ts'));
    expect(unresolved.code).toBe(2);
    expect(unresolved.stderr).toContain('unresolved.config.ts could not be loaded: Could not resolve "no-such-certflow-package" (line 1, column 23)');
    expectNoStackTrace(unresolved);
  });

  it('a scan schedule too coarse for the shortest lifetime declared: exit 2, naming the certificate and the bound', async () => {
    const file = await configFile('coarse.config.ts', `${OWN.replace("names: ['mq.corp.io'] }", "names: ['mq.corp.io'], profile: 'shortlived' }")}, schedule: { scanIntervalHours: 24 }`);
    const text = await certflow('config', 'check', '--config', file);
    expect(text.code).toBe(2);
    expect(text.stderr).toContain("schedule.scanIntervalHours: 24 h is too coarse for the shortest lifetime declared: certificates['mq'] (profile shortlived, 160 h) needs a scan at least every 13.3 h");
    expectNoStackTrace(text);
  });

  it('typos: every one named with its key path and the nearest known key, exit 2, no stack trace', async () => {
    const file = await configFile(
      'typos.config.ts',
      "hostedZone: [{ name: 'corp.io', id: 'Z04ABCDEF1GHIJ' }], acme: { directoryURL: 'https://acme-v02.api.letsencrypt.org/directory' }, certificates: [{ id: 'mq', names: ['mq.corp.io'], keystore: { pasword: 'x' } }]",
    );
    const text = await certflow('config', 'check', '--config', file);
    expect(text.code).toBe(2);
    expect(text.stderr).toContain("hostedZone: unknown key; did you mean 'hostedZones'?");
    expect(text.stderr).toContain("acme.directoryURL: unknown key; did you mean 'directoryUrl'?");
    expect(text.stderr).toContain("certificates['mq'].keystore.pasword: unknown key; did you mean 'passwordSecretRef'?");
    expect(text.stdout).toBe('');
    expectNoStackTrace(text);

    const json = await certflow('config', 'check', '--config', file, '--json');
    expect(json.code).toBe(2);
    const result = JSON.parse(json.stdout) as { valid: boolean; problems: string[] };
    expect(result.valid).toBe(false);
    expect(result.problems).toContain("hostedZone: unknown key; did you mean 'hostedZones'?");
    expectNoStackTrace(json);
  });

  it('a missing file, a file that does not compile, and a plain object export: exit 2, no stack trace', async () => {
    const missing = await certflow('config', 'check', '--config', path.join(dir, 'nope.config.ts'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.config.ts: no such file');

    const broken = path.join(dir, 'broken.config.ts');
    await fs.writeFile(broken, 'export default {{ oops');
    const syntax = await certflow('config', 'check', '--config', broken);
    expect(syntax.code).toBe(2);
    expect(syntax.stderr).toContain('broken.config.ts could not be loaded: Expected identifier but found "{" (line 1, column 17)');
    expectNoStackTrace(syntax);

    const plain = path.join(dir, 'plain.config.ts');
    await fs.writeFile(plain, "export default { hostedZones: [{ name: 'corp.io' }], eventBus: 'x' };\n");
    const checked = await certflow('config', 'check', '--config', plain);
    expect(checked.code).toBe(2);
    expect(checked.stderr).toContain("eventBus: unknown key; did you mean 'eventBusName'?");
  });

  it('the shipped config: valid, its example values listed (exit 0); refused with --deploy (exit 2)', async () => {
    const check = await certflow('config', 'check');
    expect(check.code).toBe(0);
    expect(check.stdout).toContain("hostedZones['example.com'].id: 'Z0123456789EXAMPLE'");
    const deploy = await certflow('config', 'check', '--deploy', '--json');
    expect(deploy.code).toBe(2);
    const result = JSON.parse(deploy.stdout) as { valid: boolean; deployable: boolean; exampleValues: { key: string }[] };
    expect(result).toMatchObject({ valid: true, deployable: false });
    expect(result.exampleValues.map(({ key }) => key)).toEqual(
      expect.arrayContaining(["hostedZones['example.com'].id", "hostedZones['example.com'].name", 'acme.contact[0]', "certificates['broker-eu1'].names[0]"]),
    );
  });
});

describe('the CDK app (cdk.json: bin/app.ts)', () => {
  const tsx = pathToFileURL(createRequire(path.join(ROOT, 'package.json')).resolve('tsx')).href;

  it('refuses a config with a typo before synthesizing: its problems, exit 2, no stack trace', async () => {
    const project = path.join(dir, 'project');
    await fs.mkdir(project, { recursive: true });
    await fs.copyFile(await configFile('typo-app.config.ts', `${OWN}, evntBusName: 'certflow'`), path.join(project, 'certflow.config.ts'));
    const result = await run(process.execPath, ['--import', tsx, path.join(ROOT, 'bin', 'app.ts')], project);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("certflow.config.ts is invalid:\n  - evntBusName: unknown key; did you mean 'eventBusName'?");
    expectNoStackTrace(result);
  });

  it('started by `cdk deploy`, stops on the example values, naming each, before any synthesis', async () => {
    // The CDK CLI runs the app as a child of `node …/aws-cdk/bin/cdk deploy`: so does this stand-in.
    const cdk = path.join(dir, 'node_modules', 'aws-cdk', 'bin', 'cdk');
    await fs.mkdir(path.dirname(cdk), { recursive: true });
    await fs.writeFile(
      cdk,
      `const { spawnSync } = require('node:child_process');
const child = spawnSync(process.execPath, ['--import', ${JSON.stringify(tsx)}, ${JSON.stringify(path.join(ROOT, 'bin', 'app.ts'))}], { cwd: ${JSON.stringify(ROOT)}, stdio: 'inherit', env: { ...process.env, CDK_OUTDIR: ${JSON.stringify(path.join(dir, 'cdk.out'))} } });
process.exit(child.status ?? 1);
`,
    );
    const started = Date.now();
    const result = await run(process.execPath, [cdk, 'deploy', '--require-approval', 'never']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('certflow.config.ts still holds 5 example value(s)');
    for (const line of ["hostedZones['example.com'].id: 'Z0123456789EXAMPLE'", "hostedZones['example.com'].name: 'example.com'", "acme.contact[0]: 'mailto:pki-team@example.com'", "certificates['broker-eu1'].names[1]: '*.mq.example.com'"]) {
      expect(result.stderr).toContain(line);
    }
    expect(result.stderr).toContain('cdk deploy stopped: nothing was uploaded or changed.');
    expectNoStackTrace(result);
    // Stopped before synthesis: no cloud assembly, and far quicker than a synth (≈ 30 s here).
    await expect(fs.access(path.join(dir, 'cdk.out'))).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});
