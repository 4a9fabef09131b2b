// What a change touches stays local, on the real Envoy (vpsie-form.md, runtime layout): a change to one rule
// modifies no other rule's listener; a change to domains or redirects modifies no listener (only the route
// configuration); a backend-only change modifies no listener and no cluster (only endpoints), so open connections
// and the other backends' health-check state are kept. Shown by Envoy's own listener/cluster stats, and by a
// keep-alive HTTP connection and a TCP connection that stay open across every change.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import http from 'node:http';
import { after, describe, it } from 'node:test';
import { xdsFilePaths } from '../../../src/envoy/build/names.ts';
import { freePort, waitFor } from '../../helpers/cli-process.ts';
import { type Backend, closeAll, loopbackPool, type PoolMember, tcpBackend } from './backends.ts';
import { hostGet, tcpHello } from './clients.ts';
import { type RealAgent, startRealAgent } from './harness.ts';

const members: PoolMember[] = [];
const backends: Backend[] = [];
const agents: RealAgent[] = [];
after(async () => {
  for (const a of agents) await a.stop();
  await Promise.all(members.map((m) => m.close()));
  await closeAll(backends);
});

const COUNTERS =
  '^(listener_manager\\.listener_(modified|added|removed)|cluster_manager\\.cluster_(modified|added|removed))$';

/** One request on the agent's single keep-alive socket; tells whether that socket was reused. */
function keepAliveGet(
  agentPool: http.Agent,
  port: number,
  host: string,
): Promise<{ body: string; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: '/', agent: agentPool, headers: { host } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => resolve({ body, reused: req.reusedSocket }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('VPSie form on the real Envoy: changes stay local', () => {
  it('rule change, domain/redirect change, backend-only change: only what changed is modified', async () => {
    const pool = await loopbackPool(['a1', 'a2', 'a3'], freePort);
    const other = await loopbackPool(['b1'], freePort);
    members.push(...pool.members, ...other.members);
    const echo = await tcpBackend('echo');
    backends.push(echo);
    const [portB, portC] = [await freePort(), await freePort()];

    type Variant = { bScheme: 'http' | 'tcp'; redirect: boolean; poolSize: number; dropFirst?: boolean };
    let lbPort = 0;
    const spec = (v: Variant) => ({
      identifier: 'lb-real',
      lbName: 'local changes',
      checkInterval: 300,
      fastInterval: 200,
      rise: 1,
      fall: 2,
      rules: [
        {
          ruleId: 'a',
          scheme: 'http',
          frontPort: lbPort,
          backPort: pool.port,
          domains: [
            {
              domainId: 'app',
              domainName: 'app.example.com',
              healthCheckPath: '/healthz',
              backends: pool.members
                .slice(v.dropFirst === true ? 1 : 0, v.poolSize)
                .map((m) => ({ ip: m.ip, identifier: m.id })),
            },
            ...(v.redirect
              ? [{ domainId: 'moved', domainName: 'moved.example.com', redirectHTTP: 1, backends: [] }]
              : []),
          ],
        },
        {
          ruleId: 'b',
          scheme: v.bScheme,
          frontPort: portB,
          backPort: other.port,
          backends: other.members.map((m) => ({ ip: m.ip, identifier: m.id })),
        },
        {
          ruleId: 'c',
          scheme: 'tcp',
          frontPort: portC,
          backPort: echo.port,
          backends: [{ ip: '127.0.0.1', identifier: 'echo' }],
        },
      ],
    });
    let variant: Variant = { bScheme: 'http', redirect: false, poolSize: 2 };
    const agent = await startRealAgent((port) => {
      lbPort = port;
      return spec(variant);
    });
    agents.push(agent);
    const host = 'app.example.com';
    await waitFor('both backends of rule a serving', 30_000, async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 6; i++) seen.add((await hostGet(agent.lbPort, host)).body);
      return seen.has('a1') && seen.has('a2') ? true : undefined;
    });

    // Connections that must survive every change: HTTP keep-alive on rule a, a raw TCP connection on rule c.
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const firstOnSocket = await keepAliveGet(keepAlive, agent.lbPort, host);
    assert.match(firstOnSocket.body, /^a[12]$/);
    const tcp = await tcpHello(portC);
    const echoOnce = async (text: string) => {
      const back = new Promise<string>((resolve) => tcp.socket.once('data', (d) => resolve(String(d))));
      tcp.socket.write(text);
      return back;
    };
    assert.equal(await echoOnce('ping-0'), 'ping-0');

    const counters = async () => agent.admin.statsFiltered(COUNTERS);
    const delta = (before: Map<string, number>, afterStats: Map<string, number>) => {
      const out: Record<string, number> = {};
      for (const [k, v] of afterStats)
        if (v !== (before.get(k) ?? 0)) out[k.replace(/^.*\./, '')] = v - (before.get(k) ?? 0);
      return out;
    };
    const change = async (next: Variant) => {
      const before = await counters();
      const previous = (await agent.status()).applied_hash;
      variant = next;
      await agent.writeSpec(spec(variant));
      await agent.waitApplied(previous);
      return delta(before, await counters());
    };
    const stillOpen = async (label: string) => {
      const r = await keepAliveGet(keepAlive, agent.lbPort, host);
      assert.ok(r.reused, `${label}: the keep-alive connection to rule a was closed`);
      assert.match(r.body, /^a[123]$/, label);
      assert.equal(
        await echoOnce(`ping-${label}`),
        `ping-${label}`,
        `${label}: the tcp connection to rule c`,
      );
    };

    // 1. Rule b becomes a tcp rule: its listener (and its pool's check) change; rule a's and c's listeners do not.
    const routeFiles = async () => (await readdir(xdsFilePaths(agent.config).routesDirectory)).sort();
    const routesBefore = await routeFiles();
    assert.equal(routesBefore.length, 2, `one route configuration per http rule: ${routesBefore}`);
    const ruleChange = await change({ ...variant, bScheme: 'tcp' });
    assert.deepEqual(ruleChange, { listener_modified: 1, cluster_modified: 1 }, 'only rule b');
    await stillOpen('rule change');
    // Rule b's route configuration is gone from Envoy's directory too, not left beside the live one.
    const routesAfter = await routeFiles();
    assert.equal(routesAfter.length, 1, `${routesAfter}`);
    assert.ok(routesBefore.includes(routesAfter[0] ?? ''), `${routesAfter} was there before`);

    // 2. A redirected domain on rule a: its route configuration changes, no listener and no cluster.
    const domainChange = await change({ ...variant, redirect: true });
    assert.deepEqual(domainChange, {}, 'no listener or cluster modified, added or removed');
    const moved = await hostGet(agent.lbPort, 'moved.example.com');
    assert.equal(moved.status, 301, 'the new route configuration serves');
    await stillOpen('domain change');

    // 3. A backend joins rule a's pool: endpoints only; the two serving backends keep their health verdict.
    const backendChange = await change({ ...variant, poolSize: 3 });
    assert.deepEqual(backendChange, {}, 'no listener or cluster modified, added or removed');
    const hosts = (await agent.admin.clusters()).find((c) => c.name === 'lb-lb-real|a|app')?.hosts ?? [];
    for (const ip of ['127.0.0.1', '127.0.0.2']) {
      const h = hosts.find((x) => x.address === ip);
      assert.ok(h, `host ${ip} in ${JSON.stringify(hosts.map((x) => x.address))}`);
      assert.ok(
        h.healthy && !h.failureFlags.includes('pending_active_hc'),
        `${ip} kept its verdict: ${h.failureFlags}`,
      );
    }
    await waitFor('the new backend serving', 30_000, async () => {
      for (let i = 0; i < 6; i++) if ((await hostGet(agent.lbPort, host)).body === 'a3') return true;
      return undefined;
    });
    await stillOpen('backend change');

    // 4. A backend leaves (still healthy): endpoints only, and it gets no more requests at once.
    const removal = await change({ ...variant, dropFirst: true });
    assert.deepEqual(removal, {}, 'no listener or cluster modified, added or removed');
    await waitFor('the removed backend out of rotation', 30_000, async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 9; i++) seen.add((await hostGet(agent.lbPort, host)).body);
      return !seen.has('a1') ? true : undefined;
    });
    const after9 = new Set<string>();
    for (let i = 0; i < 9; i++) after9.add((await hostGet(agent.lbPort, host)).body);
    assert.deepEqual([...after9].sort(), ['a2', 'a3']);
    keepAlive.destroy();
    tcp.socket.destroy();
  });
});
