// Active health checks in the real Envoy, as the agent renders them: a failing backend is ejected (it gets no
// requests) and taken back; expected_status and headers reach the probe; the agent reports each health change once
// to the (fake) VPSie API and shows it on /status. Short intervals (2 s, thresholds 1) keep each test to seconds.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { FakeVpsieApi } from '../../fakes/vpsie-api.ts';
import { makeCert } from '../../helpers/certs.ts';
import { waitFor } from '../../helpers/cli-process.ts';
import { type Backend, closeAll, HEALTH_PATH, httpBackend, httpsBackend, tcpBackend } from './backends.ts';
import { httpsGet, tally, tcpHello } from './clients.ts';
import { lbSpec, type RealAgent, startRealAgent } from './harness.ts';

const API_KEY = 'real-envoy-health-key-5a4b3c2d1e';
const agents: RealAgent[] = [];
const backends: Backend[] = [];
const apis: FakeVpsieApi[] = [];
after(async () => {
  for (const a of agents) await a.stop();
  await closeAll(backends);
  for (const api of apis) await api.close();
});

const check = (type: string, extra: Record<string, unknown> = {}) => ({
  type,
  interval: 2,
  timeout: 1,
  unhealthy_threshold: 1,
  healthy_threshold: 1,
  ...(type === 'tcp' ? {} : { path: HEALTH_PATH }),
  ...extra,
});

/** The fake VPSie API the agent reports to (closed after the file). */
async function startApi(): Promise<FakeVpsieApi> {
  const api = await FakeVpsieApi.start({ apiKey: API_KEY, loadbalancerId: 'lb-real', http: true });
  apis.push(api);
  return api;
}
const members = (b1: Backend, b2: Backend) => [
  { id: 'b1', port: b1.port },
  { id: 'b2', port: b2.port },
];

/** Backend health as the agent sees it on /status, by backend id. */
const statusHealth = async (agent: RealAgent) =>
  Object.fromEntries((await agent.status()).backends.map((b) => [b.id, b.health]));
const untilStatus = (agent: RealAgent, want: Record<string, string>, what: string) =>
  waitFor(what, 30_000, async () => {
    const seen = await statusHealth(agent);
    return Object.entries(want).every(([id, h]) => seen[id] === h) ? seen : undefined;
  });

/** The agent on a tcp load balancer over b1 and b2, health-checked with `type`. */
async function tcpAgent(b1: Backend, b2: Backend, type: 'https' | 'tcp'): Promise<RealAgent> {
  backends.push(b1, b2);
  const agent = await startRealAgent((port) =>
    lbSpec(
      port,
      'tcp',
      [
        { id: 'b1', port: b1.port },
        { id: 'b2', port: b2.port },
      ],
      { health_check: check(type) },
    ),
  );
  agents.push(agent);
  return agent;
}

/** `n` sequential answers of `once`, counted by answer. */
async function counted(n: number, once: () => Promise<string>): Promise<Record<string, number>> {
  const seen = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const answer = await once();
    seen.set(answer, (seen.get(answer) ?? 0) + 1);
  }
  return Object.fromEntries(seen);
}

describe('real Envoy: active health checks', () => {
  it('http: expected_status and headers are honoured; a failing backend is ejected and taken back; one PUT per change; /status follows', async (t) => {
    const [b1, b2, off] = [await httpBackend('alpha'), await httpBackend('beta'), await httpBackend('off')];
    backends.push(b1, b2, off);
    // Only 204 counts as healthy: a plain 200 from the health path is a failure.
    b1.healthStatus = 204;
    b2.healthStatus = 204;
    const api = await startApi();
    const puts = (id: string) =>
      api.healthUpdates.filter((u) => u.backendId === id).map((u) => (u.body as { status: string }).status);
    const agent = await startRealAgent(
      (port) =>
        lbSpec(port, 'http', [...members(b1, b2), { id: 'b3', port: off.port, enabled: false }], {
          health_check: check('http', {
            expected_status: [204],
            headers: { 'X-Probe': 'vpsie', Host: 'health.example.test' },
          }),
        }),
      { api, apiKey: API_KEY },
    );
    agents.push(agent);

    await untilStatus(agent, { b1: 'healthy', b2: 'healthy' }, 'both backends healthy on /status');
    await waitFor('both healthy PUTs', 15_000, () =>
      puts('b1').length > 0 && puts('b2').length > 0 ? true : undefined,
    );
    const probe = b1.probes.at(-1);
    assert.equal(probe?.headers['x-probe'], 'vpsie');
    assert.equal(probe?.headers.host, 'health.example.test');
    const before = await tally(agent.lbPort, 10);
    assert.deepEqual(Object.fromEntries(before), { alpha: 5, beta: 5 });

    // 200 is not in expected_status: b1 fails, is ejected, and gets no requests.
    b1.healthStatus = 200;
    const failedAt = Date.now();
    await untilStatus(agent, { b1: 'unhealthy', b2: 'healthy' }, 'b1 unhealthy on /status');
    const ejectMs = Date.now() - failedAt;
    const lbDown = await waitFor('LB status degraded', 15_000, async () => {
      const lb = (await agent.status()).lb_status;
      return lb?.status === 'degraded' ? lb : undefined;
    });
    assert.match(lbDown.reason, /1 of 2 backends unhealthy/);
    const hitsWhileDown = b1.hits;
    const down = await tally(agent.lbPort, 20);
    assert.deepEqual(Object.fromEntries(down), { beta: 20 });
    assert.equal(b1.hits, hitsWhileDown, 'the ejected backend received requests');
    await waitFor('b1 unhealthy PUT', 15_000, () => (puts('b1').length === 2 ? true : undefined));

    b1.healthStatus = 204;
    const fixedAt = Date.now();
    await untilStatus(agent, { b1: 'healthy' }, 'b1 healthy again');
    t.diagnostic(`/status: unhealthy after ${ejectMs} ms, healthy again after ${Date.now() - fixedAt} ms`);
    const back = await tally(agent.lbPort, 10);
    assert.deepEqual(Object.fromEntries(back), { alpha: 5, beta: 5 });
    await waitFor('b1 healthy PUT', 15_000, () => (puts('b1').length === 3 ? true : undefined));
    // Six more health reads (every 500 ms) change nothing: still one PUT per change.
    await new Promise((r) => setTimeout(r, 3_000));
    assert.deepEqual(puts('b1'), ['healthy', 'unhealthy', 'healthy']);
    assert.deepEqual(puts('b2'), ['healthy']);
    // The LB status, PUT once per change too: active, degraded, active.
    const lbPuts = api.statusUpdates.map((u) => (u as { status: string }).status);
    assert.deepEqual(
      lbPuts.filter((x, i) => x !== lbPuts[i - 1]),
      lbPuts,
      `repeated LB status PUTs: ${lbPuts}`,
    );
    assert.deepEqual(lbPuts.slice(-3), ['active', 'degraded', 'active']);
    assert.equal((await agent.status()).lb_status?.status, 'active');
    // The disabled backend is not in Envoy at all: no requests, no health checks; /status lists it as unknown.
    assert.deepEqual([off.hits, off.probes.length], [0, 0]);
    assert.equal((await statusHealth(agent)).b3, 'unknown');
    t.diagnostic(`probes seen: b1 ${b1.probes.length}, b2 ${b2.probes.length}`);
  });

  it('an agent restart under the serving Envoy reports no change to the API: no error, no degraded, no unhealthy', async () => {
    const [b1, b2] = [await httpBackend('alpha'), await httpBackend('beta')];
    backends.push(b1, b2);
    const options = { api: await startApi(), apiKey: API_KEY, stopOnExit: false };
    const api = options.api;
    const agent = await startRealAgent(
      (port) => lbSpec(port, 'http', members(b1, b2), { health_check: check('http') }),
      options,
    );
    agents.push(agent);
    const lbPuts = () => api.statusUpdates.map((u) => (u as { status: string }).status);
    await waitFor('LB status active', 30_000, () => (lbPuts().at(-1) === 'active' ? true : undefined));
    const [lbBefore, healthBefore] = [lbPuts().length, api.healthUpdates.length];
    const epoch = (await agent.admin.serverInfo()).restartEpoch;

    await agent.restart(options);
    // The new agent reports once after its start, and only what is true: the same serving, healthy LB.
    await waitFor('the restarted agent reports', 30_000, () =>
      lbPuts().length > lbBefore ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 3_000)); // three health intervals: a late wrong report would show
    assert.deepEqual(lbPuts().slice(lbBefore), ['active'], `LB status PUTs after the restart: ${lbPuts()}`);
    const healthAfter = api.healthUpdates
      .slice(healthBefore)
      .map((u) => (u.body as { status: string }).status);
    assert.ok(
      healthAfter.every((h) => h === 'healthy'),
      `backend health PUTs after the restart: ${healthAfter}`,
    );
    assert.equal((await agent.admin.serverInfo()).restartEpoch, epoch, 'the same Envoy kept serving');
  });

  it('https: TLS health checks of a tcp (passthrough) load balancer eject a failing backend and take it back', async () => {
    const cert = await makeCert({ commonName: 'backend.example.test', dnsNames: ['backend.example.test'] });
    const [b1, b2] = [
      await httpsBackend('alpha', cert.certPem, cert.keyPem),
      await httpsBackend('beta', cert.certPem, cert.keyPem),
    ];
    const agent = await tcpAgent(b1, b2, 'https');
    // The backends speak only TLS: they turn healthy only if Envoy's probes use TLS.
    await untilStatus(agent, { b1: 'healthy', b2: 'healthy' }, 'both https backends healthy');
    assert.ok(b1.probes.length > 0 && b2.probes.length > 0);
    const through = (n: number) =>
      counted(n, async () => {
        const r = await httpsGet(agent.lbPort, { servername: 'backend.example.test', ca: cert.certPem });
        return r.body;
      });
    assert.deepEqual(await through(6), { alpha: 3, beta: 3 });

    b2.healthStatus = 503;
    await untilStatus(agent, { b1: 'healthy', b2: 'unhealthy' }, 'b2 unhealthy');
    assert.deepEqual(await through(8), { alpha: 8 });
    b2.healthStatus = 200;
    await untilStatus(agent, { b2: 'healthy' }, 'b2 healthy again');
    assert.deepEqual(await through(6), { alpha: 3, beta: 3 });
  });

  it('tcp: a backend that refuses connections is ejected, and taken back when it listens again', async () => {
    const [b1, b2] = [await tcpBackend('alpha'), await tcpBackend('beta')];
    const agent = await tcpAgent(b1, b2, 'tcp');
    await untilStatus(agent, { b1: 'healthy', b2: 'healthy' }, 'both tcp backends healthy');
    const greetings = (n: number) =>
      counted(n, async () => {
        const { id, socket } = await tcpHello(agent.lbPort);
        socket.destroy();
        return id;
      });
    assert.deepEqual(await greetings(6), { alpha: 3, beta: 3 });

    await b1.setListening(false);
    await untilStatus(agent, { b1: 'unhealthy', b2: 'healthy' }, 'b1 unhealthy');
    assert.deepEqual(await greetings(8), { beta: 8 });
    await b1.setListening(true);
    await untilStatus(agent, { b1: 'healthy' }, 'b1 healthy again');
    assert.deepEqual(await greetings(6), { alpha: 3, beta: 3 });
  });
});
