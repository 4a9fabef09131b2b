// Health reports of a VPSie-form LB on the real Envoy, to the fake VPSie API: per backend identifier; an
// identifier serving two pools is unhealthy when it fails in either, healthy again when it passes in both.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { FakeVpsieApi } from '../../fakes/vpsie-api.ts';
import { freePort, waitFor } from '../../helpers/cli-process.ts';
import { type RealAgent, startRealAgent } from './harness.ts';
import { loopbackPool, type PoolMember } from './backends.ts';

const API_KEY = 'real-envoy-vpsie-health-7f6e5d';
const members: PoolMember[] = [];
const agents: RealAgent[] = [];
const apis: FakeVpsieApi[] = [];
after(async () => {
  for (const a of agents) await a.stop();
  for (const a of apis) await a.close();
  await Promise.all(members.map((m) => m.close()));
});

describe('VPSie form on the real Envoy: health per identifier', () => {
  it('one PUT per change per identifier; shared identifiers aggregate over their pools', async () => {
    // Two pools (two domains, different ports); "vm-shared" is 127.0.0.1 in both, "vm-a"/"vm-b" one each.
    const web = await loopbackPool(['vm-shared', 'vm-a'], freePort);
    const api2 = await loopbackPool(['vm-shared', 'vm-b'], freePort);
    members.push(...web.members, ...api2.members);
    const api = await FakeVpsieApi.start({ apiKey: API_KEY, loadbalancerId: 'lb-real', http: true });
    apis.push(api);
    const puts = (id: string) =>
      api.healthUpdates.filter((u) => u.backendId === id).map((u) => (u.body as { status: string }).status);
    const domain = (id: string, pool: typeof web) => ({
      domainId: id,
      domainName: `${id}.example.com`,
      backPort: pool.port,
      healthCheckPath: '/healthz',
      backends: pool.members.map((m) => ({ ip: m.ip, identifier: m.id, vmIdentifier: `vm-of-${m.id}` })),
    });
    const agent = await startRealAgent(
      (port) => ({
        identifier: 'lb-real',
        lbName: 'health',
        checkInterval: 300,
        fastInterval: 200,
        rise: 1,
        fall: 1,
        rules: [
          {
            ruleId: 'web',
            scheme: 'http',
            frontPort: port,
            domains: [domain('web', web), domain('api', api2)],
          },
        ],
      }),
      { api, apiKey: API_KEY },
    );
    agents.push(agent);

    const statusOf = async () =>
      Object.fromEntries((await agent.status()).backends.map((b) => [b.id, b.health]));
    await waitFor('every identifier reported healthy', 30_000, () =>
      ['vm-shared', 'vm-a', 'vm-b'].every((id) => puts(id).at(-1) === 'healthy') ? true : undefined,
    );
    assert.deepEqual(await statusOf(), { 'vm-shared': 'healthy', 'vm-a': 'healthy', 'vm-b': 'healthy' });
    assert.deepEqual(puts('vm-shared'), ['healthy'], 'one PUT for the shared identifier, not one per pool');
    const shown = (await agent.status()).backends.find((b) => b.id === 'vm-a') as { vm_identifier?: string };
    assert.equal(shown.vm_identifier, 'vm-of-vm-a');

    // vm-shared fails its check in the api pool only: unhealthy overall.
    const sharedInApi = api2.members.find((m) => m.id === 'vm-shared');
    assert.ok(sharedInApi);
    sharedInApi.healthStatus = 503;
    await waitFor('vm-shared reported unhealthy', 30_000, () =>
      puts('vm-shared').at(-1) === 'unhealthy' ? true : undefined,
    );
    assert.equal((await statusOf())['vm-shared'], 'unhealthy');
    assert.deepEqual(puts('vm-a'), ['healthy'], 'the others are not reported again');

    sharedInApi.healthStatus = 200;
    await waitFor('vm-shared healthy again', 30_000, () =>
      puts('vm-shared').at(-1) === 'healthy' ? true : undefined,
    );
    assert.deepEqual(puts('vm-shared'), ['healthy', 'unhealthy', 'healthy']);
  });
});
