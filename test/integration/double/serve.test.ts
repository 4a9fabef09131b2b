import assert from 'node:assert/strict';
import { request } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createAdminClient } from '../../../src/envoy/admin/client.ts';
import {
  adminPortFrom,
  bootstrapYaml,
  journalEvents,
  killAll,
  makeSandbox,
  type Sandbox,
  spawnDouble,
  waitFor,
  withDeadline,
} from '../../doubles/envoy/harness.ts';

function http(port: number, method: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

describe('envoy double: serve mode', { concurrency: true }, () => {
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

  it('starts, goes LIVE, serves the admin shapes, and /quitquitquit exits 0', async () => {
    const addr = join(sb.dir, 'admin-a');
    const d = spawnDouble(['-c', boot, '--base-id', '11', '--admin-address-path', addr], sb.env);
    const port = await adminPortFrom(addr);
    const admin = createAdminClient({ host: '127.0.0.1', port, timeoutMs: 10_000 });
    await waitFor('LIVE', async () => ((await admin.ready()).live ? true : undefined));
    const info = await admin.serverInfo();
    assert.equal(info.state, 'LIVE');
    assert.equal(info.restartEpoch, 0);
    assert.equal(info.baseId, '11');
    assert.equal(info.drainTimeS, 600);
    assert.equal(info.parentShutdownTimeS, 900);
    assert.equal(info.nodeId, 'edge-1');
    const raw = JSON.parse((await http(port, 'GET', '/server_info')).body) as {
      command_line_options: Record<string, unknown>;
    };
    assert.equal(raw.command_line_options.base_id, '11', 'base_id is a uint64 string');
    assert.equal(raw.command_line_options.drain_time, '600s');

    const getPost = await http(port, 'GET', '/quitquitquit');
    assert.equal(getPost.status, 405);
    assert.equal(getPost.body, 'Method GET not allowed, POST required.');
    assert.equal((await http(port, 'GET', '/healthcheck/fail')).status, 405);
    const missing = await http(port, 'GET', '/no/such/path');
    assert.equal(missing.status, 404);
    assert.match(missing.body, /^invalid path\./);
    const notFound = await http(port, 'GET', '/config_dump?resource=no_such_field');
    assert.equal(notFound.status, 404);
    assert.equal(notFound.body, 'no_such_field not found in config dump');
    assert.equal((await http(port, 'GET', '/config_dump?resource=version_info')).status, 400);
    const prom = await admin.prometheusStats(1 << 20);
    assert.match(prom, /^# TYPE envoy_server_live gauge$/m);

    await admin.healthcheckFail();
    assert.deepEqual(await admin.ready(), { state: 'DRAINING', live: false });
    await admin.healthcheckOk();
    assert.equal((await admin.ready()).live, true);

    await admin.quit();
    const exit = await withDeadline(d.exited, 20_000, 'exit after /quitquitquit');
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.ok(
      journalEvents(sb.journal).some(
        (e) => e.pid === d.pid && e.event.startsWith('terminated /quitquitquit'),
      ),
    );
  });

  it('ignores SIGHUP and exits 0 on SIGTERM', async () => {
    const addr = join(sb.dir, 'admin-b');
    const d = spawnDouble(['-c', boot, '--disable-hot-restart'], {
      ...sb.env,
      ENVOY_DOUBLE_ADMIN_ADDRESS_FILE: addr,
    });
    const port = await adminPortFrom(addr);
    const admin = createAdminClient({ host: '127.0.0.1', port, timeoutMs: 10_000 });
    await waitFor('LIVE', async () => ((await admin.ready()).live ? true : undefined));
    process.kill(d.pid, 'SIGHUP');
    // Still answering after the SIGHUP was handled (the log says so) means it was ignored.
    await waitFor('SIGHUP logged', () => (d.stderr().includes('SIGHUP ignored') ? true : undefined));
    assert.equal((await admin.ready()).live, true);
    process.kill(d.pid, 'SIGTERM');
    assert.deepEqual(await withDeadline(d.exited, 20_000, 'exit on SIGTERM'), { code: 0, signal: null });
  });

  it('ENVOY_DOUBLE_NEVER_LIVE stays INITIALIZING (503)', async () => {
    const addr = join(sb.dir, 'admin-c');
    spawnDouble(['-c', boot, '--disable-hot-restart', '--admin-address-path', addr], {
      ...sb.env,
      ENVOY_DOUBLE_NEVER_LIVE: '1',
    });
    const port = await adminPortFrom(addr);
    const admin = createAdminClient({ host: '127.0.0.1', port, timeoutMs: 10_000 });
    const ready = await waitFor('INITIALIZING', async () => {
      const r = await admin.ready();
      return r.state === 'INITIALIZING' ? r : undefined;
    });
    assert.equal(ready.live, false);
    const raw = await http(port, 'GET', '/ready');
    assert.equal(raw.status, 503);
    assert.equal(raw.body, 'INITIALIZING\n');
    assert.equal((await admin.serverInfo()).state, 'INITIALIZING');
  });

  it('ENVOY_DOUBLE_CRASH_AFTER_MS aborts with 134', async () => {
    const d = spawnDouble(['-c', boot, '--disable-hot-restart'], {
      ...sb.env,
      ENVOY_DOUBLE_CRASH_AFTER_MS: '300',
    });
    const exit = await withDeadline(d.exited, 30_000, 'crash');
    assert.equal(exit.code, 134);
    assert.match(d.stderr(), /Caught Aborted/);
  });

  it('a taken admin port is a configuration error (exit 1)', async () => {
    const addr = join(sb.dir, 'admin-d');
    spawnDouble(['-c', boot, '--disable-hot-restart', '--admin-address-path', addr], sb.env);
    const port = await adminPortFrom(addr);
    const fixed = join(sb.dir, 'fixed.yaml');
    writeFileSync(fixed, bootstrapYaml().replace('port_value: 0', `port_value: ${port}`));
    const d = spawnDouble(['-c', fixed, '--disable-hot-restart'], sb.env);
    const exit = await withDeadline(d.exited, 30_000, 'bind failure');
    assert.equal(exit.code, 1);
    assert.match(
      d.stderr(),
      /error `cannot bind '127\.0\.0\.1:\d+': Address already in use` initializing config/,
    );
  });
});
