// Each load-balancing algorithm of the spec, as a user sees it through the real Envoy: which backend answers.
// One agent; each test puts new backends behind it with its algorithm and counts only after the first answer from a
// new backend. Envoy runs one worker thread, so its load balancer state is the one the counts come from.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { type Backend, closeAll, httpBackend, tcpBackend } from './backends.ts';
import { get, type Reply, tally, tcpHello } from './clients.ts';
import { waitFor } from '../../helpers/cli-process.ts';
import { lbSpec, type RealAgent, startRealAgent } from './harness.ts';

let agent: RealAgent;
const all: Backend[] = [];

/**
 * Three (or `weights.length`) new backends named `<tag>-<n>` behind the LB with `algorithm`; resolves once a request
 * is answered by one of them. The agent commits once Envoy's main thread has accepted the cluster, which Envoy then
 * posts to its worker asynchronously: the first answer from a new backend is the barrier before counting.
 */
async function fresh(tag: string, algorithm: string, weights: (number | undefined)[] = [1, 1, 1]) {
  const bs: Backend[] = [];
  for (let i = 0; i < weights.length; i++) bs.push(await httpBackend(`${tag}-${i + 1}`));
  all.push(...bs);
  const previous = (await agent.status()).applied_hash;
  await agent.writeSpec(
    lbSpec(
      agent.lbPort,
      'http',
      bs.map((b, i) => ({ id: `b${i + 1}`, port: b.port, weight: weights[i] })),
      { algorithm },
    ),
  );
  await agent.waitApplied(previous);
  await waitFor(`Envoy's worker to use the ${tag} cluster`, 20_000, async () => {
    const r = await get(agent.lbPort).catch(() => undefined);
    return r?.body.startsWith(`${tag}-`) ? true : undefined;
  });
  return bs;
}
const countOf = (counts: Map<string, number>, id: string) => counts.get(id) ?? 0;

before(async () => {
  const boot = await httpBackend('boot');
  all.push(boot);
  agent = await startRealAgent((port) => lbSpec(port, 'http', [{ id: 'b1', port: boot.port }]));
});
after(async () => {
  await agent?.stop();
  await closeAll(all);
});

describe('real Envoy: load-balancing algorithms', () => {
  it('round_robin spreads 60 requests over 3 backends evenly (20 each, ±1)', async (t) => {
    const bs = await fresh('rr', 'round_robin');
    const counts = await tally(agent.lbPort, 60);
    t.diagnostic(`round_robin: ${JSON.stringify(Object.fromEntries(counts))}`);
    for (const b of bs) assert.ok(Math.abs(countOf(counts, b.id) - 20) <= 1, JSON.stringify([...counts]));
  });

  it('round_robin with weights 1:3 on two backends holds 25:75 of 100 requests within ±5', async (t) => {
    await fresh('w', 'round_robin', [1, 3]);
    const counts = await tally(agent.lbPort, 100);
    const light = countOf(counts, 'w-1');
    t.diagnostic(`weights 1:3: ${JSON.stringify(Object.fromEntries(counts))}`);
    assert.equal(light + countOf(counts, 'w-2'), 100, JSON.stringify([...counts]));
    assert.ok(light >= 20 && light <= 30, `weight 1 of 1:3 got ${light} of 100`);
  });

  it('random reaches every backend (60 requests, 3 backends)', async (t) => {
    const bs = await fresh('rnd', 'random');
    const counts = await tally(agent.lbPort, 60);
    t.diagnostic(`random: ${JSON.stringify(Object.fromEntries(counts))}`);
    for (const b of bs) assert.ok(countOf(counts, b.id) > 0, JSON.stringify([...counts]));
  });

  it('ring_hash keeps each source address on one backend, and different sources use different backends', async (t) => {
    await fresh('rh', 'ring_hash');
    const chosen = new Map<string, string>();
    for (let i = 2; i < 14; i++) {
      const source = `127.0.0.${i}`;
      const counts = await tally(agent.lbPort, 4, { localAddress: source });
      assert.equal(counts.size, 1, `${source} went to ${JSON.stringify([...counts])}`);
      chosen.set(source, [...counts.keys()][0] ?? '');
    }
    t.diagnostic(`ring_hash: ${JSON.stringify(Object.fromEntries(chosen))}`);
    assert.ok(new Set(chosen.values()).size >= 2, `12 sources, one backend: ${JSON.stringify([...chosen])}`);
  });

  it('least_request sends most requests to idle backends while one is held busy', async (t) => {
    const [busy, ...idle] = await fresh('lr', 'least_request');
    assert.ok(busy !== undefined && idle.length === 2);
    let release: () => void = () => undefined;
    busy.hold = new Promise<void>((r) => {
      release = r;
    });
    // Requests that reach the busy backend stay open (each adds to its active requests); the others complete.
    const held: Promise<Reply>[] = [];
    const answered = new Map<string, number>();
    const n = 90;
    try {
      for (let i = 0; i < n; i++) {
        const reply = get(agent.lbPort);
        const arrived = once(busy, 'hit').then(() => 'held' as const);
        const outcome = await Promise.race([reply, arrived]);
        if (outcome === 'held') held.push(reply);
        else answered.set(outcome.body, (answered.get(outcome.body) ?? 0) + 1);
        busy.removeAllListeners('hit');
      }
    } finally {
      release();
      busy.hold = undefined;
    }
    t.diagnostic(
      `least_request: busy ${held.length} of ${n}, idle ${JSON.stringify(Object.fromEntries(answered))}`,
    );
    const replies = await Promise.all(held);
    assert.ok(replies.every((r) => r.status === 200 && r.body === busy.id));
    // Envoy picks the less loaded of two random choices: the busy one only when drawn twice (1 in 9 here, 1 in 3
    // under random or round robin). 25% of 90 is more than 4 standard deviations above the expected 10.
    assert.ok(held.length < n / 4, `the busy backend took ${held.length} of ${n}`);
    // Every other request was answered by one of the two idle backends, both of them used.
    assert.deepEqual([...answered.keys()].sort(), ['lr-2', 'lr-3'], JSON.stringify([...answered]));
    assert.equal(held.length + countOf(answered, 'lr-2') + countOf(answered, 'lr-3'), n);
  });

  it('tcp ring_hash keeps each source address on one backend', async (t) => {
    const tcp = [await tcpBackend('t-one'), await tcpBackend('t-two'), await tcpBackend('t-three')];
    all.push(...tcp);
    const previous = (await agent.status()).applied_hash;
    await agent.writeSpec(
      lbSpec(
        agent.lbPort,
        'tcp',
        tcp.map((b, i) => ({ id: `t${i + 1}`, port: b.port })),
        { algorithm: 'ring_hash' },
      ),
    );
    await agent.waitApplied(previous);
    // The barrier: a connection greeted by a tcp backend (the http listener it replaces would greet no one).
    await waitFor("Envoy's worker to use the tcp listener", 20_000, async () => {
      const hello = await tcpHello(agent.lbPort, { timeoutMs: 1_000 }).catch(() => undefined);
      hello?.socket.destroy();
      return hello?.id.startsWith('t-') ? true : undefined;
    });
    const chosen = new Map<string, string>();
    for (let i = 2; i < 14; i++) {
      const localAddress = `127.0.0.${i}`;
      const seen = new Set<string>();
      for (let k = 0; k < 3; k++) {
        const { id, socket } = await tcpHello(agent.lbPort, { localAddress });
        socket.destroy();
        seen.add(id);
      }
      assert.equal(seen.size, 1, `${localAddress} went to ${[...seen]}`);
      chosen.set(localAddress, [...seen][0] ?? '');
    }
    t.diagnostic(`tcp ring_hash: ${JSON.stringify(Object.fromEntries(chosen))}`);
    assert.ok(new Set(chosen.values()).size >= 2, JSON.stringify([...chosen]));
  });
});
