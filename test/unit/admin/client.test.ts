import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  AdminError,
  createAdminClient,
  dynamicVersions,
  isLoopbackHost,
} from '../../../src/envoy/admin/client.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

describe('admin client against a loopback HTTP server', () => {
  let server: Server;
  let port: number;
  const routes = new Map<string, Handler>();
  before(async () => {
    server = createServer((req, res) => {
      const h = routes.get(`${req.method} ${req.url}`);
      if (h === undefined) {
        res.writeHead(404).end('invalid path. admin commands are:\n');
        return;
      }
      h(req, res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  const client = (extra: { timeoutMs?: number; maxBodyBytes?: number } = {}) =>
    createAdminClient({ host: '127.0.0.1', port, timeoutMs: 2000, maxBodyBytes: 1 << 20, ...extra });

  it('refuses non-loopback hosts unless allowed', () => {
    assert.throws(() => createAdminClient({ host: '10.0.0.1', port: 9901 }), /not a loopback address/);
    assert.throws(() => createAdminClient({ host: 'example.com', port: 9901 }), /not a loopback address/);
    assert.doesNotThrow(() => createAdminClient({ host: '10.0.0.1', port: 9901, allowNonLoopback: true }));
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1'])
      assert.ok(isLoopbackHost(h), h);
    for (const h of ['0:0:0:0:0:0:0:1', '0::1', '::ffff:7f00:1', '[::FFFF:127.0.0.2]'])
      assert.ok(isLoopbackHost(h), h);
    for (const h of ['::ffff:10.0.0.1', '::', '0.0.0.0', '::2', '128.0.0.1', '127.1', 'example.com'])
      assert.equal(isLoopbackHost(h), false, h);
    assert.throws(() => createAdminClient({ host: '127.0.0.1', port: 0 }), /port/);
  });

  it('ready: 503 INITIALIZING is a state, not an error', async () => {
    routes.set('GET /ready', (_q, res) => res.writeHead(503).end('INITIALIZING\n'));
    assert.deepEqual(await client().ready(), { state: 'INITIALIZING', live: false });
    routes.set('GET /ready', (_q, res) => res.writeHead(200).end('LIVE\n'));
    assert.deepEqual(await client().ready(), { state: 'LIVE', live: true });
  });

  it('serverInfo: proto3 JSON (uint64 as string, Durations) becomes numbers', async () => {
    routes.set('GET /server_info', (_q, res) =>
      res.end(
        JSON.stringify({
          version: 'abc/1.31.0/Clean/RELEASE/BoringSSL',
          state: 'LIVE',
          hot_restart_version: '11.104',
          uptime_current_epoch: '5s',
          uptime_all_epochs: '65s',
          command_line_options: {
            base_id: '3',
            restart_epoch: 2,
            drain_time: '1.5s',
            parent_shutdown_time: '900s',
          },
        }),
      ),
    );
    const info = await client().serverInfo();
    assert.equal(info.restartEpoch, 2);
    assert.equal(info.baseId, '3');
    assert.equal(info.drainTimeS, 1.5);
    assert.equal(info.uptimeAllEpochsS, 65);
  });

  it('serverInfo: a wrong shape is a parse error naming the endpoint and field', async () => {
    routes.set('GET /server_info', (_q, res) => res.end(JSON.stringify({ version: 1, state: 'LIVE' })));
    await assert.rejects(client().serverInfo(), (e: unknown) => {
      assert.ok(e instanceof AdminError);
      assert.equal(e.kind, 'parse');
      assert.match(e.message, /^admin GET \/server_info: version/);
      return true;
    });
  });

  it('stats: numbers only; text readouts separately; the filter is sent', async () => {
    let seen = '';
    routes.set('GET /stats?format=json&filter=%5Ecluster', (req, res) => {
      seen = req.url ?? '';
      res.end(
        JSON.stringify({
          stats: [
            { name: 'cluster.a.x', value: 3 },
            { name: 'cluster.a.v', value: 'v1' },
            { histograms: {} },
          ],
        }),
      );
    });
    const m = await client().statsFiltered('^cluster');
    assert.equal(seen, '/stats?format=json&filter=%5Ecluster');
    assert.deepEqual([...m], [['cluster.a.x', 3]]);
    assert.deepEqual([...(await client().textReadouts('^cluster'))], [['cluster.a.v', 'v1']]);
  });

  it('clusters: healthy iff no failure flag is present (false flags are absent)', async () => {
    routes.set('GET /clusters?format=json', (_q, res) =>
      res.end(
        JSON.stringify({
          cluster_statuses: [
            {
              name: 'b',
              added_via_api: true,
              host_statuses: [
                {
                  address: { socket_address: { address: '10.0.0.1', port_value: 80 } },
                  health_status: { eds_health_status: 'HEALTHY' },
                  hostname: 'app.example.com',
                },
                {
                  address: { socket_address: { address: '10.0.0.2', port_value: 80 } },
                  health_status: { failed_outlier_check: true, eds_health_status: 'HEALTHY' },
                  weight: 3,
                },
                {
                  address: { socket_address: { address: '10.0.0.3', port_value: 80 } },
                  health_status: { eds_health_status: 'UNHEALTHY' },
                  stats: [{ name: 'cx_total', value: '7' }],
                },
              ],
            },
            { name: 'empty' },
          ],
        }),
      ),
    );
    const [b, empty] = await client().clusters();
    assert.deepEqual(
      b?.hosts.map((h) => [h.address, h.healthy, h.failureFlags, h.weight]),
      [
        ['10.0.0.1', true, [], 1],
        ['10.0.0.2', false, ['failed_outlier_check'], 3],
        ['10.0.0.3', false, [], 1],
      ],
    );
    assert.equal(b?.hosts[2]?.stats.get('cx_total'), 7);
    // DNS clusters name the host each address came from; others have no hostname.
    assert.deepEqual(
      b?.hosts.map((h) => h.hostname),
      ['app.example.com', undefined, undefined],
    );
    assert.ok(b?.hosts[1] !== undefined && !('hostname' in b.hosts[1]));
    assert.deepEqual(empty, { name: 'empty', addedViaApi: false, hosts: [] });
  });

  it('POST endpoints: status errors carry the status and the body', async () => {
    routes.set('POST /drain_listeners?graceful&inboundonly', (_q, res) => res.end('OK\n'));
    await client().drainListeners({ graceful: true, inboundOnly: true });
    routes.set('POST /healthcheck/fail', (_q, res) =>
      res.writeHead(405).end('Method POST not allowed, POST required.'),
    );
    await assert.rejects(client().healthcheckFail(), (e: unknown) => {
      assert.ok(e instanceof AdminError);
      assert.equal(e.kind, 'status');
      assert.equal(e.status, 405);
      assert.match(e.message, /^admin POST \/healthcheck\/fail: HTTP 405/);
      return true;
    });
  });

  it('a body over the cap is refused; so is one over the per-call cap', async () => {
    routes.set('GET /stats/prometheus', (_q, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('x'.repeat(4096));
      res.end('y'.repeat(4096));
    });
    await assert.rejects(client({ maxBodyBytes: 1000 }).prometheusStats(), { kind: 'too_large' });
    await assert.rejects(client().prometheusStats(100), { kind: 'too_large' });
    assert.equal((await client().prometheusStats(10_000)).length, 8192);
  });

  it("the caller's AbortSignal ends a call early as an aborted error", async () => {
    routes.set('GET /stats/prometheus', () => undefined);
    const controller = new AbortController();
    const pending = client({ timeoutMs: 10_000 }).prometheusStats(1000, { signal: controller.signal });
    controller.abort();
    await assert.rejects(pending, { kind: 'aborted', endpoint: 'GET /stats/prometheus' });
    const already = AbortSignal.abort();
    await assert.rejects(client().prometheusStats(1000, { signal: already }), { kind: 'aborted' });
  });

  it('dynamicVersions: version_info of the CDS and LDS dumps, absent when never set', async () => {
    routes.set('GET /config_dump', (_q, res) =>
      res.end(
        JSON.stringify({
          configs: [
            { '@type': 'type.googleapis.com/envoy.admin.v3.BootstrapConfigDump', bootstrap: {} },
            { '@type': 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump', version_info: 'h1' },
            { '@type': 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump' },
          ],
        }),
      ),
    );
    assert.deepEqual(dynamicVersions(await client().configDump()), { clusters: 'h1', listeners: undefined });
  });

  it('a server that never answers times out with the endpoint named', async () => {
    routes.set('GET /config_dump', () => undefined);
    await assert.rejects(client({ timeoutMs: 200 }).configDump(), (e: unknown) => {
      assert.ok(e instanceof AdminError);
      assert.equal(e.kind, 'timeout');
      assert.equal(e.endpoint, 'GET /config_dump');
      return true;
    });
  });

  it('nothing listening is a connect error', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const free = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    await assert.rejects(createAdminClient({ host: '127.0.0.1', port: free }).ready(), { kind: 'connect' });
  });
});
