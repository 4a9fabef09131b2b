import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EnvoyProbe, type ProbedProcess } from '../../../src/health/envoy-probe.ts';
import { ManualTimers } from '../../helpers/manual-timers.ts';

/** `null`: the agent runs no Envoy. */
function setup(initial: ProbedProcess | null = { running: true, epoch: 0, pid: 100 }) {
  let now = 0;
  let proc: ProbedProcess | undefined = initial ?? undefined;
  let answer: string | Error = 'LIVE';
  const calls: number[] = [];
  const events: string[] = [];
  const timers = new ManualTimers();
  const probe = new EnvoyProbe({
    process: () => proc,
    ready: async () => {
      calls.push(now);
      if (answer instanceof Error) throw answer;
      return answer;
    },
    onEpoch: (e) => events.push(`epoch ${e}`),
    onRestart: () => events.push('restart'),
    freshMs: 2_000,
    idleMs: 10_000,
    now: () => now,
    timers,
  });
  return {
    probe,
    calls,
    events,
    timers,
    at: (ms: number) => {
      now = ms;
    },
    set: (p: ProbedProcess | undefined) => {
      proc = p;
    },
    answer: (a: string | Error) => {
      answer = a;
    },
  };
}

describe('EnvoyProbe', () => {
  it('asks Envoy again only when its last answer is older than freshMs, once however many readers ask', async () => {
    const t = setup();
    await t.probe.start();
    assert.equal(t.probe.state, 'LIVE');
    t.at(1_500);
    await Promise.all([t.probe.fresh(), t.probe.fresh()]);
    assert.deepEqual(t.calls, [0], 'a 1.5 s old answer is fresh enough');
    t.at(2_500);
    t.answer('DRAINING');
    await Promise.all([t.probe.fresh(), t.probe.fresh(), t.probe.fresh()]);
    assert.deepEqual(t.calls, [0, 2_500], 'one probe for three readers');
    assert.equal(t.probe.state, 'DRAINING');
  });

  it('probes on its idle interval, and stops', async () => {
    const t = setup();
    await t.probe.start();
    assert.deepEqual(
      [...t.timers.pending.values()].map((p) => p.ms),
      [10_000],
    );
    t.at(10_000);
    t.timers.fireAll();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(t.calls, [0, 10_000]);
    await t.probe.stop();
    assert.equal(t.timers.pending.size, 0);
  });

  it('says stopped without asking a process that is not running, unreachable when Envoy does not answer', async () => {
    const t = setup({ running: false, epoch: 0, pid: 100 });
    await t.probe.start();
    assert.equal(t.probe.state, 'stopped');
    assert.deepEqual(t.calls, []);
    t.set({ running: true, epoch: 0, pid: 100 });
    t.answer(new Error('ECONNREFUSED'));
    await t.probe.probeNow();
    assert.equal(t.probe.state, 'unreachable');
  });

  it('counts a new pid as a restart and reports the epoch', async () => {
    const t = setup();
    await t.probe.start();
    t.set({ running: true, epoch: 1, pid: 200 });
    await t.probe.probeNow();
    assert.deepEqual(t.events, ['epoch 0', 'restart', 'epoch 1']);
  });

  it('without an Envoy to manage, never asks', async () => {
    const t = setup(null);
    await t.probe.start();
    t.at(60_000);
    await t.probe.fresh();
    assert.deepEqual(t.calls, []);
    assert.equal(t.probe.state, 'unknown');
  });
});
