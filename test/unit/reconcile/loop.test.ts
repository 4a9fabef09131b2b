import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReconcileLoop } from '../../../src/reconcile/loop.ts';
import { ManualTimers } from '../../helpers/manual-timers.ts';

const tick = () => new Promise((resolve) => setImmediate(resolve));

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('ReconcileLoop', () => {
  it('runs at start, then on the poll timer with ±10 % jitter', async () => {
    const timers = new ManualTimers();
    const runs: string[] = [];
    const loop = new ReconcileLoop({
      intervalMs: 30_000,
      random: () => 1,
      timers,
      run: async (t) => {
        runs.push(t);
      },
    });
    loop.start();
    await tick();
    assert.deepEqual(runs, ['start']);
    assert.deepEqual(
      [...timers.pending.values()].map((t) => t.ms),
      [33_000],
    );
    timers.fireAll();
    await tick();
    assert.deepEqual(runs, ['start', 'poll']);
    await loop.stop(100);
  });

  it('keeps every delay within the jitter band', () => {
    let r = 0;
    const loop = new ReconcileLoop({ intervalMs: 1000, random: () => r, run: async () => undefined });
    for (r = 0; r <= 1; r += 0.125) {
      const d = loop.nextDelay();
      assert.ok(d >= 900 && d <= 1100, `delay ${d}`);
    }
  });

  it('never overlaps: triggers during a run coalesce into exactly one follow-up run', async () => {
    const timers = new ManualTimers();
    const gate = deferred();
    let active = 0;
    let maxActive = 0;
    const runs: string[] = [];
    const loop = new ReconcileLoop({
      intervalMs: 1000,
      timers,
      run: async (t) => {
        active++;
        maxActive = Math.max(maxActive, active);
        runs.push(t);
        if (runs.length === 1) await gate.promise;
        active--;
      },
    });
    loop.start();
    loop.trigger('sighup');
    loop.trigger('sighup');
    loop.trigger('file');
    gate.resolve();
    for (let i = 0; i < 10; i++) await tick();
    assert.deepEqual(runs, ['start', 'file']);
    assert.equal(maxActive, 1);
    await loop.stop(100);
  });

  it('stop waits for the run in flight and schedules nothing after it', async () => {
    const timers = new ManualTimers();
    const gate = deferred();
    let finished = false;
    const loop = new ReconcileLoop({
      intervalMs: 1000,
      timers,
      run: async () => {
        await gate.promise;
        finished = true;
      },
    });
    loop.start();
    const stopping = loop.stop(5_000);
    gate.resolve();
    assert.equal(await stopping, true);
    assert.equal(finished, true);
    assert.equal(timers.pending.size, 0);
  });

  it('stop gives up after its bound when a run hangs', async () => {
    const loop = new ReconcileLoop({ intervalMs: 1000, run: () => new Promise<void>(() => undefined) });
    loop.start();
    assert.equal(await loop.stop(20), false);
  });

  it('a failing run is reported and the loop keeps polling', async () => {
    const timers = new ManualTimers();
    const errors: unknown[] = [];
    const loop = new ReconcileLoop({
      intervalMs: 1000,
      timers,
      onError: (e) => errors.push(e),
      run: async () => {
        throw new Error('boom');
      },
    });
    loop.start();
    await tick();
    assert.equal(errors.length, 1);
    assert.equal(timers.pending.size, 1);
    await loop.stop(100);
  });
});

describe('ReconcileLoop.triggerSoon (burst coalescing)', () => {
  it('a burst of changes becomes one reconcile after the holdoff', async () => {
    const timers = new ManualTimers();
    const runs: string[] = [];
    const loop = new ReconcileLoop({
      intervalMs: 60_000,
      holdoffMs: 1000,
      maxHoldoffMs: 10_000,
      timers,
      run: async (t) => {
        runs.push(t);
      },
    });
    loop.start();
    await tick();
    runs.length = 0;
    timers.pending.clear(); // drop the poll timer: only the holdoff matters here
    for (let i = 0; i < 5; i++) loop.triggerSoon('file', 1000 + i * 100);
    assert.equal(timers.pending.size, 1, 'one holdoff timer, re-armed by each trigger');
    assert.deepEqual(
      [...timers.pending.values()].map((t) => t.ms),
      [1000],
    );
    timers.fireAll();
    await tick();
    assert.deepEqual(runs, ['file']);
    await loop.stop(100);
  });

  it('a never-ending burst still reconciles by the maximum delay', () => {
    const timers = new ManualTimers();
    const loop = new ReconcileLoop({
      intervalMs: 60_000,
      holdoffMs: 1000,
      maxHoldoffMs: 3000,
      timers,
      run: async () => undefined,
    });
    loop.start();
    timers.pending.clear();
    loop.triggerSoon('file', 0);
    loop.triggerSoon('file', 2500);
    assert.deepEqual(
      [...timers.pending.values()].map((t) => t.ms),
      [500],
    );
    loop.triggerSoon('file', 2999);
    assert.deepEqual(
      [...timers.pending.values()].map((t) => t.ms),
      [1],
    );
    void loop.stop(100);
  });
});
