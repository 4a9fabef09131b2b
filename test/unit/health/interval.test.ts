import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IntervalDriver, type Timers } from '../../../src/health/interval.ts';

/** Timers fired by hand: `pending` holds what is scheduled, with its delay. */
function manualTimers() {
  const pending = new Map<number, { fn: () => void; ms: number }>();
  let next = 1;
  const timers: Timers = {
    setTimeout(fn, ms) {
      pending.set(next, { fn, ms });
      return next++;
    },
    clearTimeout(handle) {
      pending.delete(handle as number);
    },
  };
  const fire = () => {
    const [id, t] = [...pending][0] ?? [];
    if (id === undefined || t === undefined) throw new Error('nothing scheduled');
    pending.delete(id);
    t.fn();
  };
  return { timers, pending, fire };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('IntervalDriver.runSoon', () => {
  it('runs at once when idle, and once right after a run in progress, never overlapping', async () => {
    const { timers, pending, fire } = manualTimers();
    let runs = 0;
    let active = 0;
    let release: (() => void) | undefined;
    const driver = new IntervalDriver(
      async () => {
        runs++;
        active++;
        assert.equal(active, 1, 'never two runs at once');
        await new Promise<void>((r) => {
          release = r;
        });
        active--;
      },
      10_000,
      { timers },
    );
    driver.start();
    assert.equal(runs, 1);
    driver.runSoon();
    driver.runSoon();
    assert.equal(runs, 1, 'asked during a run: waits for it');
    release?.();
    await settle();
    assert.deepEqual(
      [...pending.values()].map((t) => t.ms),
      [0],
      'the next run is due at once',
    );
    fire();
    assert.equal(runs, 2);
    release?.();
    await settle();
    assert.deepEqual(
      [...pending.values()].map((t) => t.ms),
      [10_000],
      'then the usual interval',
    );
    driver.runSoon();
    assert.equal(runs, 3, 'asked while idle: runs now');
    assert.equal(pending.size, 0, 'the interval timer it replaced is gone');
    release?.();
    await driver.stop();
  });
});
