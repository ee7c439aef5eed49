// The checkout's fast entry: bin/cli.ts and everything it reaches, bundled with esbuild (with
// its dependencies, except the CDK and the build tools: EXTERNAL) into
// node_modules/.cache/certflow/dev-cli/, so `certflow …` starts with plain node (≈ 0.3 s)
// instead of tsx (≈ 2–3 s here). bin/cli.js runs it only while it is fresh.
//
// Never stale: the bundler plugin reads every repository file itself and records the SHA-256 of
// exactly the bytes it handed to esbuild; manifest.json lists them, with this file and
// tsconfig.json. A bundle is fresh only when every listed file still hashes the same. (A file
// that no listed file imports cannot change the bundle; a new import changes the importer.)
// A file whose size, mtime and ctime are still the ones taken just before it was read for the
// build is not hashed again (statting ≈ 140 files costs ≈ 2 ms, hashing them ≈ 25 ms of every
// command). ctime cannot be set back (utimes moves it too), so any write shows, except one in
// the same timestamp tick as the build: a file changed within RACY_MS of the build is always
// hashed (git's "racily clean" files).
// Each module keeps its own import.meta.url (its source file's URL), as under tsx, so code that
// finds files next to itself (local/definition-cache.ts PROJECT_ROOT) behaves the same.
/* global process */
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const DEV_BUNDLE_FORMAT = 2;
const SELF = fileURLToPath(import.meta.url);
/** Builds older than this are removed by a newer build (a running command may still load their chunks). */
const KEEP_OLD_BUILDS_MS = 10 * 60_000;

// node:crypto is loaded only when a file must be hashed: a fresh bundle's check needs stat alone.
const sha256 = (bytes) => createRequire(import.meta.url)('node:crypto').createHash('sha256').update(bytes).digest('hex');
/** Size, mtime and ctime, taken before a file is read: a later write changes them, so a match means the bytes read then. */
const statOf = (file) => {
  const stat = fs.statSync(file);
  return { key: `${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}:${stat.ino}`, changedMs: stat.ctimeMs };
};
/** Coarser than any filesystem's mtime tick (ext4, tmpfs, overlayfs: ns; some: 1–2 s). */
const RACY_MS = 3000;
const relative = (root, file) => path.relative(root, file).split(path.sep).join('/');

export function devBundleDir(root) {
  return path.join(root, 'node_modules', '.cache', 'certflow', 'dev-cli');
}

/**
 * Stay imports from node_modules: the CDK (loaded only to synthesize, and large) and the tools.
 * Every other dependency is bundled: one file to read instead of hundreds to resolve (≈ 1 s of
 * CPU per process here), which is why package-lock.json is an input.
 */
const EXTERNAL = ['aws-cdk-lib', 'constructs', 'cdk-nag', 'aws-cdk', 'esbuild', 'tsx', 'typescript', 'vitest'];
/** CommonJS dependencies inside an ES module call require() for Node's built-ins. */
const REQUIRE_BANNER = "import { createRequire as __certflowRequire } from 'node:module'; const require = __certflowRequire(import.meta.url);";

/** Files outside the bundle that shape it: this builder, the TypeScript settings esbuild reads, the installed dependencies. */
function extraInputs(root) {
  return [SELF, path.join(root, 'tsconfig.json'), path.join(root, 'package-lock.json')];
}

/** The bundle's entry file when every input it was built from is unchanged; otherwise undefined. */
export function freshDevBundle(root, dir = devBundleDir(root)) {
  root = path.resolve(root);
  let manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  } catch {
    return undefined;
  }
  if (manifest?.format !== DEV_BUNDLE_FORMAT || typeof manifest.build !== 'string' || typeof manifest.inputs !== 'object' || !manifest.inputs) return undefined;
  if (manifest.root !== root) return undefined;
  const stats = typeof manifest.stats === 'object' && manifest.stats ? manifest.stats : {};
  const statsTakenAt = typeof manifest.statsTakenAt === 'number' ? manifest.statsTakenAt : 0;
  for (const [file, hash] of Object.entries(manifest.inputs)) {
    const absolute = path.resolve(root, file);
    try {
      if (stats[file] !== undefined) {
        const stat = statOf(absolute);
        if (stat.key === stats[file] && stat.changedMs < statsTakenAt - RACY_MS) continue;
      }
      if (sha256(fs.readFileSync(absolute)) !== hash) return undefined;
    } catch {
      return undefined; // an input is gone
    }
  }
  const entry = path.join(dir, manifest.build, 'cli.mjs');
  return fs.existsSync(entry) ? entry : undefined;
}

/** esbuild plugin: load repository sources ourselves, hash what we hand over, keep each module's import.meta.url. */
function sourcesPlugin(root, inputs, stats) {
  return {
    name: 'certflow-dev-sources',
    setup(build) {
      build.onLoad({ filter: /\.(ts|mts|js|mjs|json)$/ }, (args) => {
        if (args.path.includes(`${path.sep}node_modules${path.sep}`) || !args.path.startsWith(root + path.sep)) return undefined;
        const stat = statOf(args.path);
        const bytes = fs.readFileSync(args.path);
        inputs[relative(root, args.path)] = sha256(bytes);
        stats[relative(root, args.path)] = stat.key;
        const loader = path.extname(args.path).slice(1).replace(/^m/, '');
        const text = bytes.toString('utf8');
        const contents = loader === 'json' ? text : text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href));
        return { contents, loader };
      });
    },
  };
}

/**
 * Imports that libraries make at their top for what a local run never does, left out of the
 * bundle: a stand-in requires the real module from node_modules on first use, so code that does
 * use it behaves as before. Bundled, they were compiled and initialized by every `certflow issue`
 * (bench/cli.ts: ≈ 2 MB of JavaScript, ≈ 0.1 s of CPU and ≈ 15 MiB per process):
 * - aws-local-stepfunctions: the Lambda client and Cognito credentials (every Task here is a local
 *   step) and asl-validator with ajv (a definition that passed once is not validated again:
 *   local/validated-definitions.ts);
 * - acme-client: its deprecated node-forge API (`acme.forge`, which we never use; our keystores
 *   load node-forge's ASN.1 module alone), and @peculiar/x509 with asn1js, tsyringe and
 *   reflect-metadata (≈ 750 kB) behind its `./crypto` module, which a run of ours calls for two
 *   things only: the account key's JWK and the CSR's body in base64url (finalize, revoke). The
 *   stand-in answers those two with node:crypto, as acme-client 5.4 computes them (tested against
 *   it), and requires the real module for anything else (our CSR: lambdas/issued/csr.ts);
 * - axios: form-data (with mime-types and mime-db), for multipart bodies; ACME posts JSON;
 * - zod: its 48 error-message locales (`z.locales`, 245 kB); English, the default, stays bundled.
 *   The stand-in has each locale's name; its CommonJS build, required on first use, answers.
 * A name the library imports and the stand-in lacks fails the build (esbuild: no matching
 * export), and bin/cli.js then runs the sources with tsx: slower, never wrong.
 */
const DEFERRED = [
  {
    importer: 'aws-local-stepfunctions',
    specifier: '@aws-sdk/client-lambda',
    stub: (load) => `export class LambdaClient { constructor(...a) { return new (${load}.LambdaClient)(...a); } }\nexport class InvokeCommand { constructor(...a) { return new (${load}.InvokeCommand)(...a); } }`,
  },
  { importer: 'aws-local-stepfunctions', specifier: '@aws-sdk/credential-providers', stub: (load) => `export const fromCognitoIdentityPool = (...a) => ${load}.fromCognitoIdentityPool(...a);` },
  { importer: 'aws-local-stepfunctions', specifier: 'asl-validator', stub: (load) => `export default function aslValidator(...a) { return ${load}(...a); }` },
  { importer: 'axios', specifier: 'form-data', stub: (load) => `module.exports = function FormData(...a) { return new (${load})(...a); };` },
  ...['zod/v4/classic', 'zod/v4/core'].map((importer) => ({
    importer,
    specifier: '../locales/index.js',
    real: '../locales/index.cjs',
    stub: (load, names) => names.map((name) => `export const ${name} = (...a) => ${load}.${name}(...a);`).join('\n'),
  })),
  {
    importer: 'acme-client',
    specifier: './crypto',
    stub: (load, names) => `const { createPublicKey } = require('node:crypto');
const light = {
  getJwk(keyPem) {
    const jwk = createPublicKey(keyPem).export({ format: 'jwk' });
    return Object.fromEntries(Object.keys(jwk).sort().map((key) => [key, jwk[key]]));
  },
  getPemBodyAsB64u(pem) {
    const body = /-----BEGIN [^-]+-----([A-Za-z0-9+/=\\s]+)-----END /.exec(String(pem))?.[1];
    return body ? Buffer.from(body, 'base64').toString('base64url') : ${load}.getPemBodyAsB64u(pem);
  },
};
module.exports = { ...Object.fromEntries(${JSON.stringify(names)}.map((name) => [name, (...a) => ${load}[name](...a)])), ...light };`,
  },
  { importer: 'acme-client', specifier: './crypto/forge', stub: (load) => `module.exports = new Proxy({}, { get: (_, name) => ${load}[name], has: (_, name) => name in ${load}, ownKeys: () => Reflect.ownKeys(${load}), getOwnPropertyDescriptor: (_, name) => Object.getOwnPropertyDescriptor(${load}, name) });` },
];

function deferredImportsPlugin() {
  const inPackage = (file, name) => file.includes(`${path.sep}node_modules${path.sep}${name.split('/').join(path.sep)}${path.sep}`);
  return {
    name: 'certflow-deferred-imports',
    setup(build) {
      const escape = (text) => text.replace(/[/.\\-]/g, '\\$&');
      const filter = new RegExp(`^(${DEFERRED.map(({ specifier }) => escape(specifier)).join('|')})$`);
      build.onResolve({ filter }, (args) => {
        const index = DEFERRED.findIndex(({ importer, specifier }) => specifier === args.path && inPackage(args.importer, importer));
        return index < 0 ? undefined : { path: `${args.path} from ${args.importer}`, namespace: 'certflow-deferred', pluginData: { index, importer: args.importer } };
      });
      build.onLoad({ filter: /.*/, namespace: 'certflow-deferred' }, ({ pluginData: { index, importer } }) => {
        const { specifier, real = specifier, stub } = DEFERRED[index];
        // createRequire from the importer: the module resolves as the library's own require would.
        const load = `require('node:module').createRequire(${JSON.stringify(importer)})(${JSON.stringify(real)})`;
        const names = () => Object.keys(createRequire(importer)(real)).filter((name) => /^[A-Za-z_$][\w$]*$/.test(name) && name !== 'default'); // read at build time
        return { contents: `${stub(load, stub.length > 1 ? names() : [])}\n`, loader: 'js', resolveDir: path.dirname(importer) };
      });
    },
  };
}

/**
 * Work a library does at its top that a local run never uses, taken out of the bundled copy (the
 * file on disk is untouched): per file, [text, replacement] pairs. When any text is no longer in
 * the file (an upgrade), the file is bundled as it is: correct, only slower, and
 * test/unit/local/dev-bundle.test.ts fails.
 * - axios 1.x reads the global `FormData` at load and warms its fetch adapter's cache
 *   (`getFetch()`: `fetch`, `Request`, `ReadableStream`): Node then loads undici and web streams
 *   (≈ 15 ms of CPU, ≈ 1 MiB) in every process. acme-client's requests go through the http
 *   adapter. `isFormData` still knows a FormData by its tag (the `instanceof` was its shortcut);
 *   the fetch adapter, if anything asks for it, builds its cache then.
 */
const TRIMMED = {
  'axios/dist/node/axios.cjs': [
    ["const FormDataCtor = typeof G.FormData !== 'undefined' ? G.FormData : undefined;", 'const FormDataCtor = undefined;'],
    ['\ngetFetch();\n', '\n'],
  ],
};

function trimmedTopLevelPlugin() {
  const files = Object.keys(TRIMMED);
  const pathOf = (file) => `${path.sep}node_modules${path.sep}${file.split('/').join(path.sep)}`;
  const escape = (text) => text.replace(/[.\\/]/g, (c) => (c === '.' ? '\\.' : '[\\\\/]'));
  return {
    name: 'certflow-trimmed-top-level',
    setup(build) {
      build.onLoad({ filter: new RegExp(`(${files.map((file) => escape(`/node_modules/${file}`)).join('|')})$`) }, (args) => {
        const file = files.find((name) => args.path.endsWith(pathOf(name)));
        if (!file) return undefined;
        const text = fs.readFileSync(args.path, 'utf8');
        if (!TRIMMED[file].every(([remove]) => text.includes(remove))) return undefined;
        return { contents: TRIMMED[file].reduce((trimmed, [remove, keep]) => trimmed.replace(remove, keep), text), loader: 'js' };
      });
    },
  };
}

/** Bundle `entry` (relative to root) into a new build folder and point manifest.json at it. Returns the entry file. */
export async function buildDevBundle(root, options = {}) {
  root = path.resolve(root);
  const dir = options.dir ?? devBundleDir(root);
  const entry = options.entry ?? 'bin/cli.ts';
  const esbuild = await import('esbuild');
  const build = `build-${Date.now()}-${process.pid}`;
  const inputs = {};
  const stats = {};
  const statsTakenAt = Date.now();
  for (const file of extraInputs(root)) {
    if (!fs.existsSync(file)) continue;
    stats[relative(root, file)] = statOf(file).key;
    inputs[relative(root, file)] = sha256(fs.readFileSync(file));
  }
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: { cli: entry },
    outdir: path.join(dir, build),
    outExtension: { '.js': '.mjs' },
    chunkNames: '[name]-[hash]',
    bundle: true,
    splitting: true, // chunks at the subcommands' dynamic imports: `certflow list` loads no AWS SDK
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL.flatMap((name) => [name, `${name}/*`]),
    banner: { js: REQUIRE_BANNER },
    logLevel: 'silent',
    plugins: [deferredImportsPlugin(), trimmedTopLevelPlugin(), sourcesPlugin(root, inputs, stats)],
  });
  const manifest = { format: DEV_BUNDLE_FORMAT, root, build, builtAt: new Date().toISOString(), inputs, stats, statsTakenAt };
  const temp = path.join(dir, `manifest.json.${process.pid}.tmp`);
  fs.writeFileSync(temp, JSON.stringify(manifest, null, 1));
  fs.renameSync(temp, path.join(dir, 'manifest.json')); // concurrent builders: the last one wins, each whole
  for (const old of fs.readdirSync(dir)) {
    if (!old.startsWith('build-') || old === build) continue;
    const at = path.join(dir, old);
    try {
      if (Date.now() - fs.statSync(at).mtimeMs > KEEP_OLD_BUILDS_MS) fs.rmSync(at, { recursive: true, force: true });
    } catch {
      // another builder removed it
    }
  }
  return path.join(dir, build, 'cli.mjs');
}

/** A fresh bundle of the checkout's CLI: the existing one, or a new build; undefined when it cannot be built. */
export async function devBundle(root) {
  const fresh = freshDevBundle(root);
  if (fresh) return fresh;
  // On a terminal only: scripts and tests read stderr as the command's own.
  if (process.stderr.isTTY) process.stderr.write('certflow: sources changed since the last run, bundling them (node_modules/.cache/certflow/dev-cli)…\n');
  try {
    return await buildDevBundle(root);
  } catch {
    return undefined; // e.g. no esbuild: the caller runs the sources with tsx
  }
}
