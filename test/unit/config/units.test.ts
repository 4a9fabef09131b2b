import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatBytes, formatDuration, parseBytes, parseDuration } from '../../../src/config/index.ts';

describe('parseDuration', () => {
  it('reads the documented forms as milliseconds', () => {
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('1m'), 60_000);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('1h'), 3_600_000);
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.equal(parseDuration('1h2m3s4ms'), 3_723_004);
    assert.equal(parseDuration('0s'), 0);
    assert.equal(parseDuration('90s'), 90_000);
  });

  it('rejects bare numbers and malformed text', () => {
    for (const s of [
      '30',
      '0',
      '',
      ' 30s',
      '30s ',
      '30S',
      '1.5s',
      '-1s',
      's',
      '30sec',
      '1d',
      '30s1m',
      '1m1m',
      '1s500',
      'ms',
    ]) {
      assert.equal(parseDuration(s), undefined, s);
    }
  });

  it('formatDuration is its inverse', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 * 3_600_000 }), (ms) => {
        assert.equal(parseDuration(formatDuration(ms)), ms);
      }),
    );
    assert.equal(formatDuration(90_000), '1m30s');
    assert.equal(formatDuration(0), '0s');
  });
});

describe('parseBytes', () => {
  it('reads integers and binary units', () => {
    assert.equal(parseBytes('1GiB'), 1024 ** 3);
    assert.equal(parseBytes('512MiB'), 512 * 1024 ** 2);
    assert.equal(parseBytes('1.5GiB'), 1.5 * 1024 ** 3);
    assert.equal(parseBytes('1048576'), 1024 ** 2);
  });

  it('rejects ambiguous or malformed sizes', () => {
    for (const s of ['1G', '1GB', '1 GiB', 'GiB', '-1GiB', '', '1gib', '0.3KiB'])
      assert.equal(parseBytes(s), undefined, s);
  });

  it('formatBytes is its inverse', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 45 }), (n) => {
        assert.equal(parseBytes(formatBytes(n)), n);
      }),
    );
    assert.equal(formatBytes(1024 ** 3), '1GiB');
  });
});
