import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import net, { type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { AgentMetrics } from '../../../src/metrics/agent-metrics.ts';
import { adminPrometheusSource } from '../../../src/server/envoy-prometheus.ts';
import { createAgentServer, type EnvoyPrometheusSource, type Readiness } from '../../../src/server/server.ts';
import { type AgentStatus, lastReconcileOf } from '../../../src/server/status.ts';
import { family, parseMetrics, value } from '../../helpers/prometheus.ts';

const ENVOY_PROM = [
  '# TYPE envoy_cluster_upstream_cx_active gauge',
  'envoy_cluster_upstream_cx_active{envoy_cluster_name="lb-web"} 3',
  '# TYPE envoy_http_downstream_rq_total counter',
  'envoy_http_downstream_rq_total{envoy_http_conn_manager_prefix="lb_web"} 42',
  '',
].join('\n');

type EnvoyMode = 'ok' | 'stall' | 'huge' | 'error500';

/** A fake Envoy admin on loopback serving /stats/prometheus in one of a few behaviours. */
async function fakeEnvoyAdmin(): Promise<{
  port: number;
  setMode(mode: EnvoyMode): void;
  close(): Promise<void>;
}> {
  let mode: EnvoyMode = 'ok';
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    if (req.url !== '/stats/prometheus') {
      res.writeHead(404).end('invalid path. admin commands are:\n');
      return;
    }
    if (mode === 'stall') return; // never answers
    if (mode === 'error500') {
      res.writeHead(500).end('boom');
      return;
    }
    if (mode === 'huge') {
      // No content-length: the size is only found out while reading. 64 KiB against a 16 KiB cap.
      res.writeHead(200, { 'content-type': 'text/plain' });
      const line = `${'#'.repeat(1023)}\n`;
      for (let i = 0; i < 64; i++) res.write(line);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(ENVOY_PROM);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    setMode: (m) => {
      mode = m;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const STATUS: AgentStatus = {
  lb_id: 'lb-1',
  lb_name: 'web',
  source: 'file /etc/vpsie-lb/spec.json',
  desired_hash: 'b'.repeat(64),
  applied_hash: 'a'.repeat(64),
  apply_strategy: 'dynamic',
  lb_status: { status: 'degraded', reason: 'the last change failed; the previous configuration serves' },
  envoy: { state: 'LIVE', epoch: 2, pid: 4242, base_id: 7 },
  last_reconcile: lastReconcileOf({
    result: 'failed',
    trigger: 'poll',
    at: '2026-01-02T03:04:05.000Z',
    durationMs: 812,
    hash: 'b'.repeat(64),
    error: 'verify failed: listener lb-1-v4 in error state',
  }),
  transactions: [
    {
      id: 'tx-2',
      hash: 'b'.repeat(64),
      previousHash: 'a'.repeat(64),
      state: 'rolled_back',
      strategy: 'dynamic',
      stage: 'verify',
      error: 'listener lb-1-v4 in error state',
      startedAt: '2026-01-02T03:04:05.000Z',
      endedAt: '2026-01-02T03:04:05.812Z',
    },
  ],
  backends: [
    { id: 'be-1', address: '10.0.0.1', port: 8080, enabled: true, health: 'healthy' },
    { id: 'be-2', address: '2001:db8::2', port: 8080, enabled: false, health: 'unknown' },
  ],
  listeners: [],
  hold: null,
  event_queue: { depth: 1, dropped: 0 },
  certificates: [
    {
      domain: 'lb-1',
      name: 'lb-1-cert',
      not_after: '2027-01-01T00:00:00.000Z',
      seconds_to_expiry: 31_000_000,
    },
  ],
  version: '0.1.0',
  uptime_seconds: 12,
};

describe('agent server', () => {
  const metrics = new AgentMetrics();
  let readiness: Readiness = { ready: false, reason: 'no configuration applied yet' };
  let envoy: Awaited<ReturnType<typeof fakeEnvoyAdmin>>;
  let server: ReturnType<typeof createAgentServer>;
  let base = '';

  before(async () => {
    envoy = await fakeEnvoyAdmin();
    server = createAgentServer({
      listen: { host: '127.0.0.1', port: 0 },
      metrics,
      status: () => STATUS,
      readiness: () => readiness,
      envoyPrometheus: adminPrometheusSource({ host: '127.0.0.1', port: envoy.port }),
      // Bounds small enough for a unit test; the defaults are 5 s and 20 MiB.
      envoyTimeoutMs: 300,
      envoyMaxBytes: 16 * 1024,
    });
    const { port } = await server.start();
    base = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    await server.close();
    await envoy.close();
  });

  it('/healthz answers ok while the process lives', async () => {
    const res = await fetch(`${base}/healthz`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'ok\n');
  });

  it('/readyz follows the readiness function and shows the reason', async () => {
    readiness = { ready: false, reason: 'no configuration applied yet' };
    let res = await fetch(`${base}/readyz`);
    assert.equal(res.status, 503);
    assert.match(await res.text(), /no configuration applied yet/);
    readiness = { ready: true };
    res = await fetch(`${base}/readyz`);
    assert.equal(res.status, 200);
    await res.text();
    readiness = { ready: false, reason: 'envoy is not LIVE (state INITIALIZING)' };
    res = await fetch(`${base}/readyz`);
    assert.equal(res.status, 503);
    assert.match(await res.text(), /envoy is not LIVE \(state INITIALIZING\)/);
  });

  it('/status returns the status document as pretty JSON', async () => {
    const res = await fetch(`${base}/status`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const text = await res.text();
    assert.match(text, /^\{\n {2}"lb_id": "lb-1",\n/);
    const body = JSON.parse(text) as AgentStatus;
    assert.deepEqual(body, JSON.parse(JSON.stringify(STATUS)));
    assert.equal(body.last_reconcile?.result, 'failed');
    assert.equal(body.last_reconcile?.duration_ms, 812);
    assert.deepEqual(body.envoy, { state: 'LIVE', epoch: 2, pid: 4242, base_id: 7 });
    assert.equal(body.backends[1]?.health, 'unknown');
  });

  it('/metrics serves the agent registry', async () => {
    metrics.incRollback();
    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    const m = parseMetrics(await res.text());
    assert.equal(value(m, 'vpsie_lb_agent_rollbacks_total'), 1);
  });

  it('/metrics/envoy proxies Envoy admin /stats/prometheus', async () => {
    envoy.setMode('ok');
    const res = await fetch(`${base}/metrics/envoy`);
    assert.equal(res.status, 200);
    const m = parseMetrics(await res.text());
    assert.equal(value(m, 'envoy_cluster_upstream_cx_active', { envoy_cluster_name: 'lb-web' }), 3);
    assert.equal(family(m, 'envoy_http_downstream_rq_total').type, 'COUNTER');
  });

  it('/metrics/envoy answers 504 when Envoy stalls, and 502 when it is too big or failing', async () => {
    envoy.setMode('stall');
    let res = await fetch(`${base}/metrics/envoy`);
    assert.equal(res.status, 504);
    assert.match(await res.text(), /did not answer within 300 ms/);

    envoy.setMode('huge');
    res = await fetch(`${base}/metrics/envoy`);
    assert.equal(res.status, 502);
    assert.match(await res.text(), /exceeds 16384 bytes/);

    envoy.setMode('error500');
    res = await fetch(`${base}/metrics/envoy`);
    assert.equal(res.status, 502);
    assert.match(await res.text(), /HTTP 500/);

    // Recovers once Envoy does.
    envoy.setMode('ok');
    res = await fetch(`${base}/metrics/envoy`);
    assert.equal(res.status, 200);
    await res.text();
  });

  it('unknown paths are 404, other methods 405', async () => {
    let res = await fetch(`${base}/nope`);
    assert.equal(res.status, 404);
    await res.text();
    res = await fetch(`${base}/status`, { method: 'POST', body: 'x' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET');
    await res.text();
    res = await fetch(`${base}/metrics?name[]=x`);
    assert.equal(res.status, 200);
    await res.text();
  });
});

describe('agent server without Envoy', () => {
  it('/metrics/envoy is 502 when Envoy admin refuses connections', async () => {
    // Grab a free port, then close it so nothing listens there.
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const deadPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const server = createAgentServer({
      listen: { host: '127.0.0.1', port: 0 },
      metrics: new AgentMetrics(),
      status: () => STATUS,
      readiness: () => ({ ready: true }),
      envoyPrometheus: adminPrometheusSource({ host: '127.0.0.1', port: deadPort }),
    });
    const { port } = await server.start();
    try {
      const res = await fetch(`http://127.0.0.1:${port}/metrics/envoy`);
      assert.equal(res.status, 502);
      assert.match(await res.text(), /ECONNREFUSED/);
    } finally {
      await server.close();
    }
  });

  it('a source that ignores the size cap is still refused', async () => {
    const greedy: EnvoyPrometheusSource = { prometheusText: async () => 'x'.repeat(2048) };
    const server = createAgentServer({
      listen: { host: '127.0.0.1', port: 0 },
      metrics: new AgentMetrics(),
      status: () => STATUS,
      readiness: () => ({ ready: true }),
      envoyPrometheus: greedy,
      envoyMaxBytes: 1024,
    });
    const { port } = await server.start();
    try {
      const res = await fetch(`http://127.0.0.1:${port}/metrics/envoy`);
      assert.equal(res.status, 502);
      assert.match(await res.text(), /exceeds 1024 bytes/);
    } finally {
      await server.close();
    }
  });

  it('/status failures are a 500 with the reason, and the server keeps serving', async () => {
    let fail = true;
    const server = createAgentServer({
      listen: { host: '127.0.0.1', port: 0 },
      metrics: new AgentMetrics(),
      status: async () => {
        if (fail) throw new Error('history unreadable');
        return STATUS;
      },
      readiness: () => ({ ready: true }),
    });
    const { port } = await server.start();
    try {
      let res = await fetch(`http://127.0.0.1:${port}/status`);
      assert.equal(res.status, 500);
      assert.match(await res.text(), /history unreadable/);
      fail = false;
      res = await fetch(`http://127.0.0.1:${port}/status`);
      assert.equal(res.status, 200);
      await res.text();
    } finally {
      await server.close();
    }
  });
});

describe('agent server start-up', () => {
  it('refuses a port in use with a clear error', async () => {
    const first = createAgentServer({
      listen: { host: '127.0.0.1', port: 0 },
      metrics: new AgentMetrics(),
      status: () => STATUS,
      readiness: () => ({ ready: true }),
    });
    const { port } = await first.start();
    const second = createAgentServer({
      listen: { host: '127.0.0.1', port },
      metrics: new AgentMetrics(),
      status: () => STATUS,
      readiness: () => ({ ready: true }),
    });
    try {
      await assert.rejects(second.start(), {
        message: `server.listen 127.0.0.1:${port}: address already in use`,
      });
      // The first one is unaffected.
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.equal(res.status, 200);
      await res.text();
    } finally {
      await second.close();
      await first.close();
    }
  });

  it('port 0 binds an ephemeral port and reports it', async () => {
    const server = createAgentServer({
      listen: { host: '127.0.0.1', port: 0 },
      metrics: new AgentMetrics(),
      status: () => STATUS,
      readiness: () => ({ ready: true }),
    });
    const bound = await server.start();
    try {
      assert.equal(bound.host, '127.0.0.1');
      assert.ok(bound.port > 0);
    } finally {
      await server.close();
    }
  });
});

describe('slow clients', () => {
  it('a client that never finishes its headers is cut off', { timeout: 10_000 }, async () => {
    const server = createAgentServer({
      listen: { host: '127.0.0.1', port: 0 },
      metrics: new AgentMetrics(),
      status: () => STATUS,
      readiness: () => ({ ready: true }),
      clientLimits: { headersTimeoutMs: 100, requestTimeoutMs: 200, checkIntervalMs: 50 },
    });
    const { port } = await server.start();
    try {
      const socket = net.connect(port, '127.0.0.1');
      await once(socket, 'connect');
      socket.write('GET /healthz HTTP/1.1\r\nhost: x\r\n'); // the blank line never comes
      let received = '';
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString('latin1');
      });
      // Resolves only when the server closes the connection; the test runner's timeout bounds it.
      await once(socket, 'close');
      assert.match(received, /^HTTP\/1\.1 408 /);
    } finally {
      await server.close();
    }
  });
});
