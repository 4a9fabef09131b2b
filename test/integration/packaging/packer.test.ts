// The Packer templates (packer fmt / validate with Debian's packer 1.6.6, offline) and the image's cloud-init
// hook, run against a throwaway root with a stub in place of `cloud-init query`.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mustRun, packageVersion, ROOT, run } from './helpers.ts';

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

  it('are formatted (packer fmt -check)', (t) => {
    if (!packer) return t.skip('packer could not be installed from Debian');
    const r = run(packer, ['fmt', '-check', PACKER_DIR]);
    assert.equal(r.status, 0, `packer fmt would change: ${r.stdout}${r.stderr}`);
  });

  it('validate: variables, both qemu sources, provisioners and the per-arch .deb paths', (t) => {
    if (!packer) return t.skip('packer could not be installed from Debian');
    // validate stats the provisioners' sources: stand-ins for the two .debs. Explicit base-image checksums keep
    // validate offline (the defaults point at Debian's SHA512SUMS, fetched at build time).
    const dist = join(tmp, 'dist');
    mkdirSync(dist, { recursive: true });
    for (const arch of ['amd64', 'arm64'])
      writeFileSync(join(dist, `vpsie-lb-agent_${packageVersion()}-1_${arch}.deb`), '');
    const offline = `sha512:${'0'.repeat(128)}`;
    const args = ['-var', `dist_dir=${dist}`, '-var', `debian_iso_checksum_amd64=${offline}`];
    args.push('-var', `debian_iso_checksum_arm64=${offline}`, PACKER_DIR);
    const r = run(packer, ['validate', ...args]);
    assert.equal(r.status, 0, r.stdout + r.stderr);

    const empty = join(tmp, 'empty');
    mkdirSync(empty, { recursive: true });
    const missing = run(packer, [
      'validate',
      ...args.map((a) => (a.startsWith('dist_dir=') ? `dist_dir=${empty}` : a)),
    ]);
    assert.notEqual(missing.status, 0, 'validate must fail when the .deb is not there');
    assert.match(missing.stdout + missing.stderr, /vpsie-lb-agent_.*_amd64\.deb/);
  });

  it('validate rejects a malformed Envoy checksum', (t) => {
    if (!packer) return t.skip('packer could not be installed from Debian');
    const r = run(packer, ['validate', '-syntax-only', '-var', 'envoy_sha256_amd64=abc', PACKER_DIR]);
    const full = run(packer, ['validate', '-var', 'envoy_sha256_amd64=abc', PACKER_DIR]);
    assert.equal(r.status, 0, 'syntax alone is fine');
    assert.notEqual(full.status, 0);
    assert.match(full.stdout + full.stderr, /envoy_sha256_amd64 value must be 64 hex digits/);
  });

  it('pins one Envoy version with a SHA-256 per architecture', () => {
    const text = readFileSync(join(PACKER_DIR, 'versions.auto.pkrvars.hcl'), 'utf8');
    const version = /^envoy_version\s*=\s*"([0-9]+\.[0-9]+\.[0-9]+)"/m.exec(text)?.[1];
    assert.ok(version, 'envoy_version = "x.y.z"');
    for (const arch of ['amd64', 'arm64']) {
      const sum = new RegExp(`^envoy_sha256_${arch}\\s*=\\s*"([0-9a-f]{64})"`, 'm').exec(text)?.[1];
      assert.ok(sum, `envoy_sha256_${arch} is 64 hex digits`);
      assert.doesNotMatch(
        sum,
        /^0+$/,
        `envoy_sha256_${arch} is the all-zero placeholder: images cannot be built`,
      );
    }
  });

  it('install-envoy.sh refuses the placeholder checksum before downloading anything', () => {
    const r = run('sh', [join(PACKER_DIR, 'scripts', 'install-envoy.sh')], {
      env: {
        ...process.env,
        ENVOY_VERSION: '1.34.1',
        ENVOY_ASSET: 'envoy-1.34.1-linux-x86_64',
        ENVOY_SHA256: '0'.repeat(64),
      },
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /placeholder/);
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
