import assert from 'node:assert/strict';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type AdminClient, createAdminClient } from '../../../src/envoy/admin/client.ts';
import { writeFileAtomic } from '../../../src/util/atomic.ts';
import {
  adminPortFrom,
  bootstrapYaml,
  cdsYaml,
  journalEvents,
  killAll,
  ldsYaml,
  makeSandbox,
  type Running,
  type Sandbox,
  spawnDouble,
  waitFor,
  withDeadline,
} from '../../doubles/envoy/harness.ts';

const CDS = 'cluster_manager.cds';
const LDS = 'listener_manager.lds';

async function startWith(
  sb: Sandbox,
  name: string,
  bootstrap: string,
  env: Record<string, string> = {},
): Promise<AdminClient> {
  const boot = join(sb.dir, `${name}.yaml`);
  writeFileSync(boot, bootstrap);
  const addr = join(sb.dir, `${name}.admin`);
  const d = spawnDouble(['-c', boot, '--disable-hot-restart', '--admin-address-path', addr], {
    ...sb.env,
    ...env,
  });
  doubles.set(name, d);
  const admin = createAdminClient({ host: '127.0.0.1', port: await adminPortFrom(addr), timeoutMs: 10_000 });
  await waitFor('LIVE', async () => ((await admin.ready()).live ? true : undefined));
  return admin;
}

/** The doubles by name, so a failed wait can show what the double logged. */
const doubles = new Map<string, Running>();

const stat = async (admin: AdminClient, name: string): Promise<number> =>
  (await admin.statsFiltered(`^${name}$`)).get(name) ?? -1;
async function waitStat(admin: AdminClient, name: string, value: number): Promise<void> {
  try {
    await waitFor(
      `${name} >= ${value}`,
      async () => ((await stat(admin, name)) >= value ? true : undefined),
      60_000,
    );
  } catch (err) {
    const logs = [...doubles].map(
      ([n, d]) => `${n} exit=${JSON.stringify(d.exit())}: ${d.stderr().slice(-3000)}`,
    );
    throw new Error(`${String(err)}; doubles logged: ${logs.join('\n---\n')}`);
  }
}

function dynamicClusters(
  dump: Awaited<ReturnType<AdminClient['configDump']>>,
): { name: string; version: string }[] {
  return dump.configs.map((c) => {
    const cluster = c.cluster as { name: string };
    return { name: cluster.name, version: String(c.version_info) };
  });
}

describe('envoy double: file-based xDS', { concurrency: true }, () => {
  let sb: Sandbox;
  before(() => {
    sb = makeSandbox();
  });
  after(() => {
    killAll();
    sb.cleanup();
  });

  it('a move into the watched directory is applied: stats, config_dump version, /clusters, /listeners', async () => {
    const dir = join(sb.dir, 'move');
    mkdirSync(dir);
    const cds = join(dir, 'cds.yaml');
    const lds = join(dir, 'lds.yaml');
    writeFileSync(cds, cdsYaml('v1', { a: [9001] }));
    writeFileSync(lds, ldsYaml('v1', { l1: { port: 10001, cluster: 'a' } }));
    const admin = await startWith(sb, 'move', bootstrapYaml({ cds, lds, watchedDir: dir }));
    assert.equal(await stat(admin, `${CDS}.update_success`), 1, 'the initial read counts');
    assert.deepEqual(dynamicClusters(await admin.configDump('dynamic_active_clusters')), [
      { name: 'a', version: 'v1' },
    ]);

    await writeFileAtomic(cds, cdsYaml('v2', { a: [9001], b: [9002, 9003] }));
    await waitStat(admin, `${CDS}.update_success`, 2);
    // Like Envoy, any move into the watched directory reloads every subscription watching it.
    await waitStat(admin, `${LDS}.update_success`, 2);
    assert.equal(await stat(admin, `${CDS}.update_success`), 2, 'one move, one reload');
    assert.equal(await stat(admin, `${CDS}.update_rejected`), 0);
    const clusters = dynamicClusters(await admin.configDump('dynamic_active_clusters'));
    assert.deepEqual(
      clusters,
      [
        { name: 'a', version: 'v1' },
        { name: 'b', version: 'v2' },
      ],
      'an unchanged cluster keeps its version',
    );
    const full = await admin.configDump();
    const cdump = full.configs.find(
      (c) => c['@type'] === 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump',
    );
    assert.equal(cdump?.version_info, 'v2');
    assert.equal((await admin.textReadouts('version_text')).get(`${CDS}.version_text`), 'v2');
    const b = (await admin.clusters()).find((c) => c.name === 'b');
    assert.deepEqual(
      b?.hosts.map((h) => [h.port, h.healthy]),
      [
        [9002, true],
        [9003, true],
      ],
    );
    assert.equal(b?.addedViaApi, true);
    assert.deepEqual(await admin.listeners(), [{ name: 'l1', address: '127.0.0.1', port: 10001 }]);
    const dl = await admin.configDump('dynamic_listeners');
    assert.equal((dl.configs[0]?.active_state as { version_info?: string } | undefined)?.version_info, 'v1');
  });

  it('a write in place is not seen; a bad update is rejected and the last good config kept', async () => {
    const cdir = join(sb.dir, 'inplace-c');
    const ldir = join(sb.dir, 'inplace-l');
    mkdirSync(cdir);
    mkdirSync(ldir);
    const cds = join(cdir, 'cds.yaml');
    const lds = join(ldir, 'lds.yaml');
    writeFileSync(cds, cdsYaml('v1', { a: [9001] }));
    writeFileSync(lds, ldsYaml('v1', {}).replace('resources:\n', 'resources: []\n'));
    // No watched_directory: each subscription watches moves onto its own file.
    const admin = await startWith(sb, 'inplace', bootstrapYaml({ cds, lds }));

    writeFileSync(cds, cdsYaml('v9', { z: [9009] }));
    // Barrier: a move handled for LDS means the earlier in-place write event was handled too (one inotify queue).
    await writeFileAtomic(lds, 'version_info: l2\nresources: []\n');
    await waitStat(admin, `${LDS}.update_success`, 2);
    assert.equal(await stat(admin, `${CDS}.update_attempt`), 1);
    assert.deepEqual(dynamicClusters(await admin.configDump('dynamic_active_clusters')), [
      { name: 'a', version: 'v1' },
    ]);

    // A bad duration does not even parse into a DiscoveryResponse: the whole file is an update_failure (as on
    // the real binary, real-envoy/conformance.test.ts), nothing of it is applied.
    const bad = cdsYaml('v3', { a: [9001], c: [9004] }).replace(
      /(name: c\n\s+type: STATIC\n\s+connect_timeout:) 1s/,
      '$1 500ms',
    );
    await writeFileAtomic(cds, bad);
    await waitStat(admin, `${CDS}.update_failure`, 1);
    assert.equal(await stat(admin, `${CDS}.update_success`), 1);
    const names = dynamicClusters(await admin.configDump('dynamic_active_clusters')).map((c) => c.name);
    assert.deepEqual(names, ['a']);
    const cdump = (await admin.configDump()).configs.find(
      (c) => c['@type'] === 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump',
    );
    assert.equal(cdump?.version_info, 'v1', 'the version stays the last good one');

    // A resource Envoy refuses (connect_timeout must be > 0): rejected, the good one of the file is applied.
    const refused = cdsYaml('v4', { a: [9001], c: [9004] }).replace(
      /(name: c\n\s+type: STATIC\n\s+connect_timeout:) 1s/,
      '$1 0s',
    );
    await writeFileAtomic(cds, refused);
    await waitStat(admin, `${CDS}.update_rejected`, 1);
    assert.deepEqual(
      dynamicClusters(await admin.configDump('dynamic_active_clusters')).map((c) => c.name),
      ['a'],
    );

    // Not YAML at all: an update_failure, nothing changes.
    await writeFileAtomic(cds, 'resources: [unclosed\n');
    await waitStat(admin, `${CDS}.update_failure`, 2);
    assert.deepEqual(
      dynamicClusters(await admin.configDump('dynamic_active_clusters')).map((c) => c.name),
      ['a'],
    );
    assert.ok(journalEvents(sb.journal).some((e) => e.event.startsWith('update rejected cluster')));
    assert.ok(journalEvents(sb.journal).some((e) => e.event.startsWith('update failed cluster')));
  });

  it('reject-next-update (control file, consumed once) and health.json flip hosts', async () => {
    const dir = join(sb.dir, 'ctl-xds');
    mkdirSync(dir);
    const controlDir = join(sb.dir, 'control-files');
    mkdirSync(controlDir);
    const cds = join(dir, 'cds.yaml');
    writeFileSync(cds, cdsYaml('v1', { a: [9101, 9102] }));
    const admin = await startWith(sb, 'control', bootstrapYaml({ cds, watchedDir: dir }), {
      ENVOY_DOUBLE_CONTROL_DIR: controlDir,
    });
    writeFileSync(join(controlDir, 'reject-next-update'), '');
    await writeFileAtomic(cds, cdsYaml('v2', { a: [9101, 9102] }));
    await waitStat(admin, `${CDS}.update_rejected`, 1);
    await writeFileAtomic(cds, cdsYaml('v3', { a: [9101, 9102] }));
    await waitStat(admin, `${CDS}.update_success`, 2);
    assert.equal(await stat(admin, `${CDS}.update_rejected`), 1, 'the control file is consumed once');

    const health = join(controlDir, 'health.json');
    writeFileSync(health, JSON.stringify({ '127.0.0.1:9102': 'failed_active_health_check' }));
    const hosts = (await admin.clusters()).find((c) => c.name === 'a')?.hosts ?? [];
    assert.deepEqual(
      hosts.map((h) => [h.port, h.healthy, h.failureFlags]),
      [
        [9101, true, []],
        [9102, false, ['failed_active_health_check']],
      ],
    );
    assert.equal(await stat(admin, 'cluster.a.membership_healthy'), 1);
    writeFileSync(health, JSON.stringify({ '127.0.0.1:9102': 'healthy' }));
    assert.ok(((await admin.clusters()).find((c) => c.name === 'a')?.hosts ?? []).every((h) => h.healthy));
  });

  it('ENVOY_DOUBLE_REJECT_NEXT_UPDATE=1 rejects the first update after start only', async () => {
    const dir = join(sb.dir, 'envreject');
    mkdirSync(dir);
    const cds = join(dir, 'cds.yaml');
    writeFileSync(cds, cdsYaml('v1', { a: [9201] }));
    const admin = await startWith(sb, 'envreject', bootstrapYaml({ cds, watchedDir: dir }), {
      ENVOY_DOUBLE_REJECT_NEXT_UPDATE: '1',
    });
    assert.equal(await stat(admin, `${CDS}.update_success`), 1);
    await writeFileAtomic(cds, cdsYaml('v2', { a: [9201] }));
    await waitStat(admin, `${CDS}.update_rejected`, 1);
    // A plain rename (no helper) of a new file over the old one is a move too.
    writeFileSync(join(dir, 'next.tmp'), cdsYaml('v3', { a: [9201] }));
    renameSync(join(dir, 'next.tmp'), cds);
    await waitStat(admin, `${CDS}.update_success`, 2);
  });

  it('a missing xDS path or node id stops the start with the configuration error', async () => {
    const boot = join(sb.dir, 'missing.yaml');
    writeFileSync(boot, bootstrapYaml({ cds: join(sb.dir, 'nope', 'cds.yaml') }));
    const d = spawnDouble(['-c', boot, '--disable-hot-restart'], sb.env);
    assert.equal((await withDeadline(d.exited, 30_000, 'exit')).code, 1);
    assert.match(d.stderr(), /error `.*(does not exist|nope).*` initializing config/);
  });
});
