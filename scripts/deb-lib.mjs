// What both Debian packages (build-deb.mjs: the agent, build-envoy-deb.mjs: Envoy) build the same way: a staged
// tree with explicit modes, every mtime SOURCE_DATE_EPOCH (default: the last commit's time), owners root
// (--root-owner-group), dpkg-deb clamping its own timestamps to SOURCE_DATE_EPOCH. Same tree → same bytes.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const MAINTAINER = 'VPSie Load Balancer team <lb@vpsie.com>';
export const DEB_ARCHES = ['amd64', 'arm64'];
export const COMPRESSORS = ['xz', 'gzip', 'zstd', 'none'];

export function failer(tool) {
  return (message) => {
    process.stderr.write(`${tool}: ${message}\n`);
    process.exit(1);
  };
}

export function sourceDateEpoch() {
  if (process.env.SOURCE_DATE_EPOCH) return Number(process.env.SOURCE_DATE_EPOCH);
  try {
    return Number(execFileSync('git', ['log', '-1', '--format=%ct'], { cwd: ROOT, encoding: 'utf8' }).trim());
  } catch {
    return 0;
  }
}

/** dpkg-deb from Debian, installed on demand (scripts/ensure-tools.sh deb). */
export function ensureDpkgDeb() {
  try {
    execFileSync('dpkg-deb', ['--version'], { stdio: 'ignore' });
  } catch {
    execFileSync(join(ROOT, 'scripts', 'ensure-tools.sh'), ['deb'], { stdio: 'inherit' });
  }
}

function du(dir, top = true) {
  let bytes = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (top && e.name === 'DEBIAN') continue;
    const p = join(dir, e.name);
    bytes += e.isDirectory() ? du(p, false) : lstatSync(p).size;
  }
  return bytes;
}

function touchAll(dir, epoch) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) touchAll(p, epoch);
    utimesSync(p, epoch, epoch);
  }
  utimesSync(dir, epoch, epoch);
}

/**
 * Builds <out>/<name>_<version>_<arch>.deb from entries [path in the package, mode, contents | { copy: file }]
 * (directories end with '/'; '/DEBIAN/...' are control files) and control(installedKiB) → the control file text.
 */
export function buildDeb({ name, version, arch, entries, control, compress, out, epoch }) {
  const stage = join(ROOT, '.cache', 'deb', `${name}-${arch}`);
  const root = join(stage, 'root');
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(join(root, 'DEBIAN'), { recursive: true });
  for (const [path, mode, content] of entries) {
    const dest = join(root, path);
    if (path.endsWith('/')) mkdirSync(dest, { recursive: true });
    else if (typeof content === 'string') writeFileSync(dest, content);
    else copyFileSync(resolve(ROOT, content.copy), dest);
    chmodSync(dest, mode); // explicit: independent of the builder's umask and of the sources' modes
  }
  const installedKiB = Math.ceil(du(root) / 1024);
  writeFileSync(join(root, 'DEBIAN', 'control'), control(installedKiB));
  chmodSync(join(root, 'DEBIAN', 'control'), 0o644);
  touchAll(root, epoch);

  const outDir = resolve(ROOT, out);
  mkdirSync(outDir, { recursive: true });
  const deb = join(outDir, `${name}_${version}_${arch}.deb`);
  const t0 = Date.now();
  execFileSync('dpkg-deb', ['--root-owner-group', `-Z${compress}`, '--build', root, deb], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, SOURCE_DATE_EPOCH: String(epoch) },
  });
  const seconds = Math.round((Date.now() - t0) / 100) / 10;
  rmSync(stage, { recursive: true, force: true }); // the staged copy of a 100 MB binary is not worth keeping
  return { deb: relative(ROOT, deb), bytes: lstatSync(deb).size, installedKiB, seconds };
}

export function readSource(path, what, fail) {
  const abs = resolve(ROOT, path);
  if (!existsSync(abs)) fail(`${what} ${path} is missing`);
  return readFileSync(abs, 'utf8');
}

/** The options both builders take; extra: { '--flag': (value, opts) => void } for the agent's own. */
export function parseDebArgs(argv, defaults, fail, extra = {}) {
  const opts = { arch: DEB_ARCHES, out: 'dist', compress: 'zstd', ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i] ?? fail(`${a} needs a value`);
    if (a === '--arch') opts.arch = next().split(',');
    else if (a === '--out') opts.out = next();
    else if (a === '--compress') opts.compress = next();
    else if (extra[a]) extra[a](next(), opts);
    else fail(`unknown option ${a}`);
  }
  for (const arch of opts.arch) if (!DEB_ARCHES.includes(arch)) fail(`unknown arch ${arch}`);
  if (!COMPRESSORS.includes(opts.compress)) fail(`bad --compress ${opts.compress}`);
  return opts;
}
