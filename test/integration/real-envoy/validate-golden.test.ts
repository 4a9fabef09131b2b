// Every golden case, rendered by the agent's own path (spec check, certificate check, render, schema check,
// certificate files written) with real certificates, is accepted by the real Envoy in both packagings:
// `static.json` by `envoy --mode validate`, and `bootstrap.yaml` + its dynamic files served to LIVE with every
// listener, cluster and secret active in /config_dump and no update rejected or failed.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { acceptedVersions, type ConfigDumpEntry } from '../../../src/envoy/admin/client.ts';
import { killAll } from '../../doubles/envoy/harness.ts';
import { caseNames } from '../../unit/build/goldenCases.ts';
import {
  envoyValidate,
  freePort,
  inPool,
  makeTestCerts,
  onLoopback,
  removeDir,
  renderGolden,
  startEnvoy,
  type TestCerts,
  tempDir,
  waitLive,
  writeRendered,
} from './validate-helpers.ts';

const names = caseNames();
let root = '';
let certs: TestCerts;

before(async () => {
  root = await tempDir('real-envoy-golden-');
  certs = await makeTestCerts();
});
after(async () => {
  killAll();
  await removeDir(root);
});

test('static.json of every golden case passes envoy --mode validate', async () => {
  assert.ok(names.length >= 20, `expected the golden cases, found ${names.length}`);
  const results = await inPool(names, 2, async (name) => {
    const { rendered } = await renderGolden(name, join(root, 'static', name), certs);
    await writeRendered(rendered);
    return { name, run: await envoyValidate(rendered.paths.static) };
  });
  const refused = results.filter((r) => r.run.code !== 0);
  assert.deepEqual(
    refused.map((r) => `${r.name}: exit ${r.run.code}\n${r.run.output.slice(-1500)}`),
    [],
  );
  for (const r of results) assert.match(r.run.output, /configuration '.*static\.json' OK/, r.name);
});

type Dump = readonly ConfigDumpEntry[];
const dumpOf = (configs: Dump, type: string): Record<string, unknown> => {
  const d = configs.find((c) => String(c['@type']).endsWith(type));
  assert.ok(d, `no ${type} in /config_dump`);
  return d;
};
const list = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v : []);
const nameIn = (entry: Record<string, unknown>, key: string): string => {
  const inner = entry[key] as Record<string, unknown> | undefined;
  const body = (inner?.listener ?? inner?.cluster ?? inner?.secret ?? inner) as
    | Record<string, unknown>
    | undefined;
  return String(body?.name ?? entry.name);
};

describe('bootstrap.yaml of every golden case goes LIVE on the real Envoy with all its resources', () => {
  for (const name of names) {
    test(name, async () => {
      const dir = join(root, 'live', name);
      const [adminPort, port, deadPort] = [await freePort(), await freePort(), await freePort()];
      const rulePorts = [port, await freePort(), await freePort(), await freePort()];
      const golden = await renderGolden(name, dir, certs, { adminPort, port, rulePorts });
      const rendered = onLoopback(golden.rendered, deadPort);
      await writeRendered(rendered);
      const envoy = await startEnvoy(rendered.paths.bootstrap, dir);
      try {
        await waitLive(envoy);
        const { configs } = await envoy.admin.configDump();

        const listeners = dumpOf(configs, 'ListenersConfigDump');
        const active = list(listeners.dynamic_listeners);
        const wanted = rendered.listeners.resources.map((l) => l.name).sort();
        assert.deepEqual(active.map((l) => String(l.name)).sort(), wanted);
        for (const l of active) {
          assert.ok(l.active_state, `${String(l.name)} is not active: ${JSON.stringify(l).slice(0, 800)}`);
          assert.equal(l.warming_state, undefined, `${String(l.name)} still warming`);
          assert.equal(l.error_state, undefined, `${String(l.name)}: ${JSON.stringify(l.error_state)}`);
        }
        // The accepted versions (version_text): the config dump keeps an old or no version when nothing changed.
        const accepted = await acceptedVersions(envoy.admin);
        assert.equal(accepted.listeners, rendered.listeners.version_info);

        const clusters = dumpOf(configs, 'ClustersConfigDump');
        assert.deepEqual(
          list(clusters.dynamic_active_clusters)
            .map((c) => nameIn(c, 'cluster'))
            .sort(),
          rendered.clusters.resources.map((c) => c.name).sort(),
        );
        assert.deepEqual(list(clusters.dynamic_warming_clusters), []);
        assert.equal(accepted.clusters, rendered.clusters.version_info);

        const secrets = dumpOf(configs, 'SecretsConfigDump');
        assert.deepEqual(
          list(secrets.dynamic_active_secrets)
            .map((s) => nameIn(s, 'secret'))
            .sort(),
          rendered.secrets.map((s) => s.name).sort(),
        );
        assert.deepEqual(list(secrets.dynamic_warming_secrets), []);

        const stats = await envoy.admin.statsFiltered('update_(rejected|failure|success)$');
        const bad = [...stats].filter(([k, v]) => /update_(rejected|failure)$/.test(k) && v !== 0);
        assert.deepEqual(bad, [], 'no update rejected or failed');
        assert.ok((stats.get('listener_manager.lds.update_success') ?? 0) >= 1);
        assert.ok((stats.get('cluster_manager.cds.update_success') ?? 0) >= 1);
        // Every route configuration by RDS, every EDS cluster's endpoints: each from its own file, taken.
        const routes = rendered.routes.length === 0 ? {} : dumpOf(configs, '.RoutesConfigDump');
        assert.deepEqual(
          list(routes.dynamic_route_configs)
            .map((r) => String((r.route_config as Record<string, unknown> | undefined)?.name))
            .sort(),
          rendered.routes.map((r) => r.name).sort(),
        );
        for (const e of rendered.endpoints) {
          assert.ok(
            (stats.get(`cluster.${e.name}.update_success`) ?? 0) >= 1,
            `endpoints of ${e.name} not taken`,
          );
        }
      } finally {
        await envoy.stop();
      }
    });
  }
});
