// Changes under load on the real binary: keep-alive and new-connection clients run through Envoy (https) while
// the agent applies 50 backend changes, 5 listener changes and 3 bootstrap changes (hot restarts). Each step is
// gated on what Envoy reports; at the end no request failed and no connection was reset.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { makeCert } from '../../helpers/certs.ts';
import { type Backend, httpBackends } from './backends.ts';
import {
  type Agent,
  cleanupEnv,
  installedVersions,
  lbSpec,
  type RealEnv,
  realEnv,
  stats,
  updateTotals,
  versions,
} from './harness.ts';
import { type Load, moreRequests, startLoad } from './load.ts';

const BACKEND_CHANGES = 50;
const BOOTSTRAP_CHANGES = 3;

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups) await c();
});

describe('changes under load through the real Envoy', () => {
  it(`${BACKEND_CHANGES} backend, 5 listener and ${BOOTSTRAP_CHANGES} bootstrap changes: zero failed requests, zero resets`, async () => {
    const env: RealEnv = await realEnv({ drainTimeMs: 2000, parentShutdownTimeMs: 3000 });
    const pool: Backend[] = await httpBackends(6, 'pool');
    const agents: Agent[] = [];
    let load: Load | undefined;
    cleanups.push(async () => {
      await load?.stop();
      await cleanupEnv(env, agents);
      for (const b of pool) await b.close();
    });
    const cert = await makeCert({ commonName: 'localhost', dnsNames: ['localhost'], ips: ['127.0.0.1'] });
    let tls: Record<string, unknown> = {
      certificate_pem: cert.certPem,
      private_key_pem: cert.keyPem,
      min_version: 'TLSv1.2',
    };
    let timeouts: Record<string, unknown> | undefined;
    let health: Record<string, unknown> = {};
    let members = pool.slice(0, 3).map((b) => ({ b, weight: 1 }));
    const spec = () =>
      lbSpec(env, [], (s) => {
        s.protocol = 'https';
        s.tls_config = tls;
        if (timeouts !== undefined) s.timeouts = timeouts;
        s.backends = members.map(({ b, weight }) => ({
          id: b.id,
          address: '127.0.0.1',
          port: b.port,
          weight,
        }));
        s.health_check = { ...(s.health_check as Record<string, unknown>), ...health };
      });

    await env.writeSpec(spec());
    const agent = await env.make();
    agents.push(agent);
    const first = await agent.reconciler.reconcile('start');
    assert.equal(first.result, 'applied', first.error);
    load = startLoad({ port: env.port, keepAliveWorkers: 3, freshWorkers: 2, tls: { ca: cert.certPem } });
    await moreRequests(load, 20);

    /** Applies the current spec; gates on version_info and update_success (dynamic) or the epoch (restart). */
    const step = async (what: string, expectEpoch?: number) => {
      const before = await updateTotals(env);
      await env.writeSpec(spec());
      const r = await agent.reconciler.reconcile(what);
      assert.equal(r.result, 'applied', `${what}: ${r.error ?? ''}`);
      // Envoy reports the versions of the files the agent installed (each file's version is its content's digest).
      assert.deepEqual(await versions(env), await installedVersions(env), `${what}: version_info`);
      if (expectEpoch === undefined) {
        const after = await updateTotals(env);
        assert.ok(after.success > before.success, `${what}: update_success advanced`);
        assert.equal(after.refused, before.refused, `${what}: nothing rejected`);
      } else {
        const info = await env.admin.serverInfo();
        assert.equal(info.restartEpoch, expectEpoch, `${what}: restart_epoch`);
        const g = await stats(env, ['server.hot_restart_generation']);
        assert.equal(g['server.hot_restart_generation'], expectEpoch + 1, `${what}: hot_restart_generation`);
      }
      await moreRequests(load as Load, 10);
    };

    for (let i = 1; i <= BACKEND_CHANGES; i++) {
      // Rotate through the pool: 2 to 5 members, weights 1..4; removed servers stay up for in-flight requests.
      const count = 2 + (i % 4);
      members = Array.from({ length: count }, (_, k) => ({
        b: pool[(i + k) % pool.length] as Backend,
        weight: 1 + ((i + k) % 4),
      }));
      await step(`backends ${i}`);
    }
    timeouts = { connect: 3, idle: 30, request: 20 };
    await step('listener: timeouts');
    health = { interval: 3, path: '/healthz?probe=1', healthy_threshold: 2 };
    await step('listener: health check');
    tls = { ...tls, min_version: 'TLSv1.3' };
    await step('listener: TLS 1.3 only');
    tls = { ...tls, min_version: 'TLSv1.2', alpn: ['http/1.1'] };
    await step('listener: ALPN http/1.1');
    tls = { ...tls, cipher_suites: ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256'] };
    await step('listener: cipher suites');
    for (let n = 1; n <= BOOTSTRAP_CHANGES; n++) {
      env.bootstrap.maxConnections += 100;
      await step(`bootstrap ${n}`, n);
    }
    await moreRequests(load, 50);
    const result = await load.stop();
    load = undefined;
    assert.deepEqual(result.failures, [], `failed requests: ${JSON.stringify(result.failures.slice(0, 10))}`);
    // Envoy closed drained keep-alive connections gracefully (Connection: close) and the clients moved on.
    assert.ok(result.connectionClose > 0, 'Connection: close seen on drained keep-alive connections');
    assert.ok(result.keepAliveConnections > 3, 'keep-alive clients reconnected after drains');
    console.log(
      `changes under load: ${result.ok} requests, 0 failed; ${result.keepAliveConnections} keep-alive connections, ${result.connectionClose} closed by Envoy with Connection: close`,
    );
  });
});
