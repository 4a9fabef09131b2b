// Connection limits in the real Envoy: the spec's max_connections (per listener, connection_limit filter) and the
// agent-wide envoy.max_connections (overload manager), measured as a client sees them; the overload manager loads.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { waitFor } from '../../helpers/cli-process.ts';
import { type Backend, closeAll, httpBackend, tcpBackend } from './backends.ts';
import { get, tcpHello } from './clients.ts';
import { envoyPidsOf } from '../../helpers/real-envoy.ts';
import { lbSpec, type RealAgent, startRealAgent } from './harness.ts';

const agents: RealAgent[] = [];
const backends: Backend[] = [];
const sockets: net.Socket[] = [];
after(async () => {
  for (const s of sockets) s.destroy();
  for (const a of agents) await a.stop();
  await closeAll(backends);
});

/** A plain TCP connection to Envoy; resolves once connected (Envoy counts it from accept). */
function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    sockets.push(s);
    s.on('error', reject);
  });
}

/** What a client over the limit sees: the connection is accepted, then closed by Envoy with no data. */
function overLimit(port: number): Promise<{ connected: boolean; bytes: number; how: string }> {
  return new Promise((resolve) => {
    let connected = false;
    let bytes = 0;
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      connected = true;
      s.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
    });
    sockets.push(s);
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ connected, bytes, how: 'still open after 10 s' });
    }, 10_000);
    s.on('data', (d) => {
      bytes += d.length;
    });
    s.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ connected, bytes, how: err.code ?? err.message });
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ connected, bytes, how: 'closed' });
    });
  });
}

const stat = async (agent: RealAgent, name: string) =>
  (await agent.admin.statsFiltered(`^${name.replaceAll('.', '\\.')}$`)).get(name);

describe('real Envoy: connection limits', () => {
  it('spec max_connections: the listener holds 2 connections; the third is closed with no data, then a freed slot is usable', async (t) => {
    const b = await tcpBackend('alpha');
    backends.push(b);
    const agent = await startRealAgent((port) =>
      lbSpec(port, 'tcp', [{ id: 'b1', port: b.port }], { max_connections: 2 }),
    );
    agents.push(agent);
    const first = await tcpHello(agent.lbPort);
    const second = await tcpHello(agent.lbPort);
    assert.deepEqual([first.id, second.id], ['alpha', 'alpha']);
    const hitsBefore = b.hits;
    const refused = await overLimit(agent.lbPort);
    t.diagnostic(`third connection: ${JSON.stringify(refused)}`);
    assert.equal(refused.connected, true);
    assert.equal(refused.bytes, 0, 'the connection over the limit got data');
    assert.ok(['ECONNRESET', 'closed'].includes(refused.how), refused.how);
    assert.equal(b.hits, hitsBefore, 'the connection over the limit reached the backend');
    assert.equal(await stat(agent, 'connection_limit.lb_lb-real_connection_limit.limited_connections'), 1);

    first.socket.destroy();
    const third = await waitFor('a connection in the freed slot', 20_000, () =>
      tcpHello(agent.lbPort).catch(() => undefined),
    );
    assert.equal(third.id, 'alpha');
    second.socket.destroy();
    third.socket.destroy();
  });

  it('spec max_connections on http: with one connection open, a request on a second connection fails unanswered', async (t) => {
    const b = await httpBackend('alpha');
    backends.push(b);
    const agent = await startRealAgent((port) =>
      lbSpec(port, 'http', [{ id: 'b1', port: b.port }], { max_connections: 1 }),
    );
    agents.push(agent);
    const open = await connect(agent.lbPort);
    const failed = await get(agent.lbPort).then(
      (r) => `answered ${r.status}`,
      (err: NodeJS.ErrnoException) => err.code ?? err.message,
    );
    t.diagnostic(`second connection's request: ${failed}`);
    assert.ok(['ECONNRESET', 'socket hang up'].includes(failed), failed);
    assert.equal(b.hits, 0);
    open.destroy();
    const r = await waitFor('a request once the first connection is gone', 20_000, () =>
      get(agent.lbPort).catch(() => undefined),
    );
    assert.deepEqual([r.status, r.body], [200, 'alpha']);
  });

  it('envoy.max_connections: 3 connections in all; the fourth is closed unanswered; the admin API still answers', async (t) => {
    const b = await httpBackend('alpha');
    backends.push(b);
    const agent = await startRealAgent((port) => lbSpec(port, 'http', [{ id: 'b1', port: b.port }]), {
      maxConnections: 3,
    });
    agents.push(agent);
    assert.equal((await get(agent.lbPort)).body, 'alpha');

    // The overload manager section loaded: its monitors are in the bootstrap Envoy runs, and publish stats.
    const dump = await agent.admin.configDump();
    const bootstrap = dump.configs.find(
      (c) => c['@type'] === 'type.googleapis.com/envoy.admin.v3.BootstrapConfigDump',
    ) as {
      bootstrap: { overload_manager: { resource_monitors: { name: string; typed_config: unknown }[] } };
    };
    const monitors = bootstrap.bootstrap.overload_manager.resource_monitors;
    assert.deepEqual(monitors.map((m) => m.name).sort(), [
      'envoy.resource_monitors.fixed_heap',
      'envoy.resource_monitors.global_downstream_max_connections',
    ]);
    assert.match(JSON.stringify(monitors), /"max_active_downstream_connections":"3"/);
    const overload = await agent.admin.statsFiltered('^overload\\.');
    assert.ok(
      overload.has('overload.envoy.resource_monitors.fixed_heap.pressure'),
      [...overload.keys()].join(),
    );
    assert.ok(overload.has('overload.envoy.overload_actions.stop_accepting_requests.active'));

    const held = [await connect(agent.lbPort), await connect(agent.lbPort), await connect(agent.lbPort)];
    const refused = await overLimit(agent.lbPort);
    t.diagnostic(`fourth connection: ${JSON.stringify(refused)}`);
    assert.equal(refused.connected, true);
    assert.equal(refused.bytes, 0, 'the connection over the global limit was answered');
    assert.ok(['ECONNRESET', 'closed'].includes(refused.how), refused.how);
    // The admin endpoint is exempt (ignore_global_conn_limit): it answers while the limit is reached.
    const overflow = `listener.0.0.0.0_${agent.lbPort}.downstream_global_cx_overflow`;
    assert.equal(await stat(agent, overflow), 1);

    held[0]?.destroy();
    const r = await waitFor('a request in the freed slot', 20_000, () =>
      get(agent.lbPort).catch(() => undefined),
    );
    assert.deepEqual([r.status, r.body], [200, 'alpha']);
    for (const s of held) s.destroy();
  });
});

describe('real Envoy: a changed envoy.max_connections reaches Envoy by hot restart', () => {
  it('agent restarted with a new agent.yaml: new epoch and pid, requests served throughout, the new limit holds', async (t) => {
    const b = await httpBackend('alpha');
    backends.push(b);
    // stop_on_exit false, as in production: Envoy keeps serving while the agent restarts.
    const agent = await startRealAgent((port) => lbSpec(port, 'http', [{ id: 'b1', port: b.port }]), {
      stopOnExit: false,
    });
    agents.push(agent);
    const before = await agent.status();
    assert.equal((await agent.admin.serverInfo()).restartEpoch, 0);

    // A client that keeps sending requests (each on a new connection) through the restart.
    const outcomes = new Map<string, number>();
    let stop = false;
    const load = (async () => {
      while (!stop) {
        const o = await get(agent.lbPort).then(
          (r) => `${r.status}`,
          (err: NodeJS.ErrnoException) => err.code ?? err.message,
        );
        outcomes.set(o, (outcomes.get(o) ?? 0) + 1);
      }
    })();
    try {
      await agent.restart({ stopOnExit: false, maxConnections: 2 });
      await agent.waitApplied(before.applied_hash);
      const info = await waitFor('the new epoch to answer the admin API', 30_000, async () => {
        const i = await agent.admin.serverInfo().catch(() => undefined);
        return i?.restartEpoch === 1 ? i : undefined;
      });
      assert.equal(info.baseId, String(agent.config.envoy.baseId));
      const after = await agent.status();
      assert.notEqual(after.envoy.pid, before.envoy.pid);
      assert.equal(after.envoy.epoch, 1);
      await waitFor('the old epoch to exit after its drain', 30_000, async () =>
        (await envoyPidsOf(agent.config.envoy.baseId)).includes(before.envoy.pid ?? -1) ? undefined : true,
      );
    } finally {
      stop = true;
      await load;
    }
    t.diagnostic(`requests during the hot restart: ${JSON.stringify(Object.fromEntries(outcomes))}`);
    assert.deepEqual([...outcomes.keys()], ['200'], JSON.stringify([...outcomes]));

    // The new bootstrap's global limit: two connections held, the third is closed unanswered.
    const held = [await connect(agent.lbPort), await connect(agent.lbPort)];
    const refused = await overLimit(agent.lbPort);
    assert.deepEqual([refused.connected, refused.bytes], [true, 0]);
    assert.ok(['ECONNRESET', 'closed'].includes(refused.how), refused.how);
    for (const s of held) s.destroy();
  });
});
