// Each load-balancing algorithm of the spec, as a user sees it through the real Envoy: which backend answers.
// One agent; each test writes its spec and waits until the agent has committed it. Envoy runs one worker thread, so
// its load balancer state is the one the counts come from.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { type Backend, closeAll, get, httpBackend, type Reply, tally } from './backends.ts';
import { lbSpec, type RealAgent, startRealAgent } from './harness.ts';

let agent: RealAgent;
let bs: Backend[];
const apply = async (algorithm: string, weights: (number | undefined)[] = []) => {
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
};
const countOf = (counts: Map<string, number>, id: string) => counts.get(id) ?? 0;

before(async () => {
  bs = [await httpBackend('one'), await httpBackend('two'), await httpBackend('three')];
  agent = await startRealAgent((port) =>
    lbSpec(
      port,
      'http',
      bs.map((b, i) => ({ id: `b${i + 1}`, port: b.port })),
      { algorithm: 'random' },
    ),
  );
});
after(async () => {
  await agent?.stop();
  await closeAll(bs ?? []);
});

describe('real Envoy: load-balancing algorithms', () => {
  it('round_robin spreads 60 requests over 3 backends evenly (20 each, ±1)', async (t) => {
    await apply('round_robin');
    const counts = await tally(agent.lbPort, 60);
    t.diagnostic(`round_robin: ${JSON.stringify(Object.fromEntries(counts))}`);
    for (const b of bs) assert.ok(Math.abs(countOf(counts, b.id) - 20) <= 1, JSON.stringify([...counts]));
  });

  it('round_robin with weights 1:3 on two backends holds 25:75 of 100 requests within ±5', async (t) => {
    const previous = (await agent.status()).applied_hash;
    await agent.writeSpec(
      lbSpec(
        agent.lbPort,
        'http',
        [
          { id: 'b1', port: bs[0]!.port, weight: 1 },
          { id: 'b2', port: bs[1]!.port, weight: 3 },
        ],
        { algorithm: 'round_robin' },
      ),
    );
    await agent.waitApplied(previous);
    const counts = await tally(agent.lbPort, 100);
    const light = countOf(counts, 'one');
    t.diagnostic(`weights 1:3: ${JSON.stringify(Object.fromEntries(counts))}`);
    assert.equal(light + countOf(counts, 'two'), 100, JSON.stringify([...counts]));
    assert.ok(light >= 20 && light <= 30, `weight 1 of 1:3 got ${light} of 100`);
  });

  it('random reaches every backend (60 requests, 3 backends)', async (t) => {
    await apply('random');
    const counts = await tally(agent.lbPort, 60);
    t.diagnostic(`random: ${JSON.stringify(Object.fromEntries(counts))}`);
    for (const b of bs) assert.ok(countOf(counts, b.id) > 0, JSON.stringify([...counts]));
  });

  it('ring_hash keeps each source address on one backend, and different sources use different backends', async (t) => {
    await apply('ring_hash');
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
    await apply('least_request');
    const busy = bs[0]!;
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
    assert.ok(
      (answered.get('two') ?? 0) > 0 && (answered.get('three') ?? 0) > 0,
      JSON.stringify([...answered]),
    );
  });
});
