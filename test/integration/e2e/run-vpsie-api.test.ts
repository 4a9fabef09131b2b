// The real CLI against a real HTTPS fake VPSie API: spec change + SIGHUP → new config written and reported.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeVpsieApi } from '../../fakes/vpsie-api.ts';
import { httpSpec } from '../../helpers/agent-config.ts';
import { freePort, runCli, waitFor } from '../../helpers/cli-process.ts';

const API_KEY = 'e2e-secret-key-0123456789abcdef';

describe('vpsie-lb-agent run against the VPSie API', () => {
  let api: FakeVpsieApi;
  let root: string;

  before(async () => {
    api = await FakeVpsieApi.start({ apiKey: API_KEY, loadbalancerId: 'lb-e2e' });
    root = await mkdtemp(join(tmpdir(), 'vpsie-lb-e2e-'));
  });
  after(async () => {
    await api.close();
    await rm(root, { recursive: true, force: true });
  });

  it('fetches, applies, re-applies on SIGHUP after a spec change, reports events, and exits 0 on SIGTERM', async () => {
    await writeFile(join(root, 'api-key'), `${API_KEY}\n`, { mode: 0o600 });
    await writeFile(join(root, 'ca.pem'), api.caPem);
    const port = await freePort();
    await writeFile(
      join(root, 'agent.yaml'),
      [
        'vpsie:',
        `  api_url: ${api.url}`,
        '  api_key_file: ./api-key',
        '  loadbalancer_id: lb-e2e',
        '  poll_interval: 1h',
        '  allow_insecure_api: true',
        'state_dir: ./state',
        'envoy:',
        '  config_path: ./envoy/dynamic',
        '  binary_path: ./no-envoy',
        '  pid_file: ./envoy.pid',
        'tls:',
        '  cert_dir: ./certs',
        'server:',
        `  listen: 127.0.0.1:${port}`,
        'logging:',
        '  level: debug',
        '',
      ].join('\n'),
    );
    api.setSpec({
      error: false,
      data: httpSpec((s) => {
        s.id = 'lb-e2e';
      }),
    });
    const agent = runCli(['run', '--config', join(root, 'agent.yaml')], {
      NODE_EXTRA_CA_CERTS: join(root, 'ca.pem'),
    });
    try {
      // The backends are the cluster's endpoints, delivered by EDS from a file of their own.
      const clusters = join(root, 'envoy', 'dynamic', 'endpoints', 'lb-lb-e2e.json');
      await waitFor('the first config', 20_000, async () =>
        (await readFile(clusters, 'utf8').catch(() => '')).includes('10.0.0.12') ? true : undefined,
      );
      const eventTypes = () => api.events.map((e) => (e as { type: string }).type);
      await waitFor('config_updated', 10_000, () =>
        eventTypes().includes('config_updated') ? true : undefined,
      );

      api.setSpec({
        error: false,
        data: httpSpec((s) => {
          s.id = 'lb-e2e';
          (s.backends as Record<string, unknown>[]).push({ id: 'b3', address: '10.0.0.13', port: 8080 });
        }),
      });
      agent.child.kill('SIGHUP');
      await waitFor('the new backend in the endpoints file', 20_000, async () =>
        (await readFile(clusters, 'utf8').catch(() => '')).includes('10.0.0.13') ? true : undefined,
      );
      await waitFor('a second config_updated', 10_000, () =>
        eventTypes().filter((t) => t === 'config_updated').length >= 2 ? true : undefined,
      );
      const bootstrap = await readFile(join(root, 'envoy', 'bootstrap.yaml'), 'utf8');
      assert.match(bootstrap, /vpsie-lb-lb-e2e/);
      const status = (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as {
        applied_hash: string;
      };
      assert.match(status.applied_hash, /^[0-9a-f]{64}$/);

      agent.child.kill('SIGTERM');
      assert.equal(await agent.exited(30_000), 0, agent.output());
      assert.ok(eventTypes().includes('agent_started'));
      assert.ok(eventTypes().includes('agent_stopping'), `events: ${eventTypes().join(',')}`);
      assert.ok(!agent.output().includes(API_KEY), 'the API key leaked into the agent output');
      for (const e of api.events) assert.ok(!JSON.stringify(e).includes(API_KEY));
      const auth = api.specRequests().map((r) => r.headers.authorization);
      assert.ok(auth.every((h) => h === `Bearer ${API_KEY}`));
    } finally {
      agent.child.kill('SIGKILL');
    }
  });
});
