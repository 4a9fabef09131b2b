import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IntervalDriver } from '../../../src/health/interval.ts';
import { ManualTimers } from '../../helpers/manual-timers.ts';

const settle = () => new Promise((r) => setImmediate(r));

describe('IntervalDriver.runSoon', () => {
  it('runs at once when idle, and once right after a run in progress, never overlapping', async () => {
    const timers = new ManualTimers();
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
    assert.deepEqual(timers.delays(), [0], 'the next run is due at once');
    timers.fire();
    assert.equal(runs, 2);
    release?.();
    await settle();
    assert.deepEqual(timers.delays(), [10_000], 'then the usual interval');
    driver.runSoon();
    assert.equal(runs, 3, 'asked while idle: runs now');
    assert.equal(timers.pending.size, 0, 'the interval timer it replaced is gone');
    release?.();
    await driver.stop();
  });
});
