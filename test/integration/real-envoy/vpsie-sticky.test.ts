// Sticky sessions on the real Envoy: a client with the cookie stays on its backend across 50 requests, and moves
// (with a new cookie) when that backend fails its health check.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { freePort, waitFor } from '../../helpers/cli-process.ts';
import { type RealAgent, startRealAgent } from './harness.ts';
import { loopbackPool, type PoolMember } from './backends.ts';
import { hostGet } from './clients.ts';

const members: PoolMember[] = [];
const agents: RealAgent[] = [];
after(async () => {
  for (const a of agents) await a.stop();
  await Promise.all(members.map((m) => m.close()));
});

/** The `SID` cookie a response sets, and its attributes. */
function sessionCookie(setCookie: readonly string[] | undefined): { pair: string; attributes: string[] } {
  const c = (setCookie ?? []).find((x) => x.startsWith('SID='));
  assert.ok(c, `no SID cookie in ${JSON.stringify(setCookie)}`);
  const [pair = '', ...rest] = c.split(';').map((s) => s.trim());
  return { pair, attributes: rest.map((a) => a.toLowerCase()) };
}

describe('VPSie form on the real Envoy: sticky sessions', () => {
  it('the cookie keeps a client on one backend while it is healthy, and moves it when it is not', async () => {
    const pool = await loopbackPool(['s1', 's2', 's3'], freePort);
    members.push(...pool.members);
    const agent = await startRealAgent((lbPort) => ({
      identifier: 'lb-real',
      lbName: 'sticky',
      rules: [
        {
          ruleId: 'web',
          scheme: 'http',
          frontPort: lbPort,
          backPort: pool.port,
          domains: [
            {
              domainId: 'shop',
              domainName: 'shop.example.com',
              cookieCheck: 1,
              cookieName: 'SID',
              healthCheckPath: '/healthz',
              checkInterval: 300,
              fastInterval: 200,
              rise: 1,
              fall: 1,
              backends: pool.members.map((m) => ({ ip: m.ip, identifier: m.id })),
            },
          ],
        },
      ],
    }));
    agents.push(agent);
    const host = 'shop.example.com';
    // Until every backend has passed its first check the pool may still be warming up: wait for all three to serve.
    await waitFor('all three backends serving', 30_000, async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 12; i++) seen.add((await hostGet(agent.lbPort, host)).body);
      return seen.size === 3 ? true : undefined;
    });

    const first = await hostGet(agent.lbPort, host);
    assert.equal(first.status, 200);
    const cookie = sessionCookie(first.headers['set-cookie']);
    assert.ok(cookie.attributes.includes('path=/'), `attributes ${cookie.attributes}`);
    assert.ok(cookie.attributes.includes('httponly'), `attributes ${cookie.attributes}`);
    assert.ok(
      !cookie.attributes.some((a) => a.startsWith('max-age') || a.startsWith('expires')),
      'a session cookie',
    );
    const home = first.body;

    const bodies = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const r = await hostGet(agent.lbPort, host, { cookie: cookie.pair });
      assert.equal(r.status, 200);
      bodies.add(r.body);
      assert.equal(r.headers['set-cookie'], undefined, 'a valid cookie is not replaced');
    }
    assert.deepEqual([...bodies], [home], '50 requests with the cookie, one backend');

    // Without the cookie the algorithm (round robin) spreads requests: stickiness comes from the cookie.
    const spread = new Set<string>();
    for (let i = 0; i < 6; i++) spread.add((await hostGet(agent.lbPort, host)).body);
    assert.ok(spread.size > 1, `no cookie, no stickiness: ${[...spread]}`);

    // Its backend fails the health check: the same cookie now lands elsewhere and gets a new cookie.
    const failing = pool.members.find((m) => m.id === home);
    assert.ok(failing);
    failing.healthStatus = 503;
    const moved = await waitFor('the sticky client to move off the unhealthy backend', 30_000, async () => {
      const r = await hostGet(agent.lbPort, host, { cookie: cookie.pair });
      return r.status === 200 && r.body !== home ? r : undefined;
    });
    const replaced = sessionCookie(moved.headers['set-cookie']);
    assert.notEqual(replaced.pair, cookie.pair);
    const after = new Set<string>();
    for (let i = 0; i < 10; i++)
      after.add((await hostGet(agent.lbPort, host, { cookie: replaced.pair })).body);
    assert.deepEqual([...after], [moved.body], 'the new cookie sticks to the new backend');
  });
});
