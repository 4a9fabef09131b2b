// The CLI as scripts use it: exit codes, stdout/stderr, files written (or not), standard input.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getSchemaChecker } from '../../../src/envoy/schema/index.ts';
import { parse as parseYaml } from 'yaml';
import { httpSpec } from '../../helpers/agent-config.ts';
import { CLI, REPO_ROOT } from '../../helpers/cli-process.ts';

function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: REPO_ROOT,
    input,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('vpsie-lb-agent CLI', () => {
  let dir: string;
  let good: string;
  let bad: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vpsie-lb-cli-'));
    good = join(dir, 'good.json');
    bad = join(dir, 'bad.json');
    await writeFile(good, JSON.stringify(httpSpec()));
    await writeFile(
      bad,
      JSON.stringify(
        httpSpec((s) => {
          s.port = 70000;
          (s.backends as Record<string, unknown>[])[1]!.address = '127.0.0.1';
        }),
      ),
    );
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('--help and --version exit 0; no command, an unknown command or flag exit 2 with usage', () => {
    const help = cli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: vpsie-lb-agent/);
    const version = cli(['--version']);
    assert.equal(version.code, 0);
    assert.match(version.stdout.trim(), /^\d+\.\d+\.\d+$/);
    for (const args of [[], ['frobnicate'], ['validate', '--spec', good, '--bogus'], ['validate']]) {
      const r = cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /Usage:/);
    }
  });

  it('validate: exit 0 for a valid spec, 1 with every problem line on stderr for an invalid one', () => {
    const ok = cli(['validate', '--spec', good]);
    assert.equal(ok.code, 0, ok.stderr);
    const invalid = cli(['validate', '--spec', bad]);
    assert.equal(invalid.code, 1);
    const lines = invalid.stderr.trim().split('\n');
    assert.ok(lines.includes('port: must be 1..65535, got 70000'), invalid.stderr);
    assert.ok(
      lines.some((l) => l.startsWith('backends[1].address: ')),
      invalid.stderr,
    );
  });

  it('validate reads standard input for -', () => {
    assert.equal(cli(['validate', '--spec', '-'], JSON.stringify(httpSpec())).code, 0);
    const r = cli(['validate', '--spec', '-'], '{"id": ');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /invalid JSON/);
  });

  it('a missing spec file or a broken --config is a usage/config error (exit 2) naming the file or key', async () => {
    const missing = cli(['validate', '--spec', join(dir, 'nope.json')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.json/);
    const config = join(dir, 'agent.yaml');
    await writeFile(config, 'envoy:\n  max_connections: lots\n');
    const r = cli(['validate', '--spec', good, '--config', config]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /envoy\.max_connections/);
  });

  it('render writes the runtime layout and the static bootstrap, all schema-valid, and prints the hash last', async () => {
    const out = join(dir, 'out');
    const r = cli(['render', '--spec', good, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const last = r.stdout.trim().split('\n').at(-1);
    assert.match(last ?? '', /^[0-9a-f]{64}$/);
    const checker = getSchemaChecker();
    // The files that grow with the backends are JSON (Envoy reads JSON ~4× faster); the rest YAML.
    const read = async (f: string): Promise<unknown> => {
      const text = await readFile(join(out, f), 'utf8');
      return f.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    };
    for (const f of ['bootstrap.yaml', 'static.json']) {
      assert.deepEqual(checker.checkBootstrap(await read(f)), [], f);
    }
    const dynamic = [
      'dynamic/listeners.yaml',
      'dynamic/clusters.yaml',
      ...(await readdir(join(out, 'dynamic/routes'))).map((f) => `dynamic/routes/${f}`),
      ...(await readdir(join(out, 'dynamic/endpoints'))).map((f) => `dynamic/endpoints/${f}`),
    ];
    assert.ok(dynamic.length >= 4, `route and endpoint files: ${dynamic}`);
    assert.ok(dynamic.filter((f) => f.startsWith('dynamic/endpoints/')).every((f) => f.endsWith('.json')));
    for (const f of dynamic) {
      const doc = (await read(f)) as { version_info: string };
      assert.deepEqual(checker.checkDiscoveryResponse(doc), [], f);
      // Each file carries the digest of its own resources.
      assert.match(doc.version_info, /^[0-9a-f]{64}$/, f);
    }
    // Same input, same hash: scripts can compare it.
    assert.equal(
      cli(['render', '--spec', good, '--out', join(dir, 'out2')])
        .stdout.trim()
        .split('\n')
        .at(-1),
      last,
    );
  });

  it('render of an invalid spec exits 1 and writes nothing', async () => {
    const out = join(dir, 'never');
    const r = cli(['render', '--spec', bad, '--out', out]);
    assert.equal(r.code, 1);
    assert.equal(existsSync(out), false);
  });

  it('run with a broken config exits 2 before creating anything', async () => {
    const state = join(dir, 'state-never');
    const config = join(dir, 'run.yaml');
    await writeFile(
      config,
      `state_dir: ${state}\nsource:\n  type: file\n  path: ${good}\nvpsie:\n  poll_interval: soon\n`,
    );
    const r = cli(['run', '--config', config]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /vpsie\.poll_interval/);
    assert.equal(existsSync(state), false);
    assert.deepEqual(
      (await readdir(dir)).filter((n) => n.startsWith('state')),
      [],
    );
  });

  it('run refuses an http API URL outside development mode (exit 2)', async () => {
    const config = join(dir, 'insecure.yaml');
    await writeFile(
      config,
      'vpsie:\n  api_url: http://api.vpsie.com/v2\n  api_key_file: /etc/vpsie-lb/api-key\n  loadbalancer_id: lb1\n',
    );
    const r = cli(['run', '--config', config]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /vpsie\.api_url/);
  });
});
