// The whole agent as an operator runs it: the real CLI, the VPSie API (HTTPS fake) as the source, Envoy (the test
// double) as the data plane. Backend health, LB status and metrics reach the API; /readyz follows Envoy.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FakeVpsieApi } from '../../fakes/vpsie-api.ts';
import { freePort, runCli, waitFor } from '../../helpers/cli-process.ts';
import { adminOf, cleanup, type Env, envoyYaml, lifecycleEnv, specN } from '../lifecycle/harness.ts';

const API_KEY = 'e2e-envoy-secret-9f8e7d6c5b4a';
const envs: Env[] = [];
let api: FakeVpsieApi | undefined;
after(async () => {
  await api?.close();
  for (const e of envs) await cleanup(e);
});

const healthOf = (a: FakeVpsieApi, id: string) =>
  a.healthUpdates.filter((u) => u.backendId === id).map((u) => (u.body as { status: string }).status);
const statuses = (a: FakeVpsieApi) => a.statusUpdates.map((u) => (u as { status: string }).status);

describe('vpsie-lb-agent run: API source, Envoy, health and status reporting', () => {
  it('reports each backend health change once, the LB status on change, metrics periodically; /readyz follows Envoy', async () => {
    const t = await lifecycleEnv('dynamic', 20_000);
    envs.push(t);
    api = await FakeVpsieApi.start({ apiKey: API_KEY, loadbalancerId: 'lb-test' });
    api.setSpec({ error: false, data: specN(1) });
    await writeFile(join(t.root, 'api-key'), `${API_KEY}\n`, { mode: 0o600 });
    await writeFile(join(t.root, 'ca.pem'), api.caPem);
    const port = await freePort();
    const c = t.config;
    const config = join(t.root, 'agent.yaml');
    await writeFile(
      config,
      [
        'vpsie:',
        `  api_url: ${api.url}`,
        '  api_key_file: ./api-key',
        '  loadbalancer_id: lb-test',
        '  poll_interval: 1h',
        '  allow_insecure_api: true',
        '  health_interval: 1s',
        '  metrics_interval: 1s',
        `state_dir: ${c.stateDir}`,
        `server: {listen: 127.0.0.1:${port}}`,
        `tls: {cert_dir: ${c.tls.certDir}}`,
        'logging: {level: info}',
        ...envoyYaml(t, ['stop_on_exit: true']),
        '',
      ].join('\n'),
    );
    const agent = runCli(['run', '--config', config], {
      ...t.envoyEnv,
      NODE_EXTRA_CA_CERTS: join(t.root, 'ca.pem'),
    });
    try {
      const fake = api;
      await waitFor('both backends reported healthy', 60_000, () =>
        healthOf(fake, 'b1').length > 0 && healthOf(fake, 'b2').length > 0 ? true : undefined,
      );
      assert.deepEqual(healthOf(fake, 'b1'), ['healthy']);
      assert.deepEqual(healthOf(fake, 'b2'), ['healthy']);
      await waitFor('LB status active', 10_000, () =>
        statuses(fake).at(-1) === 'active' ? true : undefined,
      );
      await waitFor('/readyz 200', 10_000, async () =>
        (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200 ? true : undefined,
      );

      // b1 fails its health checks in Envoy: one PUT for b1, none for b2, the LB degrades. Double only: health.json
      // stands for real active health checking marking the host failed_active_health_check in /clusters (the
      // JSON shape is compared with the real binary in real-envoy/conformance.test.ts).
      await writeFile(
        join(t.controlDir, 'health.json'),
        JSON.stringify({ '10.0.0.11:8001': 'failed_active_health_check' }),
      );
      await waitFor('b1 reported unhealthy', 10_000, () =>
        healthOf(fake, 'b1').length === 2 ? true : undefined,
      );
      await waitFor('LB status degraded', 10_000, () =>
        statuses(fake).at(-1) === 'degraded' ? true : undefined,
      );
      const statusPuts = statuses(fake).length;
      // Three more health ticks change nothing: no repeated PUTs.
      await new Promise((r) => setTimeout(r, 3_500));
      assert.deepEqual(healthOf(fake, 'b1'), ['healthy', 'unhealthy']);
      assert.deepEqual(healthOf(fake, 'b2'), ['healthy']);
      assert.equal(statuses(fake).length, statusPuts);

      await waitFor('a metrics summary', 10_000, () => (fake.metrics.length > 0 ? true : undefined));
      const summary = fake.metrics.at(-1) as { backends: { id: string; healthy: boolean }[] };
      assert.deepEqual(
        [...summary.backends].sort((a, b) => a.id.localeCompare(b.id)),
        [
          { id: 'b1', healthy: false },
          { id: 'b2', healthy: true },
        ],
      );

      // Envoy told to fail health checks (DRAINING): the agent is not ready, and says why.
      const admin = adminOf(t);
      await admin.healthcheckFail();
      const notReady = await waitFor('/readyz 503', 10_000, async () => {
        const r = await fetch(`http://127.0.0.1:${port}/readyz`);
        return r.status === 503 ? r.text() : undefined;
      });
      assert.match(notReady, /Envoy is DRAINING/);
      await admin.healthcheckOk();
      await waitFor('/readyz 200 again', 10_000, async () =>
        (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200 ? true : undefined,
      );

      agent.child.kill('SIGTERM');
      assert.equal(await agent.exited(60_000), 0, agent.output().slice(-2000));
      assert.ok(!agent.output().includes(API_KEY));
    } finally {
      agent.child.kill('SIGKILL');
    }
  });
});
