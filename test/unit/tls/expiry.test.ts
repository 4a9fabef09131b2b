import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expiryThresholdsCrossed, secondsToExpiry } from '../../../src/tls/store.ts';

const DAY = 86_400_000;
const NOT_AFTER = new Date('2026-06-30T12:00:00Z');
const daysBefore = (days: number) => new Date(NOT_AFTER.getTime() - days * DAY);

describe('secondsToExpiry', () => {
  it('counts whole seconds, negative once expired', () => {
    assert.equal(secondsToExpiry(NOT_AFTER, daysBefore(1)), 86_400);
    assert.equal(secondsToExpiry(NOT_AFTER, new Date(NOT_AFTER.getTime() - 1500)), 1);
    assert.equal(secondsToExpiry(NOT_AFTER, NOT_AFTER), 0);
    assert.equal(secondsToExpiry(NOT_AFTER, new Date(NOT_AFTER.getTime() + 500)), -1);
  });
});

describe('expiryThresholdsCrossed', () => {
  it('crosses 30, 14, 7 and 1 days at their boundaries', () => {
    const none = new Set<number>();
    assert.deepEqual(expiryThresholdsCrossed(NOT_AFTER, new Date(daysBefore(30).getTime() - 1000), none), []);
    assert.deepEqual(expiryThresholdsCrossed(NOT_AFTER, daysBefore(30), none), [30]);
    assert.deepEqual(expiryThresholdsCrossed(NOT_AFTER, daysBefore(5), none), [30, 14, 7]);
    assert.deepEqual(expiryThresholdsCrossed(NOT_AFTER, daysBefore(-3), none), [30, 14, 7, 1]);
    assert.deepEqual(expiryThresholdsCrossed(NOT_AFTER, daysBefore(5), new Set([30, 14])), [7]);
  });

  it('fires each threshold exactly once over a clock stepping hourly through the last 40 days', () => {
    const notified = new Set<number>();
    const firedAt = new Map<number, number>();
    for (let hour = 40 * 24; hour >= -48; hour--) {
      const now = new Date(NOT_AFTER.getTime() - hour * 3_600_000);
      for (const days of expiryThresholdsCrossed(NOT_AFTER, now, notified)) {
        assert.ok(!firedAt.has(days), `threshold ${days} fired twice`);
        firedAt.set(days, hour);
        notified.add(days);
      }
    }
    assert.deepEqual(
      [...firedAt.entries()].sort((a, b) => b[0] - a[0]),
      [
        [30, 30 * 24],
        [14, 14 * 24],
        [7, 7 * 24],
        [1, 24],
      ],
    );
  });
});
