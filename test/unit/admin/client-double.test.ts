import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type AdminClient, createAdminClient } from '../../../src/envoy/admin/client.ts';
import {
  adminPortFrom,
  bootstrapYaml,
  cdsYaml,
  killAll,
  ldsYaml,
  makeSandbox,
  type Running,
  type Sandbox,
  spawnDouble,
  waitFor,
  withDeadline,
} from '../../doubles/envoy/harness.ts';

describe('admin client against the envoy double', () => {
  let sb: Sandbox;
  let admin: AdminClient;
  let d: Running;
  before(async () => {
    sb = makeSandbox();
    const cds = join(sb.xdsDir, 'cds.yaml');
    const lds = join(sb.xdsDir, 'lds.yaml');
    writeFileSync(cds, cdsYaml('c1', { web: [8081, 8082] }));
    writeFileSync(lds, ldsYaml('l1', { front: { port: 18080, cluster: 'web' } }));
    const boot = join(sb.dir, 'bootstrap.yaml');
    writeFileSync(boot, bootstrapYaml({ cds, lds, watchedDir: sb.xdsDir }));
    const addr = join(sb.dir, 'admin');
    d = spawnDouble(['-c', boot, '--base-id', '31', '--admin-address-path', addr], sb.env);
    admin = createAdminClient({ host: 'localhost', port: await adminPortFrom(addr), timeoutMs: 10_000 });
    await waitFor('LIVE', async () => ((await admin.ready()).live ? true : undefined));
  });
  after(() => {
    killAll();
    sb.cleanup();
  });

  it('reads server_info, stats, clusters, listeners and config_dump', async () => {
    const info = await admin.serverInfo();
    assert.equal(info.baseId, '31');
    assert.equal(info.hotRestartVersion, await admin.hotRestartVersion());
    const stats = await admin.stats();
    assert.equal(stats.get('cluster_manager.cds.update_success'), 1);
    assert.equal(stats.get('server.live'), 1);
    const used = await admin.stats({ usedOnly: true });
    assert.ok(used.size < stats.size && used.has('server.live'));
    const [web] = await admin.clusters();
    assert.deepEqual(
      web?.hosts.map((h) => `${h.address}:${h.port}:${h.healthy}`),
      ['127.0.0.1:8081:true', '127.0.0.1:8082:true'],
    );
    assert.deepEqual(await admin.listeners(), [{ name: 'front', address: '127.0.0.1', port: 18080 }]);
    const dump = await admin.configDump();
    assert.ok(
      dump.configs.some((c) => c['@type'] === 'type.googleapis.com/envoy.admin.v3.BootstrapConfigDump'),
    );
    const dl = await admin.configDump('dynamic_listeners', { nameRegex: '^front$' });
    assert.equal(dl.configs.length, 1);
    await assert.rejects(admin.configDump('nope'), { kind: 'status', status: 404 });
    assert.match(
      await admin.prometheusStats(1 << 20),
      /envoy_cluster_membership_total\{envoy_cluster_name="web"\} 2/,
    );
  });

  it('drainListeners keeps the process running; quit stops it with exit 0', async () => {
    await admin.drainListeners({ graceful: true });
    assert.equal((await admin.ready()).live, true);
    await admin.quit();
    assert.deepEqual(await withDeadline(d.exited, 20_000, 'quit'), { code: 0, signal: null });
    await assert.rejects(admin.ready(), { kind: 'connect' });
  });
});
