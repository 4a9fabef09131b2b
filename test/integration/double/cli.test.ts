import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bootstrapYaml, killAll, makeSandbox, runDouble, type Sandbox } from '../../doubles/envoy/harness.ts';

describe('envoy double: command line and --mode validate', () => {
  let sb: Sandbox;
  let boot: string;
  before(() => {
    sb = makeSandbox();
    boot = join(sb.dir, 'bootstrap.yaml');
    writeFileSync(boot, bootstrapYaml());
  });
  after(() => {
    killAll();
    sb.cleanup();
  });

  it('rejects an unknown flag and a bad value with exit 1', async () => {
    const unknown = await runDouble(['--no-such-flag', '-c', boot], sb.env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /PARSE ERROR: Argument: --no-such-flag/);
    const bad = await runDouble(['-c', boot, '--restart-epoch', 'abc'], sb.env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--restart-epoch[\s\S]*'abc'/);
    const level = await runDouble(['-c', boot, '-l', 'loud'], sb.env);
    assert.equal(level.code, 1);
    assert.match(level.stderr, /invalid log level/);
    const component = await runDouble(
      ['-c', boot, '--component-log-level', 'upstream:debug,nosuch:trace'],
      sb.env,
    );
    assert.equal(component.code, 1);
    assert.match(component.stderr, /nosuch/);
  });

  it('prints the hot restart version on stderr, or "disabled"', async () => {
    const v = await runDouble(['--hot-restart-version'], sb.env);
    assert.equal(v.code, 0);
    assert.match(v.stderr.trim(), /^\d+\.\d+$/);
    assert.equal(v.stdout, '');
    const d = await runDouble(['--hot-restart-version', '--disable-hot-restart'], sb.env);
    assert.equal(d.stderr.trim(), 'disabled');
  });

  it('--version reports ENVOY_DOUBLE_VERSION', async () => {
    const v = await runDouble(['--version'], { ...sb.env, ENVOY_DOUBLE_VERSION: '1.30.7' });
    assert.equal(v.code, 0);
    assert.match(v.stdout, /envoy {2}version: \S+\/1\.30\.7\/Clean\/RELEASE\/BoringSSL/);
  });

  it('validate: a good bootstrap is OK on stdout, exit 0, from any cwd', async () => {
    const r = await runDouble(['--mode', 'validate', '-c', boot], sb.env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `configuration '${boot}' OK\n`);
  });

  it('validate: a schema error fails with the critical line and exit 1', async () => {
    const badPath = join(sb.dir, 'bad.yaml');
    // YAML-valid but not a Bootstrap: only the strict schema check catches it.
    writeFileSync(
      badPath,
      `${bootstrapYaml()}static_resources: {clusters: [{name: x, connect_timeout: 500ms}]}\n`,
    );
    const r = await runDouble(['--mode', 'validate', '-c', badPath], sb.env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`\\[critical\\].*error initializing configuration '${badPath}': .+`));
    assert.equal(r.stdout, '');
  });

  it('validate: unknown top-level fields fail unless --allow-unknown-static-fields', async () => {
    const p = join(sb.dir, 'unknown.yaml');
    writeFileSync(p, `${bootstrapYaml()}no_such_section: {a: 1}\n`);
    const strict = await runDouble(['--mode', 'validate', '-c', p], sb.env);
    assert.equal(strict.code, 1);
    const lax = await runDouble(['--mode', 'validate', '-c', p, '--allow-unknown-static-fields'], sb.env);
    assert.equal(lax.code, 0, lax.stderr);
  });

  it('validate: dynamic resource files are not read', async () => {
    const p = join(sb.dir, 'dyn.yaml');
    const cds = join(sb.xdsDir, 'garbage-cds.yaml');
    writeFileSync(
      cds,
      'resources: [{"@type": type.googleapis.com/envoy.config.cluster.v3.Cluster, name: 7, bogus: true}]\n',
    );
    writeFileSync(p, bootstrapYaml({ cds, watchedDir: sb.xdsDir }));
    const r = await runDouble(['--mode', 'validate', '-c', p], sb.env);
    assert.equal(r.code, 0, r.stderr);
  });

  it('validate: ENVOY_DOUBLE_REJECT_VALIDATION fails a good bootstrap', async () => {
    const r = await runDouble(['--mode', 'validate', '-c', boot], {
      ...sb.env,
      ENVOY_DOUBLE_REJECT_VALIDATION: '1',
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error initializing configuration/);
  });

  it('--config-yaml is merged onto the file', async () => {
    const r = await runDouble(
      [
        '--mode',
        'validate',
        '-c',
        boot,
        '--config-yaml',
        'static_resources: {clusters: [{name: y, connect_timeout: 1x}]}',
      ],
      sb.env,
    );
    assert.equal(r.code, 1, 'the merged bad duration must be seen');
  });

  it('ENVOY_DOUBLE_FAIL_START exits 1 with the error line; --use-dynamic-base-id writes --base-id-path', async () => {
    const fail = await runDouble(['-c', boot, '--disable-hot-restart'], {
      ...sb.env,
      ENVOY_DOUBLE_FAIL_START: '1',
    });
    assert.equal(fail.code, 1);
    assert.match(
      fail.stderr,
      /error `injected start failure \(ENVOY_DOUBLE_FAIL_START\)` initializing config/,
    );
    const idPath = join(sb.dir, 'base-id');
    const dyn = await runDouble(['-c', boot, '--use-dynamic-base-id', '--base-id-path', idPath], {
      ...sb.env,
      ENVOY_DOUBLE_FAIL_START: '1',
    });
    assert.equal(dyn.code, 1);
    assert.match(readFileSync(idPath, 'utf8'), /^\d+$/);
    const epoch = await runDouble(['-c', boot, '--use-dynamic-base-id', '--restart-epoch', '1'], sb.env);
    assert.equal(epoch.code, 1);
    assert.match(epoch.stderr, /use-dynamic-base-id/);
  });
});
