// The client against the loopback HTTPS fake. Loopback is only reachable in development mode (allowInsecureApi),
// so these tests use it; the strict-mode refusals are in ssrf.test.ts.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createVpsieClient, type VpsieClientOptions } from '../../../src/source/vpsie/client.ts';
import { Secret } from '../../../src/util/secret.ts';
import { FakeVpsieApi, startSilentServer } from '../../fakes/vpsie-api.ts';
import { API_KEY, devConfig, recordingLogger, recordingSleep } from './setup.ts';

const MiB = 1024 * 1024;

describe('VPSie API client (development mode, loopback HTTPS fake)', () => {
  let api: FakeVpsieApi;
  const clients: { close(): void }[] = [];

  before(async () => {
    api = await FakeVpsieApi.start({ apiKey: API_KEY, http: true });
  });
  after(async () => {
    for (const c of clients) c.close();
    await api.close();
  });
  beforeEach(() => {
    api.requests.length = 0;
    api.events.length = 0;
    api.setSpec({ name: 'web', backends: [] });
    api.loadbalancerId = 'lb-1';
    assert.equal(api.pendingScript(), 0, 'previous test left scripted responses');
  });

  const client = (over: Partial<VpsieClientOptions> = {}) => {
    const c = createVpsieClient({
      vpsie: devConfig(api),
      apiKey: new Secret(API_KEY),
      ca: api.caPem,
      sleep: recordingSleep().sleep,
      random: () => 0.5,
      ...over,
    });
    clients.push(c);
    return c;
  };

  it('fetches the spec with the bearer key and returns the body as text', async () => {
    api.setSpec('{"name":"web","backends":[]}', '"v1"');
    const r = await client().fetchSpec();
    assert.deepEqual(r, {
      ok: true,
      value: { kind: 'document', body: '{"name":"web","backends":[]}', etag: '"v1"' },
    });
    const [req] = api.requests;
    assert.equal(req?.path, '/v2/loadbalancers/lb-1');
    assert.equal(req?.headers.authorization, `Bearer ${API_KEY}`);
    assert.equal(req?.headers['if-none-match'], undefined);
  });

  it('passes envelopes and malformed JSON through untouched (the spec layer parses)', async () => {
    const c = client();
    const envelope = '{"data":{"loadbalancer":{"name":"web"}},"error":false}';
    api.setSpec(envelope, null);
    const a = await c.fetchSpec();
    assert.ok(a.ok && a.value.kind === 'document');
    assert.equal(a.value.body, envelope);
    assert.equal(a.value.etag, undefined);
    api.setSpec('{"name": "web", ', null);
    const b = await c.fetchSpec();
    assert.ok(b.ok && b.value.kind === 'document');
    assert.equal(b.value.body, '{"name": "web", ');
  });

  it('sends If-None-Match with the last ETag and reports 304 as unchanged', async () => {
    const c = client();
    api.setSpec('{"v":1}', '"e1"');
    assert.ok((await c.fetchSpec()).ok);
    const second = await c.fetchSpec();
    assert.deepEqual(second, { ok: true, value: { kind: 'unchanged' } });
    assert.equal(api.requests[1]?.headers['if-none-match'], '"e1"');
    api.setSpec('{"v":2}', '"e2"');
    const third = await c.fetchSpec();
    assert.ok(third.ok && third.value.kind === 'document' && third.value.body === '{"v":2}');
    c.resetEtag();
    const fourth = await c.fetchSpec();
    assert.ok(fourth.ok && fourth.value.kind === 'document');
    assert.equal(api.requests[3]?.headers['if-none-match'], undefined);
  });

  it('ignores an ETag that is not header-safe instead of echoing it', async () => {
    const c = client();
    api.setSpec('{}', `"${'x'.repeat(600)}"`);
    const r = await c.fetchSpec();
    assert.ok(r.ok && r.value.kind === 'document' && r.value.etag === undefined);
    await c.fetchSpec();
    assert.equal(api.requests[1]?.headers['if-none-match'], undefined);
  });

  it('retries 5xx with jittered exponential backoff, then succeeds', async () => {
    const s = recordingSleep();
    api.script({ status: 503 }, { status: 500 });
    const r = await client({ sleep: s.sleep, random: () => 0.5, limits: { baseDelayMs: 100 } }).fetchSpec();
    assert.ok(r.ok);
    assert.equal(api.specRequests().length, 3);
    assert.deepEqual(s.calls, [50, 100]); // 0.5 × 100·2⁰, 0.5 × 100·2¹
  });

  it('gives up after maxAttempts on persistent 5xx and says so', async () => {
    api.script({ status: 502 }, { status: 502 }, { status: 502 });
    const r = await client({ limits: { maxAttempts: 3 } }).fetchSpec();
    assert.ok(!r.ok);
    assert.equal(r.error.kind, 'http');
    assert.equal(r.error.status, 502);
    assert.equal(r.error.retryable, true);
    assert.equal(api.specRequests().length, 3);
  });

  it('stops retrying when the time budget would be exceeded', async () => {
    let t = 0;
    const sleep = async (ms: number) => {
      t += ms;
    };
    api.script({ status: 503 }, { status: 503 }, { status: 503 });
    const r = await client({
      sleep,
      now: () => t,
      random: () => 1,
      limits: { baseDelayMs: 1_000, maxElapsedMs: 2_500, maxAttempts: 10 },
    }).fetchSpec();
    assert.ok(!r.ok && r.error.status === 503);
    // Delays 1000 then 2000 would reach 3000 > 2500: only one sleep, two requests.
    assert.equal(api.specRequests().length, 2);
    assert.equal(t, 1_000);
    assert.equal(api.pendingScript(), 1);
    api.clearScript();
  });

  it('honours Retry-After in seconds and as an HTTP date, capped', async () => {
    const s = recordingSleep();
    const now = Date.parse('2025-01-01T00:00:00Z');
    api.script(
      { status: 429, headers: { 'retry-after': '7' } },
      { status: 429, headers: { 'retry-after': 'Wed, 01 Jan 2025 00:00:03 GMT' } },
      { status: 503, headers: { 'retry-after': '86400' } },
    );
    const r = await client({
      sleep: s.sleep,
      now: () => now,
      limits: { retryAfterCapMs: 30_000 },
    }).fetchSpec();
    assert.ok(r.ok);
    assert.deepEqual(s.calls, [7_000, 3_000, 30_000]);
  });

  it('does not retry 401 and points at the API key file', async () => {
    const c = client({ apiKey: new Secret('wrong-key') });
    const r = await c.fetchSpec();
    assert.ok(!r.ok);
    assert.equal(r.error.status, 401);
    assert.equal(r.error.retryable, false);
    assert.match(r.error.message, /check the API key in \/etc\/vpsie-lb\/api-key/);
    assert.ok(!r.error.message.includes('wrong-key'));
    assert.equal(api.specRequests().length, 1);
  });

  it('does not retry other 4xx and names the load balancer on 404', async () => {
    const r = await client({ vpsie: devConfig(api, { loadbalancerId: 'lb-nope' }) }).fetchSpec();
    assert.ok(!r.ok);
    assert.equal(r.error.status, 404);
    assert.match(r.error.message, /loadbalancer_id "lb-nope"/);
    assert.equal(api.requests.length, 1);
  });

  it('aborts a body past 10 MiB while streaming, without buffering it', async () => {
    const before = process.memoryUsage().rss;
    api.script({ hugeBodyBytes: 50 * MiB });
    const r = await client().fetchSpec();
    assert.ok(!r.ok);
    assert.equal(r.error.kind, 'too_large');
    assert.equal(r.error.retryable, false);
    const stream = api.lastStream!;
    await stream.done;
    assert.equal(stream.finished, false);
    assert.equal(stream.closedEarly, true);
    // The server got to write the cap plus what socket buffers absorb, far from the 50 MiB it wanted to send.
    assert.ok(stream.bytesWritten < 30 * MiB, `server wrote ${stream.bytesWritten} bytes`);
    const grew = process.memoryUsage().rss - before;
    assert.ok(grew < 40 * MiB, `rss grew by ${grew} bytes`);
  });

  it('refuses at once a body whose Content-Length is past the cap', async () => {
    api.script({ body: 'x'.repeat(2_000) });
    const r = await client({ limits: { maxBodyBytes: 1_000 } }).fetchSpec();
    assert.ok(!r.ok && r.error.kind === 'too_large');
  });

  it('times out a server that sends headers and then stalls', async () => {
    api.script({ stall: 'after_headers', body: '{"name":"web"}' });
    const r = await client({ limits: { totalTimeoutMs: 200, maxAttempts: 1 } }).fetchSpec();
    assert.ok(!r.ok);
    assert.equal(r.error.kind, 'timeout');
    assert.match(r.error.message, /not complete within 200 ms/);
  });

  it('times out a server that never answers', async () => {
    api.script({ stall: 'before_headers' });
    const r = await client({ limits: { headersTimeoutMs: 150, maxAttempts: 1 } }).fetchSpec();
    assert.ok(!r.ok);
    assert.equal(r.error.kind, 'timeout');
    assert.match(r.error.message, /no response headers within 150 ms/);
  });

  it('bounds a body dribbled one byte at a time by the total timeout', async () => {
    api.script({ dribble: { bytes: 10_000, intervalMs: 20 } });
    const r = await client({ limits: { totalTimeoutMs: 250, maxAttempts: 1 } }).fetchSpec();
    assert.ok(!r.ok);
    assert.equal(r.error.kind, 'timeout');
  });

  it('times out a connection whose TLS handshake never completes', async () => {
    const silent = await startSilentServer();
    try {
      const r = await client({
        vpsie: devConfig(api, { apiUrl: `https://127.0.0.1:${silent.port}/v2` }),
        limits: { connectTimeoutMs: 150, maxAttempts: 1 },
      }).fetchSpec();
      assert.ok(!r.ok);
      assert.equal(r.error.kind, 'timeout');
      assert.match(r.error.message, /no connection within 150 ms/);
      assert.equal(silent.connections(), 1);
    } finally {
      await silent.close();
    }
  });

  it('retries a dropped connection', async () => {
    api.script({ destroySocket: true });
    const r = await client().fetchSpec();
    assert.ok(r.ok);
    assert.equal(api.specRequests().length, 2);
  });

  it('rejects a server certificate it does not trust', async () => {
    const r = await client({ ca: undefined, limits: { maxAttempts: 1 } }).fetchSpec();
    assert.ok(!r.ok);
    assert.equal(r.error.kind, 'tls');
    assert.equal(api.requests.length, 0);
  });

  it('follows a same-host redirect and keeps the key on the same origin', async () => {
    api.script(
      { status: 302, headers: { location: '/v2/moved' } },
      { match: { pathIncludes: '/v2/moved' }, body: '{"moved":true}' },
    );
    const r = await client().fetchSpec();
    assert.ok(r.ok && r.value.kind === 'document' && r.value.body === '{"moved":true}');
    assert.equal(api.requests[1]?.path, '/v2/moved');
    assert.equal(api.requests[1]?.headers.authorization, `Bearer ${API_KEY}`);
  });

  it('refuses a redirect to another host before contacting it', async () => {
    api.script({ status: 302, headers: { location: `https://localhost:${api.port}/v2/loadbalancers/lb-1` } });
    const r = await client().fetchSpec();
    assert.ok(!r.ok);
    assert.equal(r.error.kind, 'redirect');
    assert.match(r.error.message, /another host \(localhost\)/);
    assert.equal(api.requests.length, 1);
  });

  it('refuses a redirect from https to http', async () => {
    api.script({
      status: 301,
      headers: { location: `http://127.0.0.1:${api.httpPort}/v2/loadbalancers/lb-1` },
    });
    const r = await client().fetchSpec();
    assert.ok(!r.ok);
    assert.equal(r.error.kind, 'redirect');
    assert.match(r.error.message, /from https to http/);
    assert.equal(api.requests.filter((q) => q.scheme === 'http').length, 0);
  });

  it('stops after 3 redirects', async () => {
    const hop = { status: 307, headers: { location: '/v2/loadbalancers/lb-1' } };
    api.script(hop, hop, hop, hop);
    const r = await client().fetchSpec();
    assert.ok(!r.ok);
    assert.equal(r.error.kind, 'redirect');
    assert.match(r.error.message, /more than 3 redirects/);
    assert.equal(api.requests.length, 4);
  });

  it('reaches a plain-http API only in development mode', async () => {
    const r = await client({ vpsie: devConfig(api, { apiUrl: api.httpUrl }) }).fetchSpec();
    assert.ok(r.ok);
    assert.equal(api.requests[0]?.scheme, 'http');
  });

  it('posts events, status, backend health and metrics with escaped ids', async () => {
    const c = client({ vpsie: devConfig(api, { loadbalancerId: 'lb 1/x' }) });
    api.loadbalancerId = 'lb 1/x';
    const ev = {
      id: 'e-1',
      type: 'config_updated' as const,
      message: 'applied',
      metadata: { version: 3 },
      timestamp: '2025-01-01T00:00:00.000Z',
    };
    assert.deepEqual(await c.postEvent(ev), { ok: true, value: undefined });
    assert.ok((await c.putStatus('active')).ok);
    assert.ok((await c.putBackendHealth('be/2?#', 'unhealthy')).ok);
    assert.ok((await c.postMetrics({ rps: 12 })).ok);
    const lb = '/v2/loadbalancers/lb%201%2Fx';
    assert.deepEqual(
      api.requests.map((q) => `${q.method} ${q.path}`),
      [
        `POST ${lb}/events`,
        `PUT ${lb}/status`,
        `PUT ${lb}/backends/be%2F2%3F%23/health`,
        `POST ${lb}/metrics`,
      ],
    );
    assert.deepEqual(JSON.parse(api.requests[0]!.body), {
      type: 'config_updated',
      message: 'applied',
      metadata: { version: 3 },
      timestamp: '2025-01-01T00:00:00.000Z',
    });
    assert.equal(api.requests[0]?.headers['idempotency-key'], 'e-1');
    assert.deepEqual(JSON.parse(api.requests[1]!.body), { status: 'active' });
    assert.deepEqual(JSON.parse(api.requests[2]!.body), { status: 'unhealthy' });
    assert.deepEqual(JSON.parse(api.requests[3]!.body), { rps: 12 });
  });

  it('retries writes on 5xx but not on 4xx', async () => {
    const c = client();
    api.script({ match: { method: 'PUT' }, status: 503 });
    assert.ok((await c.putStatus('active')).ok);
    assert.equal(api.requests.length, 2);
    api.requests.length = 0;
    api.script({ match: { method: 'PUT' }, status: 422, body: '{"error":"bad status"}' });
    const r = await c.putStatus('bogus');
    assert.ok(!r.ok);
    assert.equal(r.error.status, 422);
    assert.match(r.error.message, /bad status/);
    assert.equal(api.requests.length, 1);
  });

  it('reports each attempt to onRequest', async () => {
    const seen: string[] = [];
    api.script({ status: 500 });
    await client({
      onRequest: (endpoint, outcome, ms) => seen.push(`${endpoint}:${outcome}:${ms >= 0}`),
    }).fetchSpec();
    assert.deepEqual(seen, ['spec:5xx:true', 'spec:2xx:true']);
  });

  it('logs retries without the key', async () => {
    const { logger, lines } = recordingLogger();
    api.script({ status: 503 });
    await client({ logger }).fetchSpec();
    assert.ok(lines.some((l) => l.includes('retrying')));
    assert.ok(lines.every((l) => !l.includes(API_KEY)));
  });
});
